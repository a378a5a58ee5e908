"""Two indexes on pairings for the run-wide previews, (run_id, task_outcome, assignment_id) and
(run_id, bonus_paid, assignment_id, bonus_amount_cents): "approve what the world marked
complete" and "pay all approved bonuses" read the run's pairings that qualify in assignment
order and stop at the preview's cap, instead of checking the pairing of every candidate of
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

INDEXES: tuple[tuple[str, ...], ...] = (
    ("run_id", "task_outcome", "assignment_id"),
    ("run_id", "bonus_paid", "assignment_id", "bonus_amount_cents"),
)


def name(columns: tuple[str, ...]) -> str:
    return op.f(f"ix_pairings_{'_'.join(columns)}")


def upgrade() -> None:
    for columns in INDEXES:
        op.create_index(name(columns), "pairings", list(columns), unique=False)


def downgrade() -> None:
    for columns in reversed(INDEXES):
        op.drop_index(name(columns), table_name="pairings")
