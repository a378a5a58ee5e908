"""The live monitor: per running run, workers onboarding, waiting and in a conversation.
The page polls its JSON twin, so it updates without a reload."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from webapp.services import services
from webapp.twins import page, respond

monitor = Blueprint("monitor", __name__)

POLL_SECONDS = 2


@page(monitor, "/live")
def index() -> Any:
    svc = services()
    runs = svc.handler.live_runs_activity()
    served = {m.run_id: m for m in svc.hub.managers() if m.run_id}
    for run in runs:
        manager = served.get(run["run_id"])
        # Connected sockets are known only to the process that serves the run.
        run["connected"] = manager.connected_count() if manager is not None else None
    return respond("monitor.html", {"runs": runs, "poll_seconds": POLL_SECONDS})
