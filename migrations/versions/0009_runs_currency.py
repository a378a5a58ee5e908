"""Each run's currency: `runs.currency`, the ISO 4217 code its reward and bonuses are paid in,
recorded by its provider at launch (a Prolific study pays in its account's currency), so the
dashboard never adds amounts of two currencies. Existing runs were all paid in US dollars.

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("currency", sa.String(length=3), server_default="USD", nullable=False))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would break the foreign
    # keys that point at it.
    op.drop_column("runs", "currency")
