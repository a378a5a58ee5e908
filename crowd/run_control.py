"""Stopping a run, expiring its HITs and discarding it, asked from outside the process that
serves it (the dashboard).

A stop goes through the store: it is recorded on the run (`request_run_stop`), and the runner
serving it, in whatever process or on whatever machine, polls for it and stops as Ctrl-C does
(runner/manager.py). When no runner serves the run any more (its process is gone from this
machine, see crowd/orphans.py), nobody would: the run is ended here, as the orphan clean-up
ends a dead runner's run, but as `stopped`.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crowd.base import Provider, Refused
from crowd.orphans import STOPPED_BY_REVIEWER, runner_is_alive
from crowd.registry import marketplace_ids, provider_class, provider_for_run
from datastore import IllegalTransition, MTurkDataHandler
from datastore.records import Record
from datastore.states import HitStatus, RunStatus, StopCause

OPEN_HITS = frozenset({HitStatus.ASSIGNABLE, HitStatus.UNASSIGNABLE})
"""HITs still on the marketplace, which expiring takes down."""


RunRow = Record | Mapping[str, Any]
"""A run as `get_run_data` reads it, or as the dashboard shows it (`run_summary`)."""


class RunControlRefused(Exception):
    """The run cannot be stopped, expired or discarded now; the message says why, for people."""


@dataclass(frozen=True)
class StopOutcome:
    ended: bool
    """True: ended here (no runner served it); False: its runner was asked and will end it."""
    message: str


def has_marketplace(run: RunRow) -> bool:
    """Whether the run's work may live on a marketplace (its provider says so)."""
    try:
        return provider_class(run["provider"]).needs_marketplace_cleanup
    except Refused:  # a provider this Parley does not have: assume the worst
        return True


def stop_refusal(run: RunRow) -> str | None:
    """Why the run cannot be stopped, in a sentence; None when it can."""
    if run["status"] != RunStatus.RUNNING:
        return f"Run {run['run_id']} already ended as {run['status']}; there is nothing to stop."
    return None


def stop_run(handler: MTurkDataHandler, run: Record) -> StopOutcome:
    """Ask the run's runner to stop it; end it here when no runner serves it."""
    run_id = run["run_id"]
    _refuse_if(stop_refusal(run))
    try:
        handler.request_run_stop(run_id, StopCause.REVIEWER)
    except IllegalTransition:
        raise RunControlRefused(f"Run {run_id} ended while the stop was asked; there is nothing to stop.") from None
    if runner_is_alive(run):
        return StopOutcome(False, f"Run {run_id}'s runner was asked to stop it: within a few seconds it tells "
                                  "its workers, expires its HITs and marks the run stopped.")
    try:
        provider_for_run(handler, run).cleanup()
    except Refused as exc:
        raise RunControlRefused(f"No runner serves run {run_id} any more, and its HITs could not be released, "
                                f"so it was not ended: {exc}. Try again in a moment.") from None
    ended = handler.log_interrupted_run(run_id, noticed_by=STOPPED_BY_REVIEWER, status=RunStatus.STOPPED)
    if ended is None:
        return StopOutcome(True, f"Run {run_id} had already ended.")
    return StopOutcome(True, f"No runner serves run {run_id} any more (its process is gone), so it was "
                             f"stopped here: its HITs were released, {ended['interrupted']} assignment(s) "
                             f"in a task kept for review, {ended['expired']} not yet in a task let go.")


def open_hits(handler: MTurkDataHandler, run: Record) -> list[str]:
    """The run's HITs still up on its marketplace: not disposed of, and not expired (an
    expired HIT a worker is still on stays unassignable until they submit)."""
    now = time.time()
    return [h["hit_id"] for h in handler.get_hits_for_run(run["run_id"])
            if h["hit_status"] in OPEN_HITS and (h["expiration"] is None or h["expiration"] > now)]


def expire_refusal(handler: MTurkDataHandler, run: Record) -> str | None:
    """Why the run's HITs cannot be expired, in a sentence; None when they can."""
    if not has_marketplace(run):
        return (f"Run {run['run_id']} has no marketplace: its worker links stay open until the run stops. "
                "Stop the run instead.")
    if not open_hits(handler, run):
        return f"None of run {run['run_id']}'s {hits_word(run)} is open; there is nothing to expire."
    return None


def expire_run_hits(handler: MTurkDataHandler, run: Record, provider: Provider) -> int:
    """Take the run's open HITs down on its marketplace through `provider` (the run's own, or
    one made for it): nobody new can start; workers already on one may finish. Answers how
    many were expired."""
    _refuse_if(expire_refusal(handler, run))
    hits = open_hits(handler, run)
    try:
        provider.expire_hits(hits)
    except Refused as exc:
        raise RunControlRefused(f"The marketplace did not expire run {run['run_id']}'s {hits_word(run)}: "
                                f"{exc}") from None
    return len(hits)


def discard_refusal(run: RunRow) -> str | None:
    """Why the run may not be discarded, in a sentence; None when it may. Only test, sandbox
    and marketplace-free runs are discarded: a live marketplace run paid real people, and its
    record stays in every list."""
    if not (run["is_test"] or run["is_sandbox"] or not has_marketplace(run)):
        return (f"Run {run['run_id']} is a live run on a marketplace: only test, sandbox and marketplace-free runs "
                "can be discarded.")
    if run["status"] == RunStatus.RUNNING:
        return f"Run {run['run_id']} is still running: stop it first, then discard it."
    return None


def discard_run(handler: MTurkDataHandler, run: Record) -> bool:
    """Hide the run from the dashboard's lists, keeping all its data; answers False when it
    was discarded before."""
    _refuse_if(discard_refusal(run))
    return handler.discard_run(run["run_id"])


def _refuse_if(refusal: str | None) -> None:
    if refusal is not None:
        raise RunControlRefused(refusal)


def hits_word(run: RunRow) -> str:
    """What the run's marketplace calls its HITs, plural."""
    return marketplace_ids(run["provider"])["hit"] + "s"
