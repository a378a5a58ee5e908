"""Reviewing work: a conversation as its workers saw it, and the actions on it (approve,
reject, bonus, soft and hard block, one at a time or over a selection). Every action goes
through the review service, so a double click or a retried request never acts twice."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for

from crowd.base import Refused
from crowd.options import block_qualification_name
from crowd.registry import rejection_rules
from crowd.review import ReviewRefused, ReviewResult
from datastore.readers import merged_task_data
from datastore.states import REVIEWABLE, ReviewOutcome
from webapp.authenticity import with_badges
from webapp.redirects import same_site_path
from webapp.review_details import with_review_details
from webapp.review_flash import flash_outcomes
from webapp.services import services
from webapp.transcripts import context_of, one_per_message
from webapp.twins import page, respond, wants_json

review = Blueprint("review", __name__)

ACTIONS = ("approve", "reject", "bonus", "soft_block", "hard_block", "unblock", "override")
"""What the dashboard can do to an assignment (`override`: approve it after rejecting it)."""
MAX_BULK = 500


@page(review, "/runs/<run_id>/conversations/<conversation_id>")
def conversation(run_id: str, conversation_id: str) -> Any:
    """A conversation with each of its workers: what each saw, and the actions on their work.
    `?worker=<assignment id>` selects the worker the keyboard's a, r and b act on (by
    default the first whose work waits for review)."""
    handler = services().handler
    run = handler.get_run_data(run_id)
    full = run and handler.get_full_conversation_data(run_id, conversation_id, bool(run["is_sandbox"]))
    if run is None or not full:
        abort(404, description=f"There is no conversation {conversation_id!r} in run {run_id!r}.")
    full["messages"] = with_badges(handler, full["messages"])
    full.setdefault("task_data", merged_task_data(full["messages"]))
    full["workers"] = [{**with_review_details(handler, run, worker), "task_data": context_of(full["messages"], worker)}
                       for worker in full["workers"]]
    _, categories, min_chars = rejection_rules(run["provider"])
    return respond("conversation.html", {"conversation": full, "rejection_categories": list(categories)},
                   run=run, min_rejection_chars=min_chars, transcript=one_per_message(full["messages"]),
                   selected=_selected_worker(full["workers"]),
                   next_url=url_for("review.next_unreviewed", run_id=run_id, after=conversation_id))


def _selected_worker(workers: list[dict[str, Any]]) -> str | None:
    """The assignment id of the worker the keyboard acts on."""
    asked = request.args.get("worker")
    ids = [w["assignment_id"] for w in workers]
    if asked in ids:
        return asked
    return (_waiting(workers) or ids or [None])[0]


def _waiting(workers: Any) -> list[str]:
    """The assignment ids of the workers whose work waits for a verdict, in pairing order."""
    return [w["assignment_id"] for w in workers if w["status"] in REVIEWABLE]


@review.get("/runs/<run_id>/conversations/<conversation_id>/onward")
def onward(run_id: str, conversation_id: str) -> Any:
    """Where a verdict on the conversation page sends the reviewer: the next of its workers
    whose work waits for review, else the next conversation with work to review."""
    services().run_or_404(run_id)
    waiting = _waiting(services().handler.get_pairings_for_conversation(run_id, conversation_id))
    if waiting:
        return redirect(url_for("review.conversation", run_id=run_id, conversation_id=conversation_id,
                                worker=waiting[0]))
    return redirect(url_for("review.next_unreviewed", run_id=run_id, after=conversation_id))


@review.get("/runs/<run_id>/next-unreviewed")
def next_unreviewed(run_id: str) -> Any:
    handler = services().handler
    services().run_or_404(run_id)
    found = handler.next_unreviewed_conversation(run_id, request.args.get("after") or None)
    if found is None:
        flash("Everything in this run is reviewed.")
        return redirect(url_for("runs.run", run_id=run_id))
    return redirect(url_for("review.conversation", run_id=run_id, conversation_id=found))


@review.post("/assignments/<assignment_id>/<action>")
def act(assignment_id: str, action: str) -> Any:
    """One action on one assignment (blocks act on the assignment's worker)."""
    if action not in ACTIONS:
        abort(404, description=f"There is no action {action!r}.")
    outcome = _perform(action, assignment_id, _form())
    return _answer([outcome])


@review.post("/review/bulk")
def bulk() -> Any:
    """The same action over a selection of assignments; each is done (or refused) alone."""
    form = _form()
    action = str(form.get("action", ""))
    if action not in ACTIONS:
        abort(400, description=f"action must be one of {', '.join(ACTIONS)}")
    ids = form.get("assignment_ids") or []
    if isinstance(ids, str):
        ids = [ids]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        abort(400, description="choose at least one assignment")
    if len(ids) > MAX_BULK:
        abort(400, description=f"at most {MAX_BULK} assignments at once")
    return _answer([_perform(action, assignment_id, form) for assignment_id in dict.fromkeys(ids)])


def _form() -> dict[str, Any]:
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested deeper than Python parses
            body = None
        if not isinstance(body, dict):
            abort(400, description="the request body must be a JSON object")
        try:  # a \ud800 escape parses to a lone surrogate, which no store can hold or look up
            json.dumps(body, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            abort(400, description="the request body must be valid unicode text")
        return body
    form: dict[str, Any] = request.form.to_dict()
    form["assignment_ids"] = request.form.getlist("assignment_ids")
    return form


def _perform(action: str, assignment_id: str, form: dict[str, Any]) -> dict[str, Any]:
    """Do one action; answer {assignment_id, ok, repeated, outcome, message}."""
    svc = services()
    actor = "reviewer"
    reason = str(form.get("reason") or "")
    calls: dict[str, Callable[[], ReviewResult]] = {
        "approve": lambda: svc.review.approve(assignment_id, actor=actor, feedback=reason or None),
        "override": lambda: svc.review.override_rejection(assignment_id, actor=actor, reason=reason),
        "reject": lambda: svc.review.reject(assignment_id, actor=actor, reason=reason,
                                            category=str(form.get("category") or "") or None),
        "bonus": lambda: svc.review.bonus(assignment_id, str(form.get("amount") or ""), actor=actor, reason=reason),
        "soft_block": lambda: _block(assignment_id, "soft", reason),
        "hard_block": lambda: _block(assignment_id, "hard", reason),
        "unblock": lambda: _unblock(assignment_id, reason),
    }
    try:
        result = calls[action]()
    except (ReviewRefused, Refused) as exc:
        return {"assignment_id": assignment_id, "action": action, "ok": False, "status": 409, "message": str(exc)}
    row = result.action
    ok = result.outcome in (ReviewOutcome.SUCCEEDED, ReviewOutcome.PENDING)
    return {"assignment_id": assignment_id, "action": action, "ok": ok, "repeated": result.repeated,
            "outcome": result.outcome, "status": 200 if ok else 502, "message": _outcome_sentence(action, result),
            "review_action_id": row["id"]}


def _outcome_sentence(action: str, result: ReviewResult) -> str:
    what = action.replace("_", " ")
    if result.outcome == ReviewOutcome.UNKNOWN:
        return (f"{what}: the marketplace did not answer ({result.action['error']}); Parley will ask it "
                "whether it acted before anything else is done on this assignment")
    if result.outcome == ReviewOutcome.FAILED:
        return f"{what} failed: {result.action['error']}"
    if result.outcome == ReviewOutcome.PENDING:
        return f"{what} is being done by an earlier request"
    return f"{what} was already done" if result.repeated else f"{what}: done"


def _worker_and_run(assignment_id: str) -> tuple[str, str]:
    """Blocks act on the assignment's worker, from its run."""
    assignment = services().handler.get_assignment_data(assignment_id)
    if assignment is None:
        raise ReviewRefused(f"there is no assignment {assignment_id!r}")
    return assignment["worker_id"], assignment["run_id"]


def _unblock(assignment_id: str, reason: str) -> ReviewResult:
    worker_id, run_id = _worker_and_run(assignment_id)
    return services().review.unblock(worker_id, run_id=run_id, actor="reviewer", reason=reason)


def _block(assignment_id: str, kind: str, reason: str) -> ReviewResult:
    svc = services()
    worker_id, run_id = _worker_and_run(assignment_id)
    if kind == "hard":
        return svc.review.hard_block(worker_id, run_id=run_id, actor="reviewer", reason=reason)
    run = svc.run_or_404(run_id)
    qualification = block_qualification_name((run["config"] or {}).get("block_qualification"), run["taskname"])
    return svc.review.soft_block(worker_id, run_id=run_id, actor="reviewer", reason=reason,
                                 qualification_name=qualification)


def _answer(outcomes: list[dict[str, Any]]) -> Any:
    status = 200 if any(o["ok"] for o in outcomes) else max(o["status"] for o in outcomes)
    if wants_json() or request.is_json:
        return jsonify(results=outcomes), status
    flash_outcomes(outcomes)
    return redirect(same_site_path(request.form.get("next")), code=303)
