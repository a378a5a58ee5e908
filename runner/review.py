"""The review service: the one way Parley approves, rejects, pays bonuses and blocks.

Each action (1) checks the state machine and its inputs, (2) writes its intent to the audit
log (`review_actions`) under an idempotency token derived from what is asked, (3) calls
the run's provider with that token, and (4) records the answer and the new state. A second
identical request finds the first one's log row and answers its result without calling the
provider again, so a double click or a retried request never moves money twice. An attempt
that failed may be tried again: it gets a new log row but the same provider token, so a
marketplace that did act on the failed call (a timeout, say) still acts only once.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from datastore import DatastoreError, MTurkDataHandler
from datastore.money import to_cents, to_dollars
from datastore.records import Record
from datastore.states import REVIEWABLE, AssignmentStatus, BlockKind, ReviewAction, ReviewOutcome
from runner.providers.base import Provider, Refused

log = logging.getLogger("parley.review")

MAX_REASON_CHARS = 1024  # MTurk's limit on RequesterFeedback and bonus reasons


class ReviewRefused(Exception):
    """The action cannot be done; the message says why, for the reviewer."""


@dataclass(frozen=True)
class ReviewResult:
    action: Record
    """The audit-log row that holds the outcome (the first one, for a repeated request)."""
    repeated: bool
    """True when an identical earlier request had already done (or is doing) this."""

    @property
    def succeeded(self) -> bool:
        return self.action["outcome"] == ReviewOutcome.SUCCEEDED


ProviderFor = Callable[[Record], Provider]


class ReviewService:
    def __init__(self, handler: MTurkDataHandler, provider_for: ProviderFor) -> None:
        """`provider_for(run)` answers the provider that runs `run` (a `get_run_data` row)."""
        self.handler, self.provider_for = handler, provider_for

    # Assignment actions ----------------------------------------------------------------

    def approve(self, assignment_id: str, *, actor: str, feedback: str | None = None,
                override_rejection: bool = False) -> ReviewResult:
        assignment, run = self._assignment(assignment_id)
        allowed = {*REVIEWABLE, AssignmentStatus.REJECTED} if override_rejection else REVIEWABLE
        if assignment["status"] == AssignmentStatus.APPROVED:
            return self._earlier(ReviewAction.APPROVE, assignment_id=assignment_id)
        self._check_status(assignment, ReviewAction.APPROVE, allowed)
        provider = self.provider_for(run)
        return self._do(
            ReviewAction.APPROVE, actor=actor, run_id=run["run_id"], assignment_id=assignment_id,
            worker_id=assignment["worker_id"], reason=_reason(feedback or "", required=False),
            key=[assignment["status"]],
            call=lambda token: provider.approve(assignment_id, feedback=feedback,
                                                override_rejection=override_rejection),
            record=lambda: self.handler.log_approve_assignment(assignment_id),
        )

    def reject(self, assignment_id: str, *, actor: str, reason: str) -> ReviewResult:
        """Reject with `reason`, which the worker is shown."""
        assignment, run = self._assignment(assignment_id)
        reason = _reason(reason, required=True, what="a rejection needs a reason the worker will see")
        if assignment["status"] == AssignmentStatus.REJECTED:
            return self._earlier(ReviewAction.REJECT, assignment_id=assignment_id)
        self._check_status(assignment, ReviewAction.REJECT, REVIEWABLE)
        provider = self.provider_for(run)
        return self._do(
            ReviewAction.REJECT, actor=actor, run_id=run["run_id"], assignment_id=assignment_id,
            worker_id=assignment["worker_id"], reason=reason, key=[],
            call=lambda token: provider.reject(assignment_id, feedback=reason),
            record=lambda: self.handler.log_reject_assignment(assignment_id, reason),
        )

    def bonus(self, assignment_id: str, amount: int | float | str, *, actor: str, reason: str) -> ReviewResult:
        """Award and pay `amount` dollars for this assignment. One bonus per assignment: the
        same bonus asked again answers the first payment; a different one is refused."""
        assignment, run = self._assignment(assignment_id)
        try:
            cents = to_cents(amount)
        except DatastoreError as exc:
            raise ReviewRefused(str(exc)) from None
        if cents == 0:
            raise ReviewRefused("a bonus must be more than $0.00")
        reason = _reason(reason, required=True, what="a bonus needs a reason the worker will see")
        if assignment["status"] not in {*REVIEWABLE, AssignmentStatus.APPROVED}:
            raise ReviewRefused(f"assignment {assignment_id} is {assignment['status']}: only finished "
                                f"work that is not rejected can get a bonus")
        worker_id = assignment["worker_id"]
        pairing = self.handler.get_worker_assignment_pairing(worker_id, assignment_id)
        if pairing is not None and pairing["bonus_paid"] and (
                pairing["bonus_amount_cents"], pairing["bonus_text"]) != (cents, reason):
            raise ReviewRefused(f"assignment {assignment_id} was already paid a bonus of "
                                f"${to_dollars(pairing['bonus_amount_cents'])}; it cannot get another")
        if pairing is not None and pairing["bonus_paid"]:
            return self._earlier(ReviewAction.BONUS, assignment_id=assignment_id)
        provider = self.provider_for(run)

        def record() -> None:
            self.handler.log_award_amount(worker_id, assignment_id, to_dollars(cents), reason)
            self.handler.log_bonus_paid(worker_id, assignment_id)

        return self._do(
            ReviewAction.BONUS, actor=actor, run_id=run["run_id"], assignment_id=assignment_id,
            worker_id=worker_id, amount_cents=cents, reason=reason, key=[cents],
            call=lambda token: provider.bonus(worker_id, assignment_id, amount_cents=cents,
                                              reason=reason, token=token),
            record=record,
        )

    # Worker actions --------------------------------------------------------------------

    def soft_block(self, worker_id: str, *, run_id: str, actor: str, reason: str,
                   qualification_name: str) -> ReviewResult:
        """Keep the worker out of tasks that require not having `qualification_name`."""
        run = self._run(run_id)
        reason = _reason(reason, required=True, what="a block needs a reason")
        if self._blocked(worker_id, "soft", run, qualification_name):
            return self._earlier(ReviewAction.SOFT_BLOCK, worker_id=worker_id)
        provider = self.provider_for(run)
        self.handler.ensure_qualification(qualification_name, run["is_sandbox"],
                                          description=f"blocked from {run['taskname']}")
        return self._do(
            ReviewAction.SOFT_BLOCK, actor=actor, run_id=run_id, assignment_id=None,
            worker_id=worker_id, reason=reason, key=[qualification_name, self._blocks(worker_id, "soft")],
            call=lambda token: provider.soft_block(worker_id, qualification_name=qualification_name,
                                                   reason=reason),
            record=lambda: self.handler.log_block(worker_id, BlockKind.SOFT, run["is_sandbox"],
                                                  reason=reason, run_id=run_id,
                                                  qualification_name=qualification_name),
        )

    def hard_block(self, worker_id: str, *, run_id: str, actor: str, reason: str) -> ReviewResult:
        """Block the worker from every task of this requester (MTurk's create_worker_block)."""
        run = self._run(run_id)
        reason = _reason(reason, required=True, what="a block needs a reason")
        if self._blocked(worker_id, "hard", run):
            return self._earlier(ReviewAction.HARD_BLOCK, worker_id=worker_id)
        provider = self.provider_for(run)
        return self._do(
            ReviewAction.HARD_BLOCK, actor=actor, run_id=run_id, assignment_id=None,
            worker_id=worker_id, reason=reason, key=[self._blocks(worker_id, "hard")],
            call=lambda token: provider.hard_block(worker_id, reason=reason),
            record=lambda: self.handler.log_block(worker_id, BlockKind.HARD, run["is_sandbox"],
                                                  reason=reason, run_id=run_id),
        )

    # The one path every action takes ---------------------------------------------------

    def _do(self, action: str, *, actor: str, run_id: str, assignment_id: str | None,
            worker_id: str, reason: str, key: list[Any], call: Callable[[str], dict[str, Any]],
            record: Callable[[], None], amount_cents: int | None = None) -> ReviewResult:
        token = request_token(action, run_id, assignment_id, worker_id, reason, *key)
        attempts = self._attempts(token)
        done = next((a for a in attempts if a["outcome"] != ReviewOutcome.FAILED), None)
        if done is not None:
            return ReviewResult(done, repeated=True)
        attempt_token = token if not attempts else f"{token}#{len(attempts) + 1}"
        row, created = self.handler.begin_review_action(
            attempt_token, action, actor=actor, worker_id=worker_id, run_id=run_id,
            assignment_id=assignment_id, reason=reason,
            amount=None if amount_cents is None else to_dollars(amount_cents))
        if not created:  # an identical request won the race to the log
            return ReviewResult(row, repeated=True)
        try:
            response = call(token)
        except Refused as exc:
            return ReviewResult(self.handler.finish_review_action(
                attempt_token, succeeded=False, error=str(exc)), repeated=False)
        except Exception as exc:
            log.exception("%s of %s failed on the provider", action, assignment_id or worker_id)
            self.handler.finish_review_action(attempt_token, succeeded=False, error=f"{type(exc).__name__}: {exc}")
            raise
        # The effect is stored before the log says it succeeded: a store that fails in
        # between leaves the row pending, never "succeeded" for a change the store lacks.
        record()
        finished = self.handler.finish_review_action(attempt_token, succeeded=True,
                                                     provider_response=_jsonable(response))
        return ReviewResult(finished, repeated=False)

    def _earlier(self, action: str, *, assignment_id: str | None = None,
                 worker_id: str | None = None) -> ReviewResult:
        """The action is already in effect: answer the audit-log row that put it there, or
        the one still pending (its effect is stored before its row says succeeded, so a
        second click can land in between)."""
        rows = [r for r in self.handler.get_review_actions(assignment_id=assignment_id, worker_id=worker_id)
                if r["action"] == action]
        for outcome in (ReviewOutcome.SUCCEEDED, ReviewOutcome.PENDING):
            done = [r for r in rows if r["outcome"] == outcome]
            if done:
                return ReviewResult(done[-1], repeated=True)
        target = assignment_id or worker_id
        raise ReviewRefused(f"{target} already has this {action.replace('_', ' ')} "
                            "(done outside Parley's review, so there is no earlier result to show)")

    def _attempts(self, token: str) -> list[Record]:
        attempts = []
        while (row := self.handler.get_review_action(
                token if not attempts else f"{token}#{len(attempts) + 1}")) is not None:
            attempts.append(row)
        return attempts

    # Lookups ---------------------------------------------------------------------------

    def _assignment(self, assignment_id: str) -> tuple[Record, Record]:
        assignment = self.handler.get_assignment_data(assignment_id)
        if assignment is None:
            raise ReviewRefused(f"there is no assignment {assignment_id!r}")
        return assignment, self._run(assignment["run_id"])

    def _run(self, run_id: str) -> Record:
        run = self.handler.get_run_data(run_id)
        if run is None:
            raise ReviewRefused(f"there is no run {run_id!r}")
        return run

    def _blocked(self, worker_id: str, kind: str, run: Record, qualification_name: str | None = None) -> bool:
        qual = (self.handler.get_qualification(qualification_name, run["is_sandbox"])
                if qualification_name else None)
        if qualification_name and qual is None:
            return False
        return any(b["kind"] == kind and b["is_sandbox"] == run["is_sandbox"]
                   and (qual is None or b["qualification_id"] == qual["id"])
                   for b in self.handler.get_blocks_for_worker(worker_id))

    def _blocks(self, worker_id: str, kind: str) -> int:
        """Blocks of `kind` the worker has had, lifted or not: part of a block's token, so a
        block after an unblock is a new action while a double click is the same one."""
        return sum(1 for b in self.handler.get_blocks_for_worker(worker_id, active_only=False)
                   if b["kind"] == kind and b["revoked"] is not None)

    @staticmethod
    def _check_status(assignment: Record, action: str, allowed: set[str] | frozenset[str]) -> None:
        status = assignment["status"]
        if status in allowed:
            return
        if action == ReviewAction.REJECT and status == AssignmentStatus.APPROVED:
            raise ReviewRefused(f"assignment {assignment['assignment_id']} is already approved; "
                                "an approved assignment cannot be rejected")
        if status == AssignmentStatus.REJECTED:
            raise ReviewRefused(f"assignment {assignment['assignment_id']} was rejected; approving it "
                                "needs override_rejection")
        raise ReviewRefused(f"assignment {assignment['assignment_id']} is {status}: only finished work "
                            "can be approved or rejected")


def request_token(*parts: Any) -> str:
    """The idempotency token of a request: the same request always gives the same token.
    64 hex characters, inside MTurk's UniqueRequestToken limit."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _reason(text: str, *, required: bool, what: str = "") -> str:
    text = (text or "").strip()
    if required and not text:
        raise ReviewRefused(what)
    if len(text) > MAX_REASON_CHARS:
        raise ReviewRefused(f"the reason is {len(text)} characters; at most {MAX_REASON_CHARS} are allowed")
    return text


def _jsonable(response: Any) -> dict[str, Any]:
    return json.loads(json.dumps(response if isinstance(response, dict) else {"response": response}, default=str))
