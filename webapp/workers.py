"""A worker across every run: history, approval rate, qualifications, blocks, time worked."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request

from datastore import InvalidValue
from webapp.services import services
from webapp.twins import page, respond

workers = Blueprint("workers", __name__)


@page(workers, "/workers/<worker_id>")
def worker(worker_id: str) -> Any:
    try:
        summary = services().handler.worker_summary(worker_id, after=request.args.get("after") or None)
    except InvalidValue as exc:
        abort(400, description=str(exc))
    if summary is None:
        abort(404, description=f"There is no worker {worker_id!r}.")
    return respond("worker.html", {"worker": summary})
