"""`worker_presence`: one row per worker a runner serves right now, rewritten at every
heartbeat of that runner, so the live monitor of any process sharing the store shows the
workers of runs served by any runner on any machine (connected, waiting, in conversation,
stuck, disconnected) and which process serves them.

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_presence",
        sa.Column("assignment_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.String(length=100), nullable=True),
        sa.Column("turn_since", sa.Float(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("seen", sa.Float(), nullable=False),
        sa.Column("fresh_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_worker_presence")),
    )
    op.create_index(op.f("ix_worker_presence_run_id"), "worker_presence", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_worker_presence_run_id"), table_name="worker_presence")
    op.drop_table("worker_presence")
