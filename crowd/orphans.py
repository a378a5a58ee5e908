"""Runs whose runner died, ended on the next start of a runner or of the webapp.

A run still marked running whose runner process is gone from this machine (see
`runner_is_alive`) was interrupted: killed, crashed, or its machine went down. When its
provider keeps nothing outside the store, the next start ends it at once, as `interrupted`,
and says what happened (`what_happened`). Runs on a marketplace wait for their provider's
own cleanup, which reconciles with the marketplace first.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from crowd.base import Refused
from crowd.processes import process_is_gone
from crowd.registry import provider_class, provider_for_run
from datastore import MTurkDataHandler
from datastore.records import Record
from datastore.states import RunStatus

log = logging.getLogger("parley.runner")

STOPPED_BY_REVIEWER = "a reviewer's stop"
"""`noticed_by` of a run a reviewer stopped from the dashboard and found no runner serving
(crowd/run_control.py)."""


def runner_is_alive(run: Record) -> bool:
    """False only when the run's runner was on this machine and its process is gone. A run
    started elsewhere (or before runs recorded their runner) counts as alive: only its own
    machine can tell, and expiring a live run's HITs would strand its workers."""
    who = (run["config"] or {}).get("runner") or {}
    return not process_is_gone(who.get("host"), who.get("pid"))


def orphaned_runs(handler: MTurkDataHandler, *, provider: str | None = None,
                  is_sandbox: bool | None = None) -> list[Record]:
    """Runs still marked running whose runner process is gone (of one provider, sandbox or
    live, when those are given)."""
    runs = handler.get_all_run_data(is_sandbox=is_sandbox, provider=provider, status=RunStatus.RUNNING)
    return [r for r in runs if not runner_is_alive(r)]


@dataclass(frozen=True)
class EndedRun:
    run_id: str
    interruption: dict[str, Any]
    """What `MTurkDataHandler.log_interrupted_run` recorded on the run."""

    def __str__(self) -> str:
        return f"Ended run {self.run_id}. {what_happened(self.interruption)}"


def end_orphaned_runs(handler: MTurkDataHandler, *, noticed_by: str) -> list[EndedRun]:
    """End every run whose runner died and whose provider needs no marketplace cleanup;
    `noticed_by` ("runner" or "webapp") is kept on the run. Runs that another process ends
    at the same moment are ended once, by one of them, and left out of its answer."""
    ended = []
    for run in orphaned_runs(handler):
        try:
            if provider_class(run["provider"]).needs_marketplace_cleanup:
                continue
        except Refused:  # a provider this Parley does not have: not ours to end
            log.warning("run %s has an unknown provider %r; left as it is", run["run_id"], run["provider"])
            continue
        interruption = handler.log_interrupted_run(run["run_id"], noticed_by=noticed_by)
        if interruption is not None:
            _release_hits(handler, run)
            ended.append(EndedRun(run["run_id"], interruption))
    return ended


def _release_hits(handler: MTurkDataHandler, run: Record) -> None:
    """The dead runner never released its run's HITs; its provider does it now."""
    try:
        provider_for_run(handler, run).cleanup()
    except Refused as exc:
        log.warning("the HITs of run %s could not be released: %s", run["run_id"], exc)


def what_happened(interruption: dict[str, Any]) -> str:
    """The sentence the runner, the webapp's log and the dashboard show for an interrupted run."""
    interrupted, expired, noticed_by = interruption["interrupted"], interruption["expired"], interruption["noticed_by"]
    finder = noticed_by if noticed_by == STOPPED_BY_REVIEWER else f"the next start of the {noticed_by}"
    return (f"The runner stopped unexpectedly after {_utc(interruption['last_activity'])}, its last "
            f"recorded activity; {finder} found it at "
            f"{_utc(interruption['noticed_at'])} and ended the run: {_count(interrupted, 'assignment')} "
            f"interrupted mid-task (to review), {_count(expired, 'worker')} not yet in a task let go.")


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
