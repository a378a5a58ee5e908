"""`pairings.task_outcome`: how the task ended for each worker (`completed` when the world
finished it with them), kept after the status moves on to submitted, so a run-wide "approve
what the world marked complete" can tell; and `bulk_jobs`: one row per run-wide action a
reviewer confirmed from a preview, with the items it is bound to and each one's result, so a
second confirm of the same preview does not start it again and its progress can be shown.
Existing pairings have no task outcome (they are never taken as marked complete).

Revision ID: 0014
Revises: 0013
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("pairings", sa.Column("task_outcome", sa.String(length=32), nullable=True))
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=300), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.Column("finished", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_bulk_jobs_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_jobs")),
    )
    op.create_index(op.f("ix_bulk_jobs_run_id_created"), "bulk_jobs", ["run_id", "created"])


def downgrade() -> None:
    op.drop_index(op.f("ix_bulk_jobs_run_id_created"), table_name="bulk_jobs")
    op.drop_table("bulk_jobs")
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would break the foreign
    # keys that point at it.
    op.drop_column("pairings", "task_outcome")
