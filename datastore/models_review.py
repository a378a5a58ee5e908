"""Models for what happens around the work: onboarding, qualifications, blocks,
the review audit log and daily working time."""
from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from datastore.models import ID, STATUS, Base


class OnboardingResult(Base):
    __tablename__ = "onboarding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"), index=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.worker_id"), index=True)
    assignment_id: Mapped[str] = mapped_column(
        ForeignKey("assignments.assignment_id"), unique=True
    )
    onboarding_id: Mapped[str | None] = mapped_column(ID)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created: Mapped[float] = mapped_column(Float)


class Qualification(Base):
    """A named qualification; `provider_qual_id` is the marketplace's own id for it once created."""

    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    is_sandbox: Mapped[bool] = mapped_column(Boolean)
    provider_qual_id: Mapped[str | None] = mapped_column(ID)
    description: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[float] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("name", "is_sandbox"),)


class WorkerQualification(Base):
    __tablename__ = "worker_qualifications"

    qualification_id: Mapped[int] = mapped_column(
        ForeignKey("qualifications.id"), primary_key=True
    )
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.worker_id"), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=1)
    granted: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index(None, "worker_id"),)


class Block(Base):
    __tablename__ = "blocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.worker_id"))
    kind: Mapped[str] = mapped_column(STATUS)
    is_sandbox: Mapped[bool] = mapped_column(Boolean)
    qualification_id: Mapped[int | None] = mapped_column(ForeignKey("qualifications.id"))
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.run_id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[float] = mapped_column(Float)
    revoked: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index(None, "worker_id", "kind"),)


class ReviewActionLog(Base):
    """The audit log: every approve, reject, bonus and block, before and after the provider call.

    `token` is unique: it is what makes a repeated request return the first result
    instead of moving money twice.
    """

    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(128), unique=True)
    action: Mapped[str] = mapped_column(STATUS)
    actor: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.run_id"))
    assignment_id: Mapped[str | None] = mapped_column(ForeignKey("assignments.assignment_id"))
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.worker_id"))
    amount_cents: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(STATUS)
    provider_response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[float] = mapped_column(Float)
    finished: Mapped[float | None] = mapped_column(Float)
    owner: Mapped[str | None] = mapped_column(String(300))
    """The process that calls the provider ("host:pid"): a pending row whose process is gone
    was interrupted mid-call, and its outcome must be asked of the provider."""
    provider_progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """How far a provider call of several steps got (`{"step": ..., ...}`, the provider's own
    ids), written before its next step is sent: what lets an interrupted call be finished
    from where it stopped instead of begun again."""

    __table_args__ = (
        Index(None, "assignment_id", "id"),
        Index(None, "worker_id", "id"),
        Index(None, "run_id", "id"),
    )


class ReviewGuard(Base):
    """Which action holds each slot (verdict, bonus) of an assignment. The row is written in
    the same transaction as the action's audit row, before the provider is called, and that
    transaction re-checks the assignment and the slot's holder: so of two requests that
    arrive together, only one ever reaches the marketplace."""

    __tablename__ = "review_guards"

    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.assignment_id"), primary_key=True)
    slot: Mapped[str] = mapped_column(STATUS, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("review_actions.id"))
    updated: Mapped[float] = mapped_column(Float)


class WorkingTime(Base):
    """Seconds a worker spent on tasks per UTC day, for the `max_time` daily cap."""

    __tablename__ = "working_time"

    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.worker_id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
