"""Whom a message was shown to: `messages.recipients`, the agent ids the runner showed a
message no worker sent (the world's, a bot's) to. A world that tells each worker something
alone stores one row per worker, and one shown to several stores one row naming them, so the
review page can show each message once with its recipients, and each worker's own context.
Existing rows keep NULL: not recorded.

Revision ID: 0013
Revises: 0012
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("recipients", sa.JSON(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+), as 0009: a batch copy would break foreign keys.
    op.drop_column("messages", "recipients")
