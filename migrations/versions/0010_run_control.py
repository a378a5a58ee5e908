"""Run control from the dashboard: `runs.stop_requested_at` and `runs.stop_requested_by` (a
reviewer's stop, or an idle test run's own, which the runner serving the run polls for from
whatever process or machine it is on), and `runs.discarded_at` (a test run hidden from the
lists, its data kept). All three are empty on existing runs.

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("stop_requested_at", sa.Float(), nullable=True))
    op.add_column("runs", sa.Column("stop_requested_by", sa.String(length=32), nullable=True))
    op.add_column("runs", sa.Column("discarded_at", sa.Float(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMNs (SQLite 3.35+): a batch copy of the table would break the foreign
    # keys that point at it.
    op.drop_column("runs", "discarded_at")
    op.drop_column("runs", "stop_requested_by")
    op.drop_column("runs", "stop_requested_at")
