"""The money guard: `review_guards` holds, per assignment, the one action that owns its verdict
and the one that owns its bonus; `review_actions.owner` names the process calling the provider,
so an action whose process died is told apart from one still in flight. Existing stores get a
guard for every approve, reject and bonus already done, so the rule covers past actions too.

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOTS = {"verdict": ("approve", "reject"), "bonus": ("bonus",)}


def upgrade() -> None:
    op.create_table(
        "review_guards",
        sa.Column("assignment_id", sa.String(length=64), nullable=False),
        sa.Column("slot", sa.String(length=32), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["review_actions.id"],
                                name=op.f("fk_review_guards_action_id_review_actions")),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.assignment_id"],
                                name=op.f("fk_review_guards_assignment_id_assignments")),
        sa.PrimaryKeyConstraint("assignment_id", "slot", name=op.f("pk_review_guards")),
    )
    op.add_column("review_actions", sa.Column("owner", sa.String(length=300), nullable=True))
    for slot, actions in SLOTS.items():
        # The newest action of the slot that did not fail holds it, as it would have had the
        # guard existed when it was done.
        op.execute(sa.text(
            "INSERT INTO review_guards (assignment_id, slot, action_id, updated) "
            "SELECT assignment_id, :slot, MAX(id), MAX(created) FROM review_actions "
            "WHERE assignment_id IS NOT NULL AND outcome != 'failed' AND action IN :actions "
            "GROUP BY assignment_id"
        ).bindparams(sa.bindparam("actions", expanding=True), slot=slot, actions=list(actions)))


def downgrade() -> None:
    op.drop_table("review_guards")  # first: SQLite rebuilds review_actions, which it points at
    with op.batch_alter_table("review_actions") as batch:
        batch.drop_column("owner")
