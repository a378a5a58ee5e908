"""Authenticity, continued: `messages.detector_score` (what the run's text detector, a
researcher's own callable, scored a worker's message; NULL when no detector ran), and on
`form_answers` the composition signals of each free-text answer (`signals`, by field) and
what the checks found in them (`flags`, a list of {field, flag, detail}). Existing rows keep
NULL.

Revision ID: 0018
Revises: 0017
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("detector_score", sa.Float(), nullable=True))
    op.add_column("form_answers", sa.Column("signals", sa.JSON(), nullable=True))
    op.add_column("form_answers", sa.Column("flags", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMNs (SQLite 3.35+), as 0013 and 0017: a batch copy would break foreign keys.
    op.drop_column("form_answers", "flags")
    op.drop_column("form_answers", "signals")
    op.drop_column("messages", "detector_score")
