"""Typed SQLAlchemy 2 models: the one description of Parley's schema.

Migrations in migrations/versions/ must produce exactly these tables; a test checks it.
Times are epoch seconds (float), as ParlAI stored them, so analysis scripts can subtract them.
Money is integer cents, so sums are exact. Statuses are plain strings validated by
datastore.states, so a new status never needs a database enum migration.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 64
ID = String(ID_LENGTH)
STATUS = String(32)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Run(Base):
    """One launch of a task (ParlAI's task group).

    ParlAI's `created`, `completed` and `failed` counters are not stored: readers derive
    them from the hits and assignments, so they can never drift.
    """

    __tablename__ = "runs"

    run_id: Mapped[str] = mapped_column(ID, primary_key=True)
    taskname: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(16))
    is_sandbox: Mapped[bool] = mapped_column(Boolean)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(STATUS)
    maximum: Mapped[int] = mapped_column(Integer)
    """Conversations asked for (`-nc`)."""
    reward_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD", server_default="USD")
    """What the run's reward and bonuses are paid in (ISO 4217), as its provider recorded at
    launch: money of runs in different currencies is never added up."""
    launch_time: Mapped[float] = mapped_column(Float)
    end_time: Mapped[float | None] = mapped_column(Float)
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    stop_requested_at: Mapped[float | None] = mapped_column(Float)
    """When someone asked the run to stop (the dashboard), or it stopped itself (an idle test
    run): the runner serving it, in whatever process, polls this and stops as Ctrl-C does."""
    stop_requested_by: Mapped[str | None] = mapped_column(String(32))
    """Why it was asked to stop: a `datastore.states.StopCause`."""
    discarded_at: Mapped[float | None] = mapped_column(Float)
    """A test, sandbox or local run hidden from the dashboard's lists; all its data is kept."""

    __table_args__ = (
        Index(None, "launch_time"),
        Index(None, "taskname", "launch_time"),
        Index(None, "provider", "is_sandbox", "status"),
        Index(None, "status", "launch_time"),  # the live monitor, the runs list by status
    )


class Hit(Base):
    __tablename__ = "hits"

    hit_id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"), index=True)
    hit_type_id: Mapped[str | None] = mapped_column(ID)
    hit_status: Mapped[str] = mapped_column(STATUS)
    expiration: Mapped[float] = mapped_column(Float)
    assignments_pending: Mapped[int] = mapped_column(Integer, default=0)
    assignments_available: Mapped[int] = mapped_column(Integer, default=0)
    assignments_complete: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        Index(None, "run_id", "hit_status"),  # a run's HITs counted by status
        Index(None, "run_id", "updated"),  # a run's last HIT change: when its runner was last alive
    )


class Worker(Base):
    __tablename__ = "workers"

    worker_id: Mapped[str] = mapped_column(ID, primary_key=True)
    first_seen: Mapped[float] = mapped_column(Float)
    provider: Mapped[str | None] = mapped_column(String(16))
    """The marketplace whose id `worker_id` is (a HIT's worker, a study's participant):
    the provider of the first run they accepted work in; None for a worker known only from
    a block or a message."""


class Assignment(Base):
    """The marketplace's unit of work: one worker, one HIT, one status."""

    __tablename__ = "assignments"

    assignment_id: Mapped[str] = mapped_column(ID, primary_key=True)
    hit_id: Mapped[str] = mapped_column(ForeignKey("hits.hit_id"), index=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"))
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.worker_id"))
    status: Mapped[str] = mapped_column(STATUS)
    accepted: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)
    approve_time: Mapped[float | None] = mapped_column(Float)
    """When the marketplace will approve it automatically, if nobody reviews it."""
    feedback: Mapped[str | None] = mapped_column(Text)
    """The reason shown to the worker on rejection."""

    __table_args__ = (
        Index(None, "run_id", "status"),
        Index(None, "worker_id", "status"),
        Index(None, "worker_id", "accepted", "assignment_id"),  # a worker's history, newest first
        Index(None, "run_id", "status", "assignment_id", "updated"),  # a run's totals counted afresh
        Index(None, "run_id", "updated"),  # a run's last change: when its runner was last alive
        Index(None, "assignment_id", "status"),  # "has work to review?" without the table
    )


class Pairing(Base):
    """One worker's work on one assignment within a run: times, conversation, bonus, notes."""

    __tablename__ = "pairings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.assignment_id"), unique=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.worker_id"), index=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"))
    onboarding_id: Mapped[str | None] = mapped_column(ID)
    onboarding_start: Mapped[float | None] = mapped_column(Float)
    onboarding_end: Mapped[float | None] = mapped_column(Float)
    task_start: Mapped[float | None] = mapped_column(Float)
    task_end: Mapped[float | None] = mapped_column(Float)
    conversation_id: Mapped[str | None] = mapped_column(ID)
    agent_id: Mapped[str | None] = mapped_column(String(100))
    """The worker's role in the conversation (the agent's `id`)."""
    bonus_amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    bonus_text: Mapped[str] = mapped_column(Text, default="")
    bonus_paid: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    world_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """This worker's part of what the world's prep_save_data() returned."""
    task_outcome: Mapped[str | None] = mapped_column(STATUS)
    """How the task ended for this worker, as the runner first recorded it (`completed` when
    the world finished it with them, else the way they left): kept after the status moves on
    to submitted, so "approve what the world marked complete" can still tell."""

    __table_args__ = (
        Index(None, "run_id", "conversation_id"),
        Index(None, "run_id", "id"),
        # A run's bonuses summed paid and unpaid, and the unpaid ones listed, from the index alone.
        Index(None, "run_id", "bonus_paid", "bonus_amount_cents"),
        Index(None, "run_id", "assignment_id", "task_start", "task_end"),  # totals counted afresh
        # Run-wide previews: "approve what the world marked complete", "pay all approved bonuses".
        Index(None, "run_id", "task_outcome", "assignment_id"),
        Index(None, "run_id", "bonus_paid", "assignment_id", "bonus_amount_cents"),
    )


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"))
    conversation_id: Mapped[str] = mapped_column(ID)
    started: Mapped[float] = mapped_column(Float)
    ended: Mapped[float | None] = mapped_column(Float)
    custom_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("run_id", "conversation_id"),
        Index(None, "run_id", "id"),  # a run's conversations paged in the order they began
    )


class Message(Base):
    """One message, as sent, in the order the store received it (`id`)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_pk: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    sender_id: Mapped[str] = mapped_column(String(100))
    worker_id: Mapped[str | None] = mapped_column(ForeignKey("workers.worker_id"))
    assignment_id: Mapped[str | None] = mapped_column(ForeignKey("assignments.assignment_id"))
    client_msg_id: Mapped[str | None] = mapped_column(ID)
    turn_index: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[float] = mapped_column(Float)
    recipients: Mapped[list[Any] | None] = mapped_column(JSON)
    """The agent ids (roles) the runner showed this message to, for a message no worker
    sent (the world's, a bot's): a message sent to each worker alone is one row each, a
    message shown to several is one row naming them. None: not recorded (a worker's message,
    which the world passes on, or a message stored before recipients were kept)."""
    signals: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """How a worker composed it, as their page recorded it (runner/authenticity.py); None:
    not a worker's message, sent without signals, or stored before signals were kept."""
    detector_score: Mapped[float | None] = mapped_column(Float)
    """What the run's text detector scored it, from 0 (written by a person) to 1 (not);
    None: no detector ran on it (runner/text_detector.py)."""
    flags: Mapped[list[Any]] = relationship("MessageFlag", lazy="selectin", order_by="MessageFlag.id",
                                            viewonly=True)
    """Its `MessageFlag` rows (models_authenticity.py, which imports this module)."""

    __table_args__ = (
        # Idempotency of log_message: a re-sent client message is stored once.
        UniqueConstraint("assignment_id", "client_msg_id"),
        Index(None, "conversation_pk", "id"),
        Index(None, "worker_id"),
    )

