"""Models for form tasks: the items a form run shows, which worker's assignment holds which
item (so N distinct workers answer each, and nobody answers one twice), and the answers."""
from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from datastore.models import ID, STATUS, Base


class FormItemRow(Base):
    """One thing to annotate in a form run, as the task's item source gave it."""

    __tablename__ = "form_items"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    """The item's place in the order the task gave the items (from 0)."""
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    gold: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """The known answers, by field name, of a gold item; None for an item to annotate."""

    __table_args__ = (Index(None, "run_id", "position"),)


class OneItemOfOneAssignment:
    """The first columns of a row about one item of a run and one worker's assignment: its
    number (the order rows were written in), the run and item, the assignment and worker."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-1)
    run_id: Mapped[str] = mapped_column(ID, sort_order=-1)
    item_id: Mapped[str] = mapped_column(ID, sort_order=-1)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.assignment_id"), sort_order=-1)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.worker_id"), sort_order=-1)


def item_reference() -> ForeignKeyConstraint:
    """(run_id, item_id) name one of form_items."""
    return ForeignKeyConstraint(["run_id", "item_id"], ["form_items.run_id", "form_items.item_id"])


class FormClaim(OneItemOfOneAssignment, Base):
    """An item handed to a worker's assignment: `open` until answered (`answered`), or until
    the assignment ends without answering it (`released`, freeing the item for someone else)."""

    __tablename__ = "form_claims"

    state: Mapped[str] = mapped_column(STATUS)
    """A datastore.states.ClaimState."""
    claimed_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        item_reference(),
        # A worker never gets one item twice in a run, whatever became of the first claim.
        UniqueConstraint("run_id", "item_id", "worker_id"),
        Index(None, "run_id", "item_id", "state"),  # an item's load: answers plus open claims
        Index(None, "assignment_id", "id"),  # an assignment's items, in claim order
    )


class FormAnswerRow(OneItemOfOneAssignment, Base):
    """One worker's answers to one item, as stored when their page sent them."""

    __tablename__ = "form_answers"

    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Field name -> the value given."""
    is_gold: Mapped[bool] = mapped_column(Boolean)
    gold_correct: Mapped[bool | None] = mapped_column(Boolean)
    """Whether every known answer of a gold item was given; None for an item to annotate."""
    answered_at: Mapped[float] = mapped_column(Float)
    signals: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Field name -> how the worker composed that free-text answer, as their page recorded it
    (runner/authenticity.py); None: no free-text field, or stored before signals were kept."""
    flags: Mapped[list[Any] | None] = mapped_column(JSON)
    """What the checks found in those answers: [{"field", "flag", "detail"}]."""

    __table_args__ = (
        item_reference(),
        UniqueConstraint("assignment_id", "item_id"),
        Index(None, "run_id", "id"),  # a run's answers in the order they came
        Index(None, "run_id", "item_id"),  # an item's answers
        Index(None, "run_id", "worker_id", "is_gold"),  # a worker's answers, their gold accuracy
    )
