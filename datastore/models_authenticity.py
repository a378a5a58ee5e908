"""What the runner's checks found in how workers composed their messages (one row per message
and flag); the signals themselves are on the message (`Message.signals`)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from datastore.models import Base

SIGNAL_KEYS = ("compose_ms", "keys", "chars", "pasted_count", "pasted_chars", "inserted_chars", "hidden_ms")
"""The composition signals a worker's page records for each message (`Message.signals`),
in the order the CSV export gives them columns; runner/authenticity.py says what each means
and checks them."""


class MessageFlag(Base):
    """Something the runner's checks found in how a worker's message was composed (a flag
    of runner/authenticity.py, or of a later check of messages), with what found it."""

    __tablename__ = "message_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"))
    message_pk: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    worker_id: Mapped[str | None] = mapped_column(ForeignKey("workers.worker_id"))
    flag: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("message_pk", "flag"),
        Index(None, "run_id", "id"),
        Index(None, "worker_id", "run_id"),
    )
