"""Indexes the reviewer's dashboard reads by: runs by status, a run's HITs by status, a
worker's assignments newest first, a run's bonuses by paid/unpaid, a run's conversations
in the order they began.

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("runs", ("status", "launch_time")),
    ("hits", ("run_id", "hit_status")),
    ("assignments", ("worker_id", "accepted", "assignment_id")),
    ("pairings", ("run_id", "bonus_paid", "bonus_amount_cents")),
    ("conversations", ("run_id", "id")),
)


def name(table: str, columns: tuple[str, ...]) -> str:
    return op.f(f"ix_{table}_{'_'.join(columns)}")


def upgrade() -> None:
    for table, columns in INDEXES:
        op.create_index(name(table, columns), table, list(columns), unique=False)


def downgrade() -> None:
    for table, columns in reversed(INDEXES):
        op.drop_index(name(table, columns), table_name=table)
