"""Run-wide review actions in the store: which assignments each one would act on (its
preview), and the job a confirmed preview becomes, with each item's result as it is done.

The store only reads and records: the actions themselves go through the review service
(crowd/bulk.py), which acts on each assignment at most once.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from datastore.access import StoreAccess, _insert_or_get
from datastore.errors import InvalidValue, NotFound
from datastore.ledger import row_record
from datastore.models import Assignment, Pairing, Run
from datastore.models_bulk import BulkJob
from datastore.models_review import ReviewActionLog
from datastore.records import Record
from datastore.states import REVIEWABLE
from datastore.states import AssignmentStatus as S

MAX_BULK_ITEMS = 200
"""The most assignments one preview lists (and one job acts on); the rest wait for the next
preview, which the finished job's page links. The preview page shows every one of them and
its confirm form carries the list back, so the cost of both grows with it: at 1,000 the page
was three times the run page's work on a big run (bench/webapp.py), at 500 its p95 was just
over 100 ms with four readers, and at 250 that of "pay all approved bonuses" (whose items carry
their reasons) still was; at 200 each is under 100 ms (p95) there."""


class BulkAction(StrEnum):
    """A run-wide action, and what the reviewer is shown for it."""

    APPROVE_COMPLETE = "approve_complete"
    APPROVE_UNREVIEWED = "approve_unreviewed"
    PAY_BONUSES = "pay_bonuses"

    @property
    def label(self) -> str:
        return BULK_TITLES[self]


BULK_TITLES = {
    BulkAction.APPROVE_COMPLETE: "Approve all work the world marked complete",
    BulkAction.APPROVE_UNREVIEWED: "Approve all unreviewed work",
    BulkAction.PAY_BONUSES: "Pay all approved bonuses",
}


class BulkJobState(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    """Stopped by an unexpected error (logged); the items not done yet wait for a confirm of
    the same preview, which takes the job up again."""


class ItemResult(StrEnum):
    """What became of one item of a job."""

    DONE = "done"
    ALREADY_DONE = "already_done"
    SKIPPED = "skipped"
    """It changed since the preview (or the review service refused it): nothing was done."""
    FAILED = "failed"


def _scope(action: BulkAction) -> tuple[list[str], list[ColumnElement[bool]]]:
    """The assignment statuses `action` acts on, and what else their pairing must show."""
    if action == BulkAction.APPROVE_COMPLETE:
        return sorted(REVIEWABLE), [Pairing.task_outcome == S.COMPLETED]
    if action == BulkAction.APPROVE_UNREVIEWED:
        return sorted(REVIEWABLE), []
    return [S.APPROVED], [Pairing.bonus_paid.is_(False), Pairing.bonus_amount_cents > 0]


def _first_candidates(run_id: str, action: BulkAction, assignment_ids: Sequence[str] | None,
                      limit: int) -> Select[Any]:
    """The ids of the first `limit` assignments `action` acts on in the run, in id order.

    One branch per status, each reading its own stretch of the index (run_id, status,
    assignment_id) in order and stopping at `limit`, merged: on a big run this reads a few
    thousand index entries, where `status IN (...) ORDER BY assignment_id` read every
    candidate of the run (tens of thousands) and sorted them all."""
    statuses, on_pairing = _scope(action)
    if on_pairing:
        # What the pairing must show is rarer than the statuses: walk the run's pairings that
        # show it in assignment order, from their index (migration 0015: run_id with
        # task_outcome, or with bonus_paid, then assignment_id), checking each one's status,
        # and stop at `limit`, where a branch per status would check the pairing of every
        # candidate of the run.
        shown = (select(Pairing.assignment_id.label("id"))
                 .join(Assignment, Assignment.assignment_id == Pairing.assignment_id)
                 .where(Pairing.run_id == run_id, *on_pairing, Assignment.status.in_(statuses)))
        if assignment_ids is not None:
            shown = shown.where(Pairing.assignment_id.in_(list(assignment_ids)))
        return shown.order_by(Pairing.assignment_id).limit(limit)
    branches = []
    for status in statuses:
        branch = select(Assignment.assignment_id.label("id")).where(Assignment.run_id == run_id,
                                                                    Assignment.status == status)
        if on_pairing:
            branch = branch.join(Pairing, Pairing.assignment_id == Assignment.assignment_id).where(*on_pairing)
        if assignment_ids is not None:
            branch = branch.where(Assignment.assignment_id.in_(list(assignment_ids)))
        branches.append(select(branch.order_by(Assignment.assignment_id).limit(limit).subquery()))
    merged = union_all(*branches).subquery()
    return select(merged.c.id).order_by(merged.c.id).limit(limit)


class BulkJobs(StoreAccess):
    def bulk_candidates(self, run_id: str, action: str,
                        assignment_ids: Sequence[str] | None = None) -> dict[str, Any]:
        """What `action` would act on in the run now, in assignment id order (the first
        MAX_BULK_ITEMS, or only those of `assignment_ids`): `{"items": [{assignment_id,
        worker_id, status, amount_cents, reason}], "truncated", "currency", "as_of"}`, where an
        approval's amount is the run's reward and a bonus's is the bonus awarded, and `as_of`
        is the newest audit-log row of the run (a preview is bound to it)."""
        try:
            kind = BulkAction(action)
        except ValueError:
            raise InvalidValue(f"{action!r} is not a run-wide action; choose one of "
                               f"{', '.join(BulkAction)}") from None
        paying = kind == BulkAction.PAY_BONUSES
        listed = [Assignment.assignment_id, Assignment.worker_id, Assignment.status]
        # A bonus's amount and reason are its pairing's; an approval's amount is the run's
        # reward, so approvals read no pairing at all.
        query = (select(*listed, Pairing.bonus_amount_cents, Pairing.bonus_text)
                 .join(Pairing, Pairing.assignment_id == Assignment.assignment_id) if paying else select(*listed))
        query = (query.where(Assignment.assignment_id.in_(_first_candidates(run_id, kind, assignment_ids,
                                                                            MAX_BULK_ITEMS + 1)))
                 .order_by(Assignment.assignment_id))

        def read(conn: Connection) -> dict[str, Any]:
            run = conn.execute(select(Run.reward_cents, Run.currency).where(Run.run_id == run_id)).first()
            if run is None:
                raise NotFound(f"there is no run {run_id!r}")
            rows = conn.execute(query).all()
            as_of = conn.scalar(select(func.max(ReviewActionLog.id)).where(ReviewActionLog.run_id == run_id))
            items = [{"assignment_id": r[0], "worker_id": r[1], "status": r[2],
                      "amount_cents": r[3] if paying else run.reward_cents, "reason": r[4] if paying else ""}
                     for r in rows[:MAX_BULK_ITEMS]]
            return {"items": items, "truncated": len(rows) > MAX_BULK_ITEMS, "currency": run.currency,
                    "as_of": as_of or 0}

        return self._read_rows(read)  # one snapshot: the rows and the newest audit row agree

    def start_bulk_job(self, job_id: str, *, run_id: str, action: str, actor: str,
                       items: list[dict[str, Any]], owner: str) -> tuple[Record, bool]:
        """The job `job_id`, written now (True) or as an earlier confirm wrote it (False):
        of two confirms of one preview at the same moment, only one writes it."""
        now = time.time()

        def write(s: Session) -> tuple[Record, bool]:
            row = BulkJob(id=job_id, run_id=run_id, action=action, actor=actor, items=items, results={},
                          state=BulkJobState.RUNNING, owner=owner, total=len(items), created=now,
                          updated=now)
            stored = _insert_or_get(s, row, lambda: s.get(BulkJob, job_id))
            s.flush()
            return row_record(stored), stored is row

        return self._write(write)

    def take_up_bulk_job(self, job_id: str, *, was: str | None, owner: str) -> bool:
        """Make `owner` the process doing the job, if it stopped or if it is running still
        owned by `was` (a process that is gone); answers whether it did, so of two that try
        at once, one does."""

        def write(s: Session) -> bool:
            taken = s.execute(update(BulkJob).where(
                BulkJob.id == job_id,
                or_(BulkJob.state == BulkJobState.STOPPED,
                    and_(BulkJob.state == BulkJobState.RUNNING, BulkJob.owner == was)),
            ).values(owner=owner, state=BulkJobState.RUNNING, finished=None, updated=time.time())
             .returning(BulkJob.id))
            return taken.first() is not None

        return self._write(write)

    def record_bulk_results(self, job_id: str, results: dict[str, dict[str, str]],
                            *, state: str | None = None) -> Record:
        """Add these items' results to the job (and move it to `state`, if given)."""

        def write(s: Session) -> Record:
            job = s.get(BulkJob, job_id, with_for_update=True)
            if job is None:
                raise NotFound(f"there is no run-wide job {job_id!r}")
            job.results = {**job.results, **results}
            job.updated = time.time()
            if state is not None:
                job.state, job.finished = state, job.updated
            return row_record(job)

        return self._write(write)

    def get_bulk_job(self, job_id: str) -> Record | None:
        return self._read(lambda s: next((row_record(j) for j in [s.get(BulkJob, job_id)] if j is not None), None))
