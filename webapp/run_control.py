"""Run control from the run page: stop a run, expire its HITs on its marketplace, discard a
test run. Each has a confirmation page (and its JSON twin, saying what the action will do or
why it is refused); the action itself is a POST with the form token and `confirm=yes`, which
the confirmation page sends. The work is crowd/run_control.py's."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for

from crowd.run_control import (
    RunControlRefused,
    discard_refusal,
    discard_run,
    expire_refusal,
    expire_run_hits,
    has_marketplace,
    hits_word,
    open_hits,
    stop_refusal,
    stop_run,
)
from datastore.records import Record
from datastore.states import RunStatus, StopCause
from webapp import formatting
from webapp.services import services
from webapp.twins import page, respond, wants_json

run_control = Blueprint("run_control", __name__)
run_control.app_context_processor(lambda: {"run_controls": controls})

ACTIONS = ("stop", "expire", "discard")
RULE = f"/runs/<run_id>/<any({', '.join(ACTIONS)}):action>"
CONFIRMED = "yes"
SERVED_HERE_STOP_SECONDS = 10.0
"""How long a stop of a run this process serves waits for it to end before answering that it
was asked (its runner finishes on its own)."""


def _effect(action: str, run: Record) -> str:
    """What the action will do, in a sentence, for the confirmation page."""
    run_id = run["run_id"]
    if action == "stop":
        return (f"Stop run {run_id}: nobody new is let in, workers on it are told, those mid-conversation "
                f"keep their work for review, its {hits_word(run)} are expired and the run is marked stopped.")
    if action == "expire":
        count = len(open_hits(services().handler, run))
        return (f"Expire run {run_id}'s {count} open {hits_word(run)} on its marketplace: nobody new can start; "
                "workers already on one may finish. The run keeps running.")
    return (f"Discard run {run_id}: it is hidden from the runs list (tick \"discarded runs\" there to see it); "
            "nothing of it is deleted.")


def _refusal(action: str, run: Record) -> str | None:
    if action == "stop":
        return stop_refusal(run)
    if action == "expire":
        return expire_refusal(services().handler, run)
    return discard_refusal(run)


@page(run_control, RULE)
def confirm(run_id: str, action: str) -> Any:
    run = services().run_or_404(run_id)
    data = {"run_id": run_id, "action": action, "effect": _effect(action, run), "refusal": _refusal(action, run),
            "confirm_field": {"confirm": CONFIRMED}}
    return respond("run_control.html", data, run=run)


@run_control.post(RULE)
def act(run_id: str, action: str) -> Any:
    svc = services()
    run = svc.run_or_404(run_id)
    answers_json = wants_json() or request.is_json
    if _field("confirm") != CONFIRMED:
        return _refuse(400, f"To {action} run {run_id}, confirm it: send confirm={CONFIRMED} "
                            "(the confirmation page does).", answers_json)
    perform: dict[str, Callable[[], tuple[str, bool]]] = {
        "stop": lambda: _stop(run), "expire": lambda: _expire(run), "discard": lambda: _discard(run)}
    try:
        message, ended = perform[action]()
    except RunControlRefused as exc:
        return _refuse(409, str(exc), answers_json)
    if answers_json:
        return jsonify(ok=True, action=action, run_id=run_id, message=message, done=ended)
    flash(message, "ok")
    return redirect(url_for("runs.run", run_id=run_id), code=303)


def _refuse(status: int, message: str, answers_json: bool) -> Any:
    """A JSON request (a script) gets the sentence as JSON, a form post the error page."""
    if answers_json:
        return jsonify(error=message), status
    abort(status, description=message)


def _field(name: str) -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        return str(body.get(name, "")) if isinstance(body, dict) else ""
    return request.form.get(name, "")


def _stop(run: Record) -> tuple[str, bool]:
    """A run this process serves (a test run started here) stops at once, not at its
    manager's next poll of the store."""
    outcome = stop_run(services().handler, run)
    manager = services().hub.get(run["run_id"])
    if manager is not None and not outcome.ended:
        manager.shutdown()
        # Its own poll may have seen the request first and be ending the run on its thread.
        if manager.wait(SERVED_HERE_STOP_SECONDS):
            return f"Run {run['run_id']} was stopped.", True
    return outcome.message, outcome.ended


def _expire(run: Record) -> tuple[str, bool]:
    count = expire_run_hits(services().handler, run, services().provider_for(run))
    return f"Expired {count} of run {run['run_id']}'s {hits_word(run)}: nobody new can start.", True


def _discard(run: Record) -> tuple[str, bool]:
    first = discard_run(services().handler, run)
    return (f"Run {run['run_id']} was discarded: it is hidden from the runs list, and its data is kept."
            if first else f"Run {run['run_id']} was discarded before."), True


def controls(run: dict[str, Any]) -> dict[str, Any]:
    """What the run page shows of run control: which buttons (each links to its confirmation
    page) and `notes`, sentences on a stop asked or done through the store, or a discard."""
    running = run["status"] == RunStatus.RUNNING
    requested, discarded = run.get("stop_requested_at"), run.get("discarded_at")
    notes = []
    if requested and running:
        notes.append(f"A stop was asked at {formatting.when(requested)} UTC ({run['stop_requested_by']}); "
                     "the run's runner ends it within a few seconds.")
    elif run.get("stop_requested_by") == StopCause.IDLE:
        notes.append(f"This test run stopped itself at {formatting.when(requested)} UTC: nothing had happened "
                     "in it for its idle limit.")
    if discarded:
        notes.append(f"Discarded at {formatting.when(discarded)} UTC: hidden from the runs list, its data kept.")
    return {"stop": running and not requested, "expire": running and has_marketplace(run),
            "discard": not discarded and discard_refusal(run) is None, "notes": notes}
