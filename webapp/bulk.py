"""Run-wide actions: a preview of exactly which assignments and how much money, a confirm
(POST, bound to that preview) that starts the job in a background thread of this process,
and the job's progress page. Everything is done through the review service (crowd/bulk.py)."""
from __future__ import annotations

import json
import threading
from typing import Any

from flask import Blueprint, abort, jsonify, redirect, request, url_for

from crowd.bulk import BulkActions, PreviewChanged, progress
from datastore.bulk_jobs import MAX_BULK_ITEMS, BulkAction
from webapp.services import services
from webapp.twins import page, respond, wants_json

bulk = Blueprint("bulk", __name__)

ACTOR = "reviewer"


def _actions() -> BulkActions:
    svc = services()
    return BulkActions(svc.handler, svc.review)


def _action_or_404(action: str) -> BulkAction:
    if action not in BulkAction._value2member_map_:
        abort(404, description=f"There is no run-wide action {action!r}; there are {', '.join(BulkAction)}.")
    return BulkAction(action)


@page(bulk, "/runs/<run_id>/bulk/<action>")
def preview(run_id: str, action: str) -> Any:
    """What `action` would do in the run now, and the confirm button bound to it."""
    run = services().run_or_404(run_id)
    found = _actions().preview(run_id, _action_or_404(action))
    return respond("bulk_preview.html", {"preview": found.as_dict()}, run=run,
                   items_json=json.dumps(found.items, separators=(",", ":")), worker_page=_worker_page())


@bulk.post("/runs/<run_id>/bulk/<action>")
def confirm(run_id: str, action: str) -> Any:
    """Start the job of the preview the form came from (once, however often it is posted)."""
    services().run_or_404(run_id)
    kind = _action_or_404(action)
    form = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(form, dict):
        abort(400, description="the request body must be a JSON object")
    items, as_of = _items(form.get("items")), form.get("as_of")
    try:
        as_of = int(as_of)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        abort(400, description="as_of must be the whole number the preview showed")
    try:
        job, mine = _actions().confirm(run_id, kind, as_of=as_of, items=items, shown=str(form.get("fingerprint", "")),
                                       actor=ACTOR)
    except PreviewChanged as exc:
        abort(409, description=str(exc))
    if mine:
        threading.Thread(target=_actions().run, args=(job["id"],), name=f"bulk-{job['id'][:8]}", daemon=True).start()
    where = url_for("bulk.job", run_id=run_id, job_id=job["id"])
    if wants_json() or request.is_json:
        return jsonify(job_id=job["id"], started=mine, progress=where + ".json"), 202
    return redirect(where, code=303)


@page(bulk, "/runs/<run_id>/bulk/jobs/<job_id>")
def job(run_id: str, job_id: str) -> Any:
    """How far a run-wide job got; the page reloads itself while it runs."""
    run = services().run_or_404(run_id)
    found = services().handler.get_bulk_job(job_id)
    if found is None or found["run_id"] != run_id:
        abort(404, description=f"There is no run-wide job {job_id!r} in run {run_id!r}.")
    return respond("bulk_job.html", {"job": progress(found)}, run=run, max_items=MAX_BULK_ITEMS)


def _worker_page() -> str:
    """The path of a worker's page without the id, which the preview appends to each row's
    (URL-quoted): url_for for each of hundreds of rows cost as much as the rest of the page."""
    return url_for("workers.worker", worker_id="_").removesuffix("_")


def _items(raw: Any) -> list[dict[str, Any]]:
    """The items the preview listed, as its form (a JSON string) or a JSON body sends them."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            abort(400, description="items must be the list the preview showed")
    keys = {"assignment_id": str, "worker_id": str, "status": str, "amount_cents": int, "reason": str}
    if not isinstance(raw, list) or not all(
            isinstance(i, dict) and i.keys() == keys.keys()
            and all(isinstance(i[k], t) and not isinstance(i[k], bool) for k, t in keys.items()) for i in raw):
        abort(400, description="items must be the list the preview showed")
    return raw


@bulk.app_context_processor
def _bulk_actions() -> dict[str, Any]:
    """The run page links each run-wide action's preview."""
    return {"bulk_actions": list(BulkAction)}
