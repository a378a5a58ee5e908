"""Authenticity of workers' messages: `messages.signals` (how the worker's page says the
message was composed: timings and counts) and `message_flags` (what the checks found in a
message, one row per message and flag). Existing messages keep NULL signals and no flags.

Revision ID: 0017
Revises: 0016
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (("run_id", "id"), ("worker_id", "run_id"))


def upgrade() -> None:
    op.add_column("messages", sa.Column("signals", sa.JSON(), nullable=True))
    op.create_table(
        "message_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=64), nullable=True),
        sa.Column("flag", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["message_pk"], ["messages.id"], name=op.f("fk_message_flags_message_pk_messages")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_message_flags_run_id_runs")),
        sa.ForeignKeyConstraint(["worker_id"], ["workers.worker_id"],
                                name=op.f("fk_message_flags_worker_id_workers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_flags")),
        sa.UniqueConstraint("message_pk", "flag", name=op.f("uq_message_flags_message_pk_flag")),
    )
    for columns in INDEXES:
        op.create_index(op.f(f"ix_message_flags_{'_'.join(columns)}"), "message_flags", list(columns))


def downgrade() -> None:
    for columns in INDEXES:
        op.drop_index(op.f(f"ix_message_flags_{'_'.join(columns)}"), table_name="message_flags")
    op.drop_table("message_flags")
    # A plain DROP COLUMN (SQLite 3.35+), as 0013: a batch copy would break foreign keys.
    op.drop_column("messages", "signals")
