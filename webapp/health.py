"""`/healthz`: answers without login, so a load balancer can watch the app."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from webapp.services import services

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    try:
        services().handler.get_all_run_data(0, 1)
    except Exception:  # the store is down: say so, with the status a monitor understands
        return {"ok": False, "error": "the store does not answer"}, 503
    return {"ok": True}, 200
