"""Tables around the work: onboarding results, qualifications, blocks, the review audit
log and daily working time.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=64)


def fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}")
    )


def index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    op.create_table(
        "onboarding",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("assignment_id", ID, nullable=False),
        sa.Column("onboarding_id", ID, nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("created", sa.Float(), nullable=False),
        fk("assignment_id", "assignments.assignment_id", "onboarding"),
        fk("run_id", "runs.run_id", "onboarding"),
        fk("worker_id", "workers.worker_id", "onboarding"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_onboarding_assignment_id")),
    )
    index("onboarding", "run_id")
    index("onboarding", "worker_id")

    op.create_table(
        "qualifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_sandbox", sa.Boolean(), nullable=False),
        sa.Column("provider_qual_id", ID, nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualifications")),
        sa.UniqueConstraint("name", "is_sandbox", name=op.f("uq_qualifications_name_is_sandbox")),
    )

    op.create_table(
        "worker_qualifications",
        sa.Column("qualification_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Float(), nullable=False),
        fk("qualification_id", "qualifications.id", "worker_qualifications"),
        fk("worker_id", "workers.worker_id", "worker_qualifications"),
        sa.PrimaryKeyConstraint(
            "qualification_id", "worker_id", name=op.f("pk_worker_qualifications")
        ),
    )
    index("worker_qualifications", "worker_id")

    op.create_table(
        "blocks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("is_sandbox", sa.Boolean(), nullable=False),
        sa.Column("qualification_id", sa.Integer(), nullable=True),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("revoked", sa.Float(), nullable=True),
        fk("qualification_id", "qualifications.id", "blocks"),
        fk("run_id", "runs.run_id", "blocks"),
        fk("worker_id", "workers.worker_id", "blocks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks")),
    )
    index("blocks", "worker_id", "kind")

    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("run_id", ID, nullable=True),
        sa.Column("assignment_id", ID, nullable=True),
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("provider_response", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("finished", sa.Float(), nullable=True),
        fk("assignment_id", "assignments.assignment_id", "review_actions"),
        fk("run_id", "runs.run_id", "review_actions"),
        fk("worker_id", "workers.worker_id", "review_actions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_actions")),
        sa.UniqueConstraint("token", name=op.f("uq_review_actions_token")),
    )
    index("review_actions", "assignment_id", "id")
    index("review_actions", "run_id", "id")
    index("review_actions", "worker_id", "id")

    op.create_table(
        "working_time",
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        fk("worker_id", "workers.worker_id", "working_time"),
        sa.PrimaryKeyConstraint("worker_id", "day", name=op.f("pk_working_time")),
    )


def downgrade() -> None:
    for table in ("working_time", "review_actions", "blocks", "worker_qualifications",
                  "qualifications", "onboarding"):
        op.drop_table(table)
