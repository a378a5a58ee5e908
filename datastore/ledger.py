"""The review audit log and the money guard.

Every approve, reject, bonus and block is written here before the provider is called and
finished with what the provider answered. Approve, reject and bonus also take their
assignment's slot (verdict or bonus) in `review_guards`, in the same transaction that writes
their audit row and re-reads the assignment under a lock: that is what keeps two requests that
arrive together from both reaching the marketplace.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datastore.access import StoreAccess, _insert_or_get
from datastore.errors import IllegalTransition, InvalidValue, NotFound
from datastore.hot_path import missing_assignment
from datastore.models import Assignment, Pairing
from datastore.models_review import ReviewActionLog, ReviewGuard
from datastore.money import to_cents
from datastore.records import Record
from datastore.states import ACTION_SLOTS, UNSETTLED_OUTCOMES, ReviewAction, ReviewOutcome

Admit = Callable[[Record, dict[str, Record]], Record | None]
"""Decides, inside the claiming transaction, whether an action may go ahead: it gets the
assignment (with its pairing's bonus fields) and the action holding each of its slots, and
answers None to go ahead, a holder to answer instead (the same action asked again), or raises."""

OUTCOME_MOVES = {
    ReviewOutcome.PENDING: frozenset({ReviewOutcome.SUCCEEDED, ReviewOutcome.FAILED, ReviewOutcome.UNKNOWN}),
    ReviewOutcome.UNKNOWN: frozenset({ReviewOutcome.SUCCEEDED, ReviewOutcome.FAILED}),
}
"""How an audit row's outcome may change; succeeded and failed are final."""


def row_record(row: Any) -> Record:
    """A model instance as a Record, columns in table order."""
    return Record({c.key: getattr(row, c.key) for c in row.__table__.columns})


def attempt_token(token: str, attempt: int) -> str:
    """The audit row's token for the n-th attempt (from 1) of the request whose token is `token`."""
    return token if attempt == 1 else f"{token}#{attempt}"


def request_of(row_token: str) -> str:
    """The request's token of an audit row's token (`attempt_token` undone)."""
    return row_token.partition("#")[0]


class ReviewLedger(StoreAccess):
    def begin_review_action(
        self,
        token: str,
        action: str,
        *,
        actor: str,
        worker_id: str,
        run_id: str | None = None,
        assignment_id: str | None = None,
        amount: int | float | str | Decimal | None = None,
        reason: str = "",
        owner: str | None = None,
    ) -> tuple[Record, bool]:
        """Write the intent of a review action before the provider is called.

        Answers (row, created). When an earlier attempt of this request did not fail (it
        succeeded, or is still under way), nothing is written and that row comes back with
        created=False: the caller must not act again. After a failed attempt a new row is
        written under `token#2`, `token#3`, ...
        """
        cents = _check_action(token, action, amount)

        def write(s: Session) -> tuple[Record, bool]:
            attempts = _attempts(s, token)
            if attempts and attempts[-1].outcome != ReviewOutcome.FAILED:
                return row_record(attempts[-1]), False
            self._ensure_worker(s, worker_id)
            row = _new_row(attempt_token(token, len(attempts) + 1), action, actor, run_id, assignment_id,
                           worker_id, cents, reason, owner)
            stored = _insert_or_get(s, row, lambda: _by_token(s, row.token))
            s.flush()
            return row_record(stored), stored is row

        return self._write(write)

    def claim_review_action(
        self,
        token: str,
        action: str,
        *,
        assignment_id: str,
        admit: Admit,
        actor: str,
        reason: str = "",
        amount: int | float | str | Decimal | None = None,
        owner: str | None = None,
    ) -> tuple[Record, bool]:
        """Take the assignment's slot for `action` (approve, reject, bonus) and write its
        intent, in one transaction that holds the assignment's row.

        Answers (row, True) when this request now holds the slot and must call the provider
        with `token`; (row, False) when an identical request already did or is doing it (the
        earlier row answers). `admit` decides which, and may raise to refuse. An attempt that
        failed frees the slot; the request's next attempt is written as `token#2`, `token#3`...
        """
        cents = _check_action(token, action, amount)
        slot = ACTION_SLOTS.get(ReviewAction(action))
        if slot is None:
            raise InvalidValue(f"{action!r} does not take an assignment's slot")

        def write(s: Session) -> tuple[Record, bool]:
            assignment = s.get(Assignment, assignment_id, with_for_update=True)
            if assignment is None:
                raise missing_assignment(assignment_id)
            answer = admit(_with_pairing(s, assignment), _holders(s, assignment_id))
            if answer is not None:
                return answer, False
            attempts = _attempts(s, token)
            self._ensure_worker(s, assignment.worker_id)
            row = _new_row(attempt_token(token, len(attempts) + 1), action, actor, assignment.run_id,
                           assignment_id, assignment.worker_id, cents, reason, owner)
            s.add(row)
            s.flush()
            guard = s.get(ReviewGuard, (assignment_id, slot))
            if guard is None:
                s.add(ReviewGuard(assignment_id=assignment_id, slot=slot, action_id=row.id, updated=time.time()))
            else:
                guard.action_id, guard.updated = row.id, time.time()
            return row_record(row), True

        return self._write(write)

    def finish_review_action(
        self,
        token: str,
        *,
        outcome: str,
        provider_response: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> Record:
        """Record what became of an action: pending → succeeded, failed or unknown; unknown →
        succeeded or failed once the provider has been asked. Anything else raises."""

        def write(s: Session) -> Record:
            row = s.scalar(select(ReviewActionLog).where(ReviewActionLog.token == token).with_for_update())
            if row is None:
                raise NotFound(f"there is no review action with token {token!r}")
            if outcome not in OUTCOME_MOVES.get(ReviewOutcome(row.outcome), ()):
                raise IllegalTransition(f"review action {token!r} is {row.outcome} and cannot become {outcome}")
            row.outcome, row.finished = outcome, time.time()
            if provider_response is not None:
                row.provider_response = provider_response
            if error is not None:
                row.error = error
            return row_record(row)

        return self._write(write)

    def record_review_progress(self, token: str, step: str, detail: dict[str, Any], *,
                               after: str | None) -> bool:
        """Record that the provider call of the action `token` reached `step` (with `detail`,
        the provider's own ids), if its recorded step is still `after` (None: no step yet) and
        the action is not finished. Answers whether it was recorded: of two processes that
        would take the same next step, only one gets True, and only it may send that step."""

        def write(s: Session) -> bool:
            row = s.scalar(select(ReviewActionLog).where(ReviewActionLog.token == token).with_for_update())
            if row is None:
                raise NotFound(f"there is no review action with token {token!r}")
            if row.outcome not in UNSETTLED_OUTCOMES or (row.provider_progress or {}).get("step") != after:
                return False
            row.provider_progress = {**detail, "step": step}
            return True

        return self._write(write)

    def get_review_actions(
        self,
        *,
        assignment_id: str | None = None,
        worker_id: str | None = None,
        run_id: str | None = None,
        outcomes: tuple[str, ...] | None = None,
    ) -> list[Record]:
        """The audit log, oldest first, narrowed by any of the given ids and outcomes."""
        query = select(ReviewActionLog).order_by(ReviewActionLog.id)
        for column, value in ((ReviewActionLog.assignment_id, assignment_id),
                              (ReviewActionLog.worker_id, worker_id),
                              (ReviewActionLog.run_id, run_id)):
            if value is not None:
                query = query.where(column == value)
        if outcomes is not None:
            query = query.where(ReviewActionLog.outcome.in_(outcomes))
        return self._read(lambda s: [row_record(r) for r in s.scalars(query)])

    def get_review_action(self, token: str) -> Record | None:
        return self._read(lambda s: next((row_record(r) for r in [_by_token(s, token)] if r is not None), None))


def _check_action(token: str, action: str, amount: Any) -> int | None:
    if action not in ReviewAction._value2member_map_:
        raise InvalidValue(f"{action!r} is not a review action")
    if not token:
        raise InvalidValue("a review action needs an idempotency token")
    return None if amount is None else to_cents(amount)


def _new_row(token: str, action: str, actor: str, run_id: str | None, assignment_id: str | None,
             worker_id: str, cents: int | None, reason: str, owner: str | None) -> ReviewActionLog:
    return ReviewActionLog(
        token=token, action=action, actor=actor, run_id=run_id, assignment_id=assignment_id,
        worker_id=worker_id, amount_cents=cents, reason=reason, outcome=ReviewOutcome.PENDING,
        created=time.time(), owner=owner,
    )


def _by_token(s: Session, token: str) -> ReviewActionLog | None:
    return s.scalar(select(ReviewActionLog).where(ReviewActionLog.token == token))


def _attempts(s: Session, token: str) -> list[ReviewActionLog]:
    """Every attempt of one request, first to last (`token`, `token#2`, ...)."""
    found: list[ReviewActionLog] = []
    while (row := _by_token(s, attempt_token(token, len(found) + 1))) is not None:
        found.append(row)
    return found


def _holders(s: Session, assignment_id: str) -> dict[str, Record]:
    """The action holding each slot of the assignment, by slot."""
    rows = s.execute(select(ReviewGuard.slot, ReviewActionLog)
                     .join(ReviewActionLog, ReviewActionLog.id == ReviewGuard.action_id)
                     .where(ReviewGuard.assignment_id == assignment_id))
    return {slot: row_record(action) for slot, action in rows}


def _with_pairing(s: Session, assignment: Assignment) -> Record:
    """The assignment's row, with its pairing's bonus fields (a bonus paid outside Parley's
    review shows there and nowhere else)."""
    pairing = s.scalar(select(Pairing).where(Pairing.assignment_id == assignment.assignment_id))
    return Record({
        **row_record(assignment).as_dict(),
        "bonus_amount_cents": pairing.bonus_amount_cents if pairing is not None else 0,
        "bonus_text": pairing.bonus_text if pairing is not None else None,
        "bonus_paid": bool(pairing is not None and pairing.bonus_paid),
    })
