"""Core tables: runs, workers, hits, assignments, pairings, conversations, messages.

Revision ID: 0001
Revises:
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=64)


def fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}")
    )


def index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("taskname", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("is_sandbox", sa.Boolean(), nullable=False),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=False),
        sa.Column("reward_cents", sa.Integer(), nullable=False),
        sa.Column("launch_time", sa.Float(), nullable=False),
        sa.Column("end_time", sa.Float(), nullable=True),
        sa.Column("config", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )
    index("runs", "launch_time")
    index("runs", "provider", "is_sandbox", "status")
    index("runs", "taskname", "launch_time")

    op.create_table(
        "workers",
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("first_seen", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_workers")),
    )

    op.create_table(
        "hits",
        sa.Column("hit_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("hit_type_id", ID, nullable=True),
        sa.Column("hit_status", sa.String(length=32), nullable=False),
        sa.Column("expiration", sa.Float(), nullable=False),
        sa.Column("assignments_pending", sa.Integer(), nullable=False),
        sa.Column("assignments_available", sa.Integer(), nullable=False),
        sa.Column("assignments_complete", sa.Integer(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        fk("run_id", "runs.run_id", "hits"),
        sa.PrimaryKeyConstraint("hit_id", name=op.f("pk_hits")),
    )
    index("hits", "run_id")

    op.create_table(
        "assignments",
        sa.Column("assignment_id", ID, nullable=False),
        sa.Column("hit_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("accepted", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.Column("approve_time", sa.Float(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        fk("hit_id", "hits.hit_id", "assignments"),
        fk("run_id", "runs.run_id", "assignments"),
        fk("worker_id", "workers.worker_id", "assignments"),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_assignments")),
    )
    index("assignments", "hit_id")
    index("assignments", "run_id", "status")
    index("assignments", "worker_id", "status")

    op.create_table(
        "pairings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assignment_id", ID, nullable=False),
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("onboarding_id", ID, nullable=True),
        sa.Column("onboarding_start", sa.Float(), nullable=True),
        sa.Column("onboarding_end", sa.Float(), nullable=True),
        sa.Column("task_start", sa.Float(), nullable=True),
        sa.Column("task_end", sa.Float(), nullable=True),
        sa.Column("conversation_id", ID, nullable=True),
        sa.Column("agent_id", sa.String(length=100), nullable=True),
        sa.Column("bonus_amount_cents", sa.Integer(), nullable=False),
        sa.Column("bonus_text", sa.Text(), nullable=False),
        sa.Column("bonus_paid", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("world_data", sa.JSON(), nullable=True),
        fk("assignment_id", "assignments.assignment_id", "pairings"),
        fk("run_id", "runs.run_id", "pairings"),
        fk("worker_id", "workers.worker_id", "pairings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairings")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_pairings_assignment_id")),
    )
    index("pairings", "run_id", "conversation_id")
    index("pairings", "run_id", "id")
    index("pairings", "worker_id")

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("conversation_id", ID, nullable=False),
        sa.Column("started", sa.Float(), nullable=False),
        sa.Column("ended", sa.Float(), nullable=True),
        sa.Column("custom_data", sa.JSON(), nullable=True),
        fk("run_id", "runs.run_id", "conversations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint(
            "run_id", "conversation_id", name=op.f("uq_conversations_run_id_conversation_id")
        ),
    )

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_pk", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=100), nullable=False),
        sa.Column("worker_id", ID, nullable=True),
        sa.Column("assignment_id", ID, nullable=True),
        sa.Column("client_msg_id", ID, nullable=True),
        sa.Column("turn_index", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        fk("assignment_id", "assignments.assignment_id", "messages"),
        fk("conversation_pk", "conversations.id", "messages"),
        fk("worker_id", "workers.worker_id", "messages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint(
            "assignment_id", "client_msg_id", name=op.f("uq_messages_assignment_id_client_msg_id")
        ),
    )
    index("messages", "conversation_pk", "id")
    index("messages", "worker_id")


def downgrade() -> None:
    for table in ("messages", "conversations", "pairings", "assignments", "hits", "workers", "runs"):
        op.drop_table(table)
