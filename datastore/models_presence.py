"""The live presence of workers: one row per worker a runner process is serving right now,
rewritten by that process every few seconds, so any process sharing the store (the webapp on
another machine) can tell who is connected, waiting, talking or stuck, and which runner
serves them. A row whose process stopped rewriting it goes stale (`fresh_until`) and is read
as gone."""
from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from datastore.models import ID, STATUS, Base


class WorkerPresence(Base):
    """A worker as their runner saw them at its last heartbeat (`seen`).

    No foreign keys: the heartbeat is rewritten every few seconds by a runner whose other
    writes lock assignment rows, and a stale row of a dead process is harmless."""

    __tablename__ = "worker_presence"

    assignment_id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[str] = mapped_column(ID, index=True)
    worker_id: Mapped[str] = mapped_column(ID)
    state: Mapped[str] = mapped_column(STATUS)
    """A datastore.presence.Presence, as the runner judged it."""
    conversation_id: Mapped[str | None] = mapped_column(ID)
    agent_id: Mapped[str | None] = mapped_column(String(100))
    turn_since: Mapped[float | None] = mapped_column(Float)
    """When the world began waiting on this worker's message (None: not their turn)."""
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    seen: Mapped[float] = mapped_column(Float)
    fresh_until: Mapped[float] = mapped_column(Float)
    """Past this time without a newer heartbeat, the runner is taken to be gone."""
