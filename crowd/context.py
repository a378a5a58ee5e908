"""The task context: what a world (and its agents) may do to and know of its workers.

Worlds never get the store. They act on a worker through that worker's `WorkerContext`
(the runner hands one to each human agent), and every action goes through the review
service, so it is audited in `review_actions`, idempotent and race-safe like a reviewer's.

Verdicts and bonuses need finished work. One asked for while the worker's assignment is
still live (during `parley()`) is checked at once (a bad reason or amount raises
`ReviewRefused` and nothing is kept), then held and carried out by the review service as
soon as the runner ends the worker's task, before `World.review_work()` is called; the
call answers None. Asked from `review_work()`, they are carried out at once and answer
the audit row's result. On a marketplace where the worker submits on its own page after
the task, the work is finished only once that submission is recorded, at the end of the
run: until then both are held (and answer None). Blocks, qualifications and messages
never wait.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crowd.review import (
    ReviewRefused,
    ReviewResult,
    ReviewService,
    bonus_request,
    rejection_request,
)
from datastore import MTurkDataHandler

__all__ = ["ReviewRefused", "TaskContext", "WorkerContext"]

log = logging.getLogger("parley.context")

ACTOR = "world"
"""Who the audit log says asked for what a world does."""


@dataclass(frozen=True)
class TaskContext:
    """One run's context: makes each worker's `WorkerContext` and answers the read-only
    questions a world may ask about a worker."""
    review: ReviewService
    handler: MTurkDataHandler
    run_id: str
    is_sandbox: bool
    block_qualification: str
    """The qualification a soft block gives (the run's; its HITs require its absence)."""

    def worker(self, worker_id: str, assignment_id: str, send: Callable[[str], None]) -> WorkerContext:
        """The context of one worker's assignment; `send(text)` shows a system message on
        their page."""
        return WorkerContext(self, worker_id, assignment_id, send)

    def qualifications(self, worker_id: str) -> dict[str, int]:
        """The qualifications the worker holds on this run's marketplace (sandbox or live),
        by name, with their values."""
        return {q["name"]: int(q["value"]) for q in self.handler.get_worker_qualifications(worker_id)
                if bool(q["is_sandbox"]) == self.is_sandbox}


class WorkerContext:
    """What a world may do to one worker on one assignment (see the module's doc)."""

    def __init__(self, task: TaskContext, worker_id: str, assignment_id: str, send: Callable[[str], None]) -> None:
        self.task, self.worker_id, self.assignment_id = task, worker_id, assignment_id
        self._send = send
        self._live = True
        self._held: list[Callable[[], ReviewResult]] = []
        self._lock = threading.Lock()

    # Verdicts and money: held while the assignment is live ------------------------------

    def approve_work(self, feedback: str | None = None) -> ReviewResult | None:
        review = self.task.review
        return self._after_work(lambda: review.approve(self.assignment_id, actor=ACTOR, feedback=feedback))

    def reject_work(self, reason: str, category: str | None = None) -> ReviewResult | None:
        """Reject with `reason`, which the worker is shown, filed under `category` where the
        run's marketplace needs one (crowd.review.rejection_request); what the marketplace
        would not take raises ReviewRefused at once."""
        run = self.task.handler.get_run_data(self.task.run_id)
        if run is None:
            raise ReviewRefused(f"there is no run {self.task.run_id!r}")
        reason, category = rejection_request(run["provider"], reason, category)
        review = self.task.review
        return self._after_work(
            lambda: review.reject(self.assignment_id, actor=ACTOR, reason=reason, category=category))

    def pay_bonus(self, amount: int | float | str, reason: str) -> ReviewResult | None:
        """Pay `amount` dollars once for this assignment (asked again: the first payment)."""
        bonus_request(amount, reason)
        review = self.task.review
        return self._after_work(lambda: review.bonus(self.assignment_id, amount, actor=ACTOR, reason=reason))

    def work_ended(self) -> list[ReviewResult]:
        """The runner ended this worker's task: carry out what was held, in the order it was
        asked. A held action the review service refuses now (the worker left, so there is no
        finished work) is logged; the others answer their results."""
        with self._lock:
            self._live, held, self._held = False, self._held, []
        results = []
        for action in held:
            try:
                results.append(action())
            except ReviewRefused as exc:
                log.warning("an action a world asked for %s was not done: %s", self.assignment_id, exc)
        return results

    def holds_requests(self) -> bool:
        """Whether verdicts or bonuses wait for `work_ended()`."""
        with self._lock:
            return bool(self._held)

    def _after_work(self, action: Callable[[], ReviewResult]) -> ReviewResult | None:
        with self._lock:
            if self._live:
                self._held.append(action)
                return None
        return action()

    # Everything else: at once ------------------------------------------------------------

    def soft_block(self, reason: str) -> ReviewResult:
        """Keep the worker out of this task (the run's block qualification)."""
        return self.task.review.soft_block(self.worker_id, run_id=self.task.run_id, actor=ACTOR, reason=reason,
                                           qualification_name=self.task.block_qualification)

    def grant_qualification(self, name: str, value: int = 1, reason: str = "granted by the task") -> ReviewResult:
        return self.task.review.grant_qualification(self.worker_id, name, value, run_id=self.task.run_id,
                                                    actor=ACTOR, reason=reason)

    def revoke_qualification(self, name: str, reason: str = "revoked by the task") -> ReviewResult:
        return self.task.review.revoke_qualification(self.worker_id, name, run_id=self.task.run_id,
                                                     actor=ACTOR, reason=reason)

    def send_message(self, text: str) -> None:
        """Show `text` on the worker's page as a system message (stored with the conversation)."""
        if not (text or "").strip():
            raise ReviewRefused("a message to a worker needs some text")
        self._send(text)

    def qualifications(self) -> dict[str, int]:
        return self.task.qualifications(self.worker_id)

    def message_flags(self) -> list[dict[str, Any]]:
        """What the runner's checks found in how this worker composed their messages in this
        run (pasted, duplicate, ...: runner/authenticity.py), each flag with its detail: what
        a world reads to act on them, since Parley itself never rejects anyone for a flag."""
        return self.task.handler.get_message_flags(self.task.run_id, self.worker_id)
