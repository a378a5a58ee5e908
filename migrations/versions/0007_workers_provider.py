"""Each worker's marketplace: `workers.provider`, the provider whose id `worker_id` is (a
HIT's worker, a study's participant), so the store can hold workers of several marketplaces
and tell them apart. Existing workers get the provider of the first run they accepted work in.

Revision ID: 0007
Revises: 0006
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("workers", sa.Column("provider", sa.String(length=16), nullable=True))
    op.execute(sa.text(
        "UPDATE workers SET provider = ("
        " SELECT runs.provider FROM assignments JOIN runs ON runs.run_id = assignments.run_id"
        " WHERE assignments.worker_id = workers.worker_id"
        " ORDER BY assignments.accepted, assignments.assignment_id LIMIT 1)"
    ))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would break the foreign
    # keys that point at it.
    op.drop_column("workers", "provider")
