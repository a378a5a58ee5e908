"""Each run's totals kept as rows, `run_totals` (run, kind, key) -> n: assignments and HITs by
status, task conversations begun and ended, finished and failed assignments per hour of the
run's life, finished tasks' durations in whole seconds, and cents of bonus paid and unpaid.
The writers keep them current in the same transaction as each change (datastore/run_totals.py),
so the dashboard stops counting a run's assignments afresh, a third of a second at 100,000,
after every change. Filled here for the runs already stored, counted as datastore/run_totals.py
counts them (the status groups are written out as they stand at this revision: a migration
does not change when the code does).

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAILED = ("disconnect", "timeout", "returned", "expired", "abandoned")
FINISHED_TASK = ("completed", "partner_disconnect", "interrupted", "released", "submitted", "approved", "rejected")


def _floor_text(expression: str) -> str:
    """floor(expression) as text ("-1", "17"), the key of an hour or a duration."""
    if op.get_bind().dialect.name == "sqlite":  # CAST truncates toward zero
        return (f"CAST(CAST({expression} AS INTEGER) - (({expression}) < CAST({expression} AS INTEGER)) "
                "AS TEXT)")
    return f"CAST(CAST(floor({expression}) AS BIGINT) AS VARCHAR)"


def _quoted(statuses: Sequence[str]) -> str:
    return ", ".join(f"'{status}'" for status in statuses)


def upgrade() -> None:
    op.create_table(
        "run_totals",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_run_totals_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "kind", "key", name=op.f("pk_run_totals")),
    )
    into = "INSERT INTO run_totals (run_id, kind, key, n) "
    work = ("FROM assignments a JOIN runs r ON r.run_id = a.run_id "
            "LEFT JOIN pairings p ON p.assignment_id = a.assignment_id ")
    hour = _floor_text("(COALESCE(p.task_end, a.updated) - r.launch_time) / 3600.0")
    outcome = f"CASE WHEN a.status IN ({_quoted(FAILED)}) THEN 'failed_hour' ELSE 'completed_hour' END"
    duration = _floor_text("p.task_end - p.task_start")
    for statement in (
        "SELECT run_id, 'status', status, COUNT(*) FROM assignments GROUP BY run_id, status",
        "SELECT run_id, 'hit_status', hit_status, COUNT(*) FROM hits GROUP BY run_id, hit_status",
        "SELECT run_id, 'conversations', '', COUNT(*) FROM conversations "
        "WHERE substr(conversation_id, 1, 2) != 'o_' GROUP BY run_id",
        "SELECT run_id, 'conversations_done', '', COUNT(*) FROM conversations "
        "WHERE substr(conversation_id, 1, 2) != 'o_' AND ended IS NOT NULL GROUP BY run_id",
        f"SELECT a.run_id, {outcome}, {hour}, COUNT(*) {work}"
        f"WHERE a.status IN ({_quoted((*FAILED, *FINISHED_TASK))}) GROUP BY a.run_id, {outcome}, {hour}",
        f"SELECT a.run_id, 'duration', {duration}, COUNT(*) {work}"
        f"WHERE a.status IN ({_quoted(FINISHED_TASK)}) AND p.task_start IS NOT NULL "
        f"AND p.task_end IS NOT NULL GROUP BY a.run_id, {duration}",
        "SELECT run_id, 'bonus_cents', CASE WHEN bonus_paid THEN 'paid' ELSE 'unpaid' END, "
        "SUM(bonus_amount_cents) FROM pairings WHERE bonus_amount_cents > 0 GROUP BY run_id, bonus_paid",
    ):
        op.execute(into + statement)


def downgrade() -> None:
    op.drop_table("run_totals")
