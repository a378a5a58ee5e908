"""The live monitor: per running run, its workers onboarding, waiting and in a conversation,
and every worker any runner process sharing the store serves (connected, waiting, in
conversation, stuck on their turn, disconnected, or gone with their runner), with a
drill-down to each live conversation's transcript. The pages refresh themselves every
POLL_SECONDS (dashboard.js), so they update without a reload."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, abort

from datastore.presence import ONLINE, Presence
from webapp.services import services
from webapp.twins import page, respond

monitor = Blueprint("monitor", __name__)

POLL_SECONDS = 2
WORKERS_SHOWN = 200
"""Workers listed on the monitor at most, those who need attention first."""
ATTENTION = {Presence.STUCK: 0, Presence.DISCONNECTED: 1, Presence.GONE: 2}
"""The order the worker list begins with; every other state follows."""
PRESENCE_LABELS = {
    Presence.CONNECTED: "connected", Presence.WAITING: "waiting", Presence.IN_CONVERSATION: "in conversation",
    Presence.STUCK: "stuck", Presence.DISCONNECTED: "disconnected", Presence.GONE: "gone (runner silent)",
}


@page(monitor, "/live")
def index() -> Any:
    handler = services().handler
    runs = handler.live_runs_activity()
    workers = handler.read_presence([run["run_id"] for run in runs])
    by_run: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for worker in workers:
        by_run[worker["run_id"]].append(worker)
    for run in runs:
        present = by_run[run["run_id"]]
        run["connected"] = sum(w["state"] in ONLINE for w in present)
        run["stuck"] = sum(w["state"] == Presence.STUCK for w in present)
        run["runners"] = sorted({f"{w['host']}:{w['pid']}" for w in present if w["state"] != Presence.GONE})
    workers.sort(key=lambda w: ATTENTION.get(Presence(w["state"]), len(ATTENTION)))
    return respond("monitor.html", {"runs": runs, "workers": workers[:WORKERS_SHOWN],
                                    "workers_total": len(workers), "poll_seconds": POLL_SECONDS},
                   labels=PRESENCE_LABELS)


@page(monitor, "/live/<run_id>/conversations/<conversation_id>")
def conversation(run_id: str, conversation_id: str) -> Any:
    """One conversation as it happens: its transcript and where each of its workers is."""
    svc = services()
    run = svc.run_or_404(run_id)
    full = svc.handler.get_full_conversation_data(run_id, conversation_id, bool(run["is_sandbox"]))
    if not full:
        abort(404, description=f"There is no conversation {conversation_id!r} in run {run_id!r}.")
    messages = [{key: m.get(key) for key in ("id", "text", "worker_id", "timestamp")} for m in full["messages"]]
    workers = [w for w in svc.handler.read_presence([run_id]) if w["conversation_id"] == conversation_id]
    return respond("monitor_conversation.html",
                   {"run_id": run_id, "conversation_id": conversation_id, "ended": full["ended"],
                    "messages": messages, "workers": workers, "poll_seconds": POLL_SECONDS},
                   labels=PRESENCE_LABELS)
