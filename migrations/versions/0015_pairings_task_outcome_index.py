"""An index on pairings (run_id, task_outcome, assignment_id), so the preview of "approve what
the world marked complete" reads the run's completed pairings in assignment order and stops
at the first few hundred, instead of checking the pairing of every reviewable assignment of
the run (tens of thousands on a big run).

Revision ID: 0015
Revises: 0014
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_pairings_run_id_task_outcome_assignment_id"


def upgrade() -> None:
    op.create_index(op.f(NAME), "pairings", ["run_id", "task_outcome", "assignment_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(NAME), table_name="pairings")
