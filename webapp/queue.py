"""The review queue of a run: one unit of work (a worker's assignment in its conversation) at
a time, keyboard first, filtered by status, by worker, by the world's flag and by whether the
worker sent a message with an authenticity flag (`?authenticity=flagged`). Its actions are
the review pages' own (`review.act`, so the review service), each sending the reviewer on to
the queue's next unit; its JSON twin names the units around it, so a script walks it too."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request, url_for

from crowd.registry import rejection_rules
from datastore.review_queue import QUEUE_STATUSES, UNREVIEWED, QueueFilter
from webapp.authenticity import AUTHENTICITY_ARG, FLAGGED, flagged_only, with_badges
from webapp.review_details import with_review_details
from webapp.runs import flag_arg
from webapp.services import services
from webapp.transcripts import context_of, one_per_message
from webapp.twins import page, respond

queue = Blueprint("queue", __name__)

POSITIONS = ("at", "after", "before")


def _queue_filter() -> QueueFilter:
    """The filter the query asks for; a bad value is a 400 with a sentence."""
    worker_id = request.args.get("worker") or None
    if worker_id is not None and services().handler.get_worker_data(worker_id) is None:
        abort(400, description=f"There is no worker {worker_id!r}.")
    status = request.args.get("status") or UNREVIEWED
    return QueueFilter(status=status, worker_id=worker_id, flagged=bool(flag_arg("flagged")),
                       messages_flagged=flagged_only())


def filter_args(queue_filter: QueueFilter) -> dict[str, str]:
    """The query arguments that ask for `queue_filter` (defaults left out)."""
    args = {"status": queue_filter.status if queue_filter.status != UNREVIEWED else None,
            "worker": queue_filter.worker_id, "flagged": "1" if queue_filter.flagged else None,
            AUTHENTICITY_ARG: FLAGGED if queue_filter.messages_flagged else None}
    return {k: v for k, v in args.items() if v is not None}


@page(queue, "/runs/<run_id>/queue")
def review_queue(run_id: str) -> Any:
    svc = services()
    run = svc.run_or_404(run_id)
    queue_filter = _queue_filter()
    position = {k: request.args[k] for k in POSITIONS if request.args.get(k)}
    step = svc.handler.review_queue(run_id, queue_filter, **position)
    unit = step["unit"]
    if unit is not None:
        unit = _with_what_they_saw(run, unit)
    args: dict[str, Any] = filter_args(queue_filter)
    data = {"run_id": run_id, "filter": {"status": queue_filter.status, "worker": queue_filter.worker_id,
                                         "flagged": queue_filter.flagged,
                                         AUTHENTICITY_ARG: FLAGGED if queue_filter.messages_flagged else None},
            **step, "unit": unit}
    _, categories, min_chars = rejection_rules(run["provider"])
    here = unit["assignment_id"] if unit else None

    def to(**where: Any) -> str:
        return url_for("queue.review_queue", run_id=run_id, **args, **where)

    return respond("queue.html", data, run=run, rejection_categories=list(categories),
                   min_rejection_chars=min_chars, statuses=QUEUE_STATUSES, to=to,
                   onward=to(after=here) if here else None, stay=to(at=here) if here else None)


def _with_what_they_saw(run: Any, unit: dict[str, Any]) -> dict[str, Any]:
    """The unit with its conversation, what its worker saw in the context pane, the world's
    data (the conversation's and this worker's), its partners and its audit log."""
    handler = services().handler
    full = handler.get_full_conversation_data(run["run_id"], unit["conversation_id"], bool(run["is_sandbox"]))
    if full is None:  # the unit's row was just read: only a run changing kind could do this
        abort(404, description=f"There is no conversation {unit['conversation_id']!r} in this run.")
    mine = next(w for w in full["workers"] if w["assignment_id"] == unit["assignment_id"])
    messages = with_badges(handler, full["messages"])
    return {**with_review_details(handler, run, unit), "messages": one_per_message(messages),
            "task_data": context_of(full["messages"], unit), "world_data": mine.get("data"),
            "custom_data": full["custom_data"],
            "partners": [w for w in full["workers"] if w["assignment_id"] != unit["assignment_id"]]}
