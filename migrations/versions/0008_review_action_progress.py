"""`review_actions.provider_progress`: how far a provider call of several steps got (a bulk
bonus set up but not yet paid), written before the next step is sent, so the next start can
finish an interrupted call from where it stopped. Existing rows have none.

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("review_actions", sa.Column("provider_progress", sa.JSON(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would break the foreign
    # keys that point at it.
    op.drop_column("review_actions", "provider_progress")
