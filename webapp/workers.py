"""Workers: the list of all of them (search by id, approval rate, earnings, blocks), and one
worker across every run: history, approval rate, qualifications, blocks (and lifting them),
time worked, how they composed their chat messages, messages sent to them."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for

from crowd.base import Refused
from crowd.review import ReviewRefused
from datastore import InvalidValue
from datastore.states import ReviewAction, ReviewOutcome
from webapp.runs import _limit, flag_arg
from webapp.services import services
from webapp.twins import page, respond, wants_json

workers = Blueprint("workers", __name__)


@page(workers, "/workers")
def index() -> Any:
    """Every worker in id order, a page at a time: `?q=` those whose id starts with it,
    `?blocked=1` those with an active block."""
    search = (request.args.get("q") or "").strip() or None
    blocked = bool(flag_arg("blocked"))
    try:
        listing = services().handler.list_workers(search=search, blocked_only=blocked,
                                                  after=request.args.get("after") or None, limit=_limit())
    except InvalidValue as exc:
        abort(400, description=str(exc))
    return respond("workers.html", {"workers": listing["items"], "next": listing["next"],
                                    "filters": {"q": search, "blocked": blocked}})


@page(workers, "/workers/<worker_id>")
def worker(worker_id: str) -> Any:
    try:
        summary = services().handler.worker_summary(worker_id, after=request.args.get("after") or None)
    except InvalidValue as exc:
        abort(400, description=str(exc))
    if summary is None:
        abort(404, description=f"There is no worker {worker_id!r}.")
    messages = [a.as_dict() for a in services().handler.get_review_actions(worker_id=worker_id)
                if a["action"] == ReviewAction.NOTIFY]
    return respond("worker.html", {"worker": summary, "messages": messages,
                                   "authenticity": services().handler.authenticity_summary(worker_id)})


@workers.post("/workers/<worker_id>/unblock.json", endpoint="unblock_json")
@workers.post("/workers/<worker_id>/unblock")
def unblock(worker_id: str) -> Any:
    """Lift the blocks that keep the worker out of a run (the run a block was made in),
    with a reason, through the review service: asked twice, or twice at once, it lifts once."""
    svc = services()
    if svc.handler.get_worker_data(worker_id) is None:
        abort(404, description=f"There is no worker {worker_id!r}.")
    form = _form()
    try:
        result = svc.review.unblock(worker_id, run_id=str(form.get("run_id") or ""), actor="reviewer",
                                    reason=str(form.get("reason") or ""))
    except (ReviewRefused, Refused) as exc:
        return _answer(worker_id, "Unblock", {"ok": False, "message": str(exc)}, 409)
    row = result.action
    lifted = result.outcome in (ReviewOutcome.SUCCEEDED, ReviewOutcome.PENDING)
    message = ("being lifted by an earlier request" if result.outcome == ReviewOutcome.PENDING
               else "already lifted" if result.repeated and lifted else "lifted" if lifted
               else f"not lifted ({result.outcome}): {row['error']}")
    return _answer(worker_id, "Unblock", {"ok": lifted, "repeated": result.repeated, "outcome": result.outcome,
                                          "message": message, "review_action_id": row["id"]}, 200 if lifted else 502)


@workers.post("/workers/<worker_id>/notify.json", endpoint="notify_json")
@workers.post("/workers/<worker_id>/notify")
def notify(worker_id: str) -> Any:
    """Message the worker about one of their runs, through the review service: the same
    message about the same run is sent once, and every send is in the audit log."""
    svc = services()
    if svc.handler.get_worker_data(worker_id) is None:
        abort(404, description=f"There is no worker {worker_id!r}.")
    form = _form()
    run_id = str(form.get("run_id") or "")
    try:
        if run_id not in {a["run_id"] for a in svc.handler.get_all_assignments_for_worker(worker_id)}:
            raise ReviewRefused(f"worker {worker_id} has no assignment in run {run_id!r}; choose one of their runs")
        [result] = svc.review.notify([worker_id], str(form.get("subject") or ""), str(form.get("message") or ""),
                                     actor="reviewer", run_id=run_id)
    except (ReviewRefused, Refused) as exc:
        answer, status = {"ok": False, "message": str(exc)}, 400
    else:
        row = result.action
        sent = result.outcome == ReviewOutcome.SUCCEEDED
        message = ("this message was already sent" if result.repeated and sent else
                   "sent" if sent else f"not sent ({result.outcome}): {row['error']}")
        answer = {"ok": sent, "repeated": result.repeated, "outcome": result.outcome, "message": message,
                  "review_action_id": row["id"]}
        status = 200 if sent else 502
    return _answer(worker_id, "Message", answer, status)


def _form() -> dict[str, Any]:
    form = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(form, dict):
        abort(400, description="the request body must be a JSON object")
    return form


def _answer(worker_id: str, what: str, answer: dict[str, Any], status: int) -> Any:
    if wants_json() or request.is_json:
        return jsonify(answer), status
    flash(f"{what}: {answer['message']}", "ok" if answer["ok"] else "error")
    return redirect(url_for("workers.worker", worker_id=worker_id), code=303)
