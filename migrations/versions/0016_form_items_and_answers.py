"""Form tasks: `form_items` (a form run's items, in the order the task gave them, gold ones
with their known answers), `form_claims` (which worker's assignment holds which item: open,
answered or released; a worker never holds one item twice in a run) and `form_answers` (one
row per answered item, gold ones scored). New tables only: nothing already stored changes.

Revision ID: 0016
Revises: 0015
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("form_items", ("run_id", "position")),
    ("form_claims", ("run_id", "item_id", "state")),
    ("form_claims", ("assignment_id", "id")),
    ("form_answers", ("run_id", "id")),
    ("form_answers", ("run_id", "item_id")),
    ("form_answers", ("run_id", "worker_id", "is_gold")),
)


def index_name(table: str, columns: tuple[str, ...]) -> str:
    return op.f(f"ix_{table}_{'_'.join(columns)}")


def one_item_of_one_assignment(table: str) -> list[sa.Column[Any] | sa.Constraint]:
    """The first columns, and the keys, of a row about one item and one worker's assignment (a
    claim, an answer): its number, the run and item, the assignment and the worker."""
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *(sa.Column(name, sa.String(length=64), nullable=False)
          for name in ("run_id", "item_id", "assignment_id", "worker_id")),
        sa.ForeignKeyConstraint(["run_id", "item_id"], ["form_items.run_id", "form_items.item_id"],
                                name=op.f(f"fk_{table}_run_id_form_items")),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.assignment_id"],
                                name=op.f(f"fk_{table}_assignment_id_assignments")),
        sa.ForeignKeyConstraint(["worker_id"], ["workers.worker_id"],
                                name=op.f(f"fk_{table}_worker_id_workers")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "form_items",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("gold", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_form_items_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "item_id", name=op.f("pk_form_items")),
    )
    op.create_table(
        "form_claims",
        *one_item_of_one_assignment("form_claims"),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("claimed_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("run_id", "item_id", "worker_id",
                            name=op.f("uq_form_claims_run_id_item_id_worker_id")),
    )
    op.create_table(
        "form_answers",
        *one_item_of_one_assignment("form_answers"),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("is_gold", sa.Boolean(), nullable=False),
        sa.Column("gold_correct", sa.Boolean(), nullable=True),
        sa.Column("answered_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("assignment_id", "item_id", name=op.f("uq_form_answers_assignment_id_item_id")),
    )
    for table, columns in INDEXES:
        op.create_index(index_name(table, columns), table, list(columns), unique=False)


def downgrade() -> None:
    for table, columns in reversed(INDEXES):
        op.drop_index(index_name(table, columns), table_name=table)
    op.drop_table("form_answers")
    op.drop_table("form_claims")
    op.drop_table("form_items")
