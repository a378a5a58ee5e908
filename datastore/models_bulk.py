"""Model for run-wide review actions: one row per confirmed preview (approve these
assignments, pay these bonuses), with the items it was bound to and how far it got."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from datastore.models import STATUS, Base


class BulkJob(Base):
    """A run-wide action a reviewer confirmed. `id` is the fingerprint of the preview it was
    confirmed from (the action, the run, the items and the run's audit log as shown), so a
    second confirm of the same preview finds this row instead of starting again; the items
    themselves are done one by one through the review service, which acts on each at most once."""

    __tablename__ = "bulk_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"))
    action: Mapped[str] = mapped_column(STATUS)
    actor: Mapped[str] = mapped_column(String(200))
    items: Mapped[list[Any]] = mapped_column(JSON)
    """What the preview showed: [{assignment_id, worker_id, status, amount_cents, reason}, ...]."""
    results: Mapped[dict[str, Any]] = mapped_column(JSON)
    """assignment id -> {"result": done | repeated | skipped | failed, "message": ...}."""
    state: Mapped[str] = mapped_column(STATUS)
    owner: Mapped[str | None] = mapped_column(String(300))
    """The process doing the items ("host:pid"): a running job whose process is gone is taken up again."""
    total: Mapped[int] = mapped_column(Integer)
    created: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)
    finished: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index(None, "run_id", "created"),)
