"""Run-wide review actions: a preview of exactly which assignments and how much money, and
the job a confirmed preview becomes, done in batches through the review service.

A preview is bound to what it showed: its fingerprint covers the run, the action, each item
(assignment and amount) and the newest audit-log row of the run, and it is the job's id, so
confirming the same preview twice (or at the same moment) makes one job. When the job runs,
each item is read again first: one that changed since the preview (reviewed by someone else,
its bonus changed) is skipped and reported, never acted on blindly. Every action goes through
the review service, which acts on each assignment at most once whatever runs alongside.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from crowd.base import Refused
from crowd.processes import process_is_gone
from crowd.review import ReviewRefused, ReviewResult, ReviewService, request_token
from crowd.review_rules import this_process
from datastore import MTurkDataHandler
from datastore.bulk_jobs import BulkAction, BulkJobState, ItemResult
from datastore.money import to_dollars
from datastore.records import Record
from datastore.states import ReviewOutcome

log = logging.getLogger("parley.bulk")

BATCH = 25
"""Items done between two progress records of a job."""
DEFAULT_BONUS_REASON = "Bonus"
"""The reason a bonus is paid with when the world awarded it without one."""


class PreviewChanged(Exception):
    """The confirm does not match the preview it claims to come from; the message says why."""


@dataclass(frozen=True)
class Preview:
    run_id: str
    action: BulkAction
    items: list[dict[str, Any]]
    currency: str
    as_of: int
    truncated: bool

    @property
    def total_cents(self) -> int:
        return sum(item["amount_cents"] for item in self.items)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.run_id, self.action, self.as_of, self.items)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "action": str(self.action), "title": self.action.label,
                "items": self.items, "count": len(self.items), "truncated": self.truncated,
                "money": {self.currency: self.total_cents}, "as_of": self.as_of,
                "fingerprint": self.fingerprint}


def fingerprint(run_id: str, action: str, as_of: int, items: list[dict[str, Any]]) -> str:
    """What binds a confirm to its preview (and names the job it becomes)."""
    return request_token("bulk", run_id, str(action), as_of,
                         [(i["assignment_id"], i["amount_cents"], i["reason"]) for i in items])


def progress(job: Record) -> dict[str, Any]:
    """A job as its progress page shows it: counts by result, and what was not done and why."""
    results: dict[str, dict[str, str]] = job["results"]
    counts = Counter(r["result"] for r in results.values())
    return {"id": job["id"], "run_id": job["run_id"], "action": job["action"],
            "title": BulkAction(job["action"]).label, "state": job["state"], "total": job["total"],
            "done": len(results), "counts": {str(r): counts[r] for r in ItemResult},
            "problems": [{"assignment_id": aid, **r} for aid, r in results.items()
                         if r["result"] in (ItemResult.SKIPPED, ItemResult.FAILED)],
            "created": job["created"], "finished": job["finished"]}


class BulkActions:
    def __init__(self, handler: MTurkDataHandler, review: ReviewService) -> None:
        self.handler, self.review = handler, review

    def preview(self, run_id: str, action: str) -> Preview:
        found = self.handler.bulk_candidates(run_id, action)
        return Preview(run_id, BulkAction(action), found["items"], found["currency"], found["as_of"],
                       found["truncated"])

    def confirm(self, run_id: str, action: str, *, as_of: int, items: list[dict[str, Any]],
                shown: str, actor: str) -> tuple[Record, bool]:
        """The job of the preview that showed `items` (as of audit row `as_of`) with
        fingerprint `shown`; answers (job, True) when this call must run it: it is new, or
        its process is gone, or it stopped. Raises PreviewChanged when the items are not
        what that preview showed."""
        kind = BulkAction(action)
        if not items:
            raise PreviewChanged("the preview listed nothing to do")
        if fingerprint(run_id, kind, as_of, items) != shown:
            raise PreviewChanged("this confirm does not match the preview it came from; open the preview again")
        job, created = self.handler.start_bulk_job(shown, run_id=run_id, action=kind, actor=actor, items=items,
                                                   owner=this_process())
        if created:
            return job, True
        return job, self._take_up(job)

    def _take_up(self, job: Record) -> bool:
        if job["state"] == BulkJobState.FINISHED:
            return False
        if job["state"] == BulkJobState.RUNNING:
            host, _, pid = (job["owner"] or "").rpartition(":")
            if not (pid.isdigit() and process_is_gone(host, int(pid))):
                return False
        return self.handler.take_up_bulk_job(job["id"], was=job["owner"], owner=this_process())

    def run(self, job_id: str) -> Record:
        """Do the job's items not done yet, BATCH at a time, recording each batch's results;
        answers the job as it ends. An unexpected error stops it (and is logged)."""
        job = self.handler.get_bulk_job(job_id)
        if job is None:
            raise ReviewRefused(f"there is no run-wide job {job_id!r}")
        pending = [item for item in job["items"] if item["assignment_id"] not in job["results"]]
        try:
            for start in range(0, len(pending), BATCH):
                batch = pending[start:start + BATCH]
                now = {item["assignment_id"]: item for item in self.handler.bulk_candidates(
                    job["run_id"], job["action"], [i["assignment_id"] for i in batch])["items"]}
                results = {item["assignment_id"]: self._do(job, item, now.get(item["assignment_id"]))
                           for item in batch}
                self.handler.record_bulk_results(job_id, results)
        except Exception:
            log.exception("run-wide job %s stopped", job_id)
            return self.handler.record_bulk_results(job_id, {}, state=BulkJobState.STOPPED)
        return self.handler.record_bulk_results(job_id, {}, state=BulkJobState.FINISHED)

    def _do(self, job: Record, item: dict[str, Any], now: dict[str, Any] | None) -> dict[str, str]:
        aid = item["assignment_id"]
        if now is None or (now["amount_cents"], now["reason"]) != (item["amount_cents"], item["reason"]):
            status = self.handler.get_assignment_data(aid)
            became = f"it is {status['status']} now" if status is not None else "it is gone"
            return {"result": ItemResult.SKIPPED, "message": f"changed since the preview ({became}); nothing was done"}
        try:
            result = self._act(job, item)
        except (ReviewRefused, Refused) as exc:
            return {"result": ItemResult.SKIPPED, "message": str(exc)}
        if result.outcome == ReviewOutcome.FAILED:
            return {"result": ItemResult.FAILED, "message": str(result.action["error"])}
        if result.outcome == ReviewOutcome.UNKNOWN:
            return {"result": ItemResult.FAILED, "message": "the marketplace did not answer; Parley will ask it "
                    "whether it acted before anything else is done on this assignment"}
        if result.repeated:
            return {"result": ItemResult.ALREADY_DONE, "message": "already done by an earlier request"}
        return {"result": ItemResult.DONE, "message": ""}

    def _act(self, job: Record, item: dict[str, Any]) -> ReviewResult:
        if job["action"] == BulkAction.PAY_BONUSES:
            return self.review.bonus(item["assignment_id"], to_dollars(item["amount_cents"]), actor=job["actor"],
                                     reason=item["reason"] or DEFAULT_BONUS_REASON)
        return self.review.approve(item["assignment_id"], actor=job["actor"])
