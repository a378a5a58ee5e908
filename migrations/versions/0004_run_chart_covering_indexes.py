"""Indexes for a run's page on a big run: covering indexes for its charts (every assignment
of the run, its status and last change, with its pairing's task start and end, read without
touching the tables); the run's last assignment and HIT change, found in one index step (the
fingerprint its kept totals are checked against); and an assignment's status by its id without
the table, for the unreviewed filter's check of one conversation at a time.

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("assignments", ("run_id", "status", "assignment_id", "updated")),
    ("pairings", ("run_id", "assignment_id", "task_start", "task_end")),
    ("assignments", ("run_id", "updated")),
    ("hits", ("run_id", "updated")),
    ("assignments", ("assignment_id", "status")),
)


def name(table: str, columns: tuple[str, ...]) -> str:
    return op.f(f"ix_{table}_{'_'.join(columns)}")


def upgrade() -> None:
    for table, columns in INDEXES:
        op.create_index(name(table, columns), table, list(columns), unique=False)


def downgrade() -> None:
    for table, columns in reversed(INDEXES):
        op.drop_index(name(table, columns), table_name=table)
