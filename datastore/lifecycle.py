"""The writers the runner calls as work moves along: runs, HITs, each worker's assignment
from accept to review, messages, bonuses and the world's saved data.

Each writer is one transaction and checks its status change first, so a refused change
writes nothing. Writing a status an assignment already has is a no-op, which makes
retries after a crash or a double click harmless.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.orm import Session

from datastore.access import StoreAccess
from datastore.errors import IllegalTransition, InvalidValue
from datastore.hot_path import check_holder
from datastore.models import Assignment, Conversation, Hit, Message, Pairing, Run
from datastore.models_presence import WorkerPresence
from datastore.models_review import Block, OnboardingResult, ReviewActionLog
from datastore.money import currency_code, to_cents
from datastore.run_totals import ONBOARDING_PREFIX, Tally, note, note_bonus
from datastore.run_totals import forget as forget_totals
from datastore.states import LIVE, WHEN_THE_RUNNER_DIED, HitStatus, RunStatus
from datastore.states import AssignmentStatus as S

PROVIDER_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
"""A provider's name as the crowd layer registers it; the store keeps whatever name it is given."""


@dataclass(frozen=True)
class LoggedMessage:
    """What log_message stored: the row's id, and whether this call created it
    (False: the same client message was stored before, so it must not be relayed again)."""

    id: int
    created: bool


def _is_score(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1


def _check_flags(signals: dict[str, Any] | None, flags: Sequence[tuple[str, dict[str, Any]]]) -> None:
    if signals is not None:
        if not isinstance(signals, dict):
            raise InvalidValue("a message's signals must be a dict")
        _json_ready(signals, "the message's signals")
    names = [flag for flag, _ in flags]
    if len(set(names)) != len(names):
        raise InvalidValue(f"a message's flags must differ, not {names!r}")
    for flag, detail in flags:
        if not isinstance(flag, str) or not 0 < len(flag) <= 32 or not isinstance(detail, dict):
            raise InvalidValue(f"a message flag is a name of 1-32 characters and a dict, not {flag!r}")
        _json_ready(detail, f"the detail of flag {flag!r}")


def _recipients(recipients: Sequence[str] | None) -> list[str] | None:
    """Recipients as stored: a list of non-empty agent ids (None: not recorded)."""
    if recipients is None:
        return None
    if isinstance(recipients, str) or not all(isinstance(r, str) and r for r in recipients):
        raise InvalidValue("a message's recipients must be a list of agent ids")
    return list(dict.fromkeys(recipients))


def _epoch(value: Any) -> float:
    """A marketplace's answer may hold a datetime; Parley's own callers give epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def _json_ready(value: Any, what: str) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{what} cannot be stored as JSON: {exc}") from None
    return value


def last_activity(s: Session, run: Run) -> float:
    """The last time anything of the run was written: its launch, an assignment's or a HIT's
    change, a message."""
    stamps = (
        s.scalar(select(func.max(Assignment.updated)).where(Assignment.run_id == run.run_id)),
        s.scalar(select(func.max(Hit.updated)).where(Hit.run_id == run.run_id)),
        s.scalar(select(func.max(Message.created))
                 .join(Conversation, Conversation.id == Message.conversation_pk)
                 .where(Conversation.run_id == run.run_id)),
    )
    return max([run.launch_time, *(t for t in stamps if t is not None)])


class LifecycleWriters(StoreAccess):
    # Runs and HITs -----------------------------------------------------------------------

    def log_new_run(
        self,
        target_hits: int,
        taskname: str,
        run_id: str | None = None,
        *,
        provider: str = "local",
        is_sandbox: bool = False,
        is_test: bool = False,
        reward: int | float | str | Decimal = 0,
        config: dict[str, Any] | None = None,
    ) -> str:
        """Record a new run and return its id (generated from the task name if not given)."""
        if not isinstance(provider, str) or not PROVIDER_NAME.fullmatch(provider):
            raise InvalidValue(f"a provider's name is a short lower-case word, not {provider!r}")
        if not isinstance(target_hits, int) or target_hits < 0:
            raise InvalidValue("the number of conversations must be a whole number, 0 or more")
        if not taskname:
            raise InvalidValue("a run needs a task name")
        run_id = run_id or self.run_id or f"{taskname}_{int(time.time())}_{secrets.token_hex(3)}"
        reward_cents = to_cents(reward)
        _json_ready(config, "the run's config")

        def write(s: Session) -> str:
            if s.get(Run, run_id) is not None:
                raise InvalidValue(f"a run with id {run_id!r} already exists")
            s.add(
                Run(
                    run_id=run_id,
                    taskname=taskname,
                    provider=provider,
                    is_sandbox=is_sandbox,
                    is_test=is_test,
                    status=RunStatus.RUNNING,
                    maximum=target_hits,
                    reward_cents=reward_cents,
                    launch_time=time.time(),
                    config=config,
                )
            )
            return run_id

        return self._write(write)

    def log_run_currency(self, run_id: str, currency: str) -> None:
        """Record the currency the run's marketplace pays it in (a provider's launch, once it
        knows): an ISO 4217 code such as "GBP". A new run is in USD until told otherwise."""
        code = currency_code(currency)

        def write(s: Session) -> None:
            self._get_run(s, run_id).currency = code

        self._write(write)

    def log_end_run(self, run_id: str | None = None, status: str = RunStatus.COMPLETED) -> None:
        """Mark a run finished (completed, stopped by the operator, or failed)."""
        run_id = self._run_id(run_id)
        if status not in {RunStatus.COMPLETED, RunStatus.STOPPED, RunStatus.FAILED}:
            raise InvalidValue(f"a run cannot end as {status!r}")

        def write(s: Session) -> None:
            run = self._get_run(s, run_id)
            if run.status != RunStatus.RUNNING:
                if run.status == status:
                    return
                raise IllegalTransition(f"run {run_id!r} already ended as {run.status!r}")
            run.status, run.end_time = status, time.time()
            _forget_presence(s, run_id)

        self._write(write)

    def discard_unlaunched_run(self, run_id: str) -> None:
        """Remove a run whose launch was refused before anything of it reached anyone: its
        row and its HIT rows, in one transaction. Refused (IllegalTransition, nothing removed)
        when the run has ended, a worker or a review touched it, or a HIT of it is still on
        the marketplace (not disposed): such a run is kept, for the record."""

        def write(s: Session) -> None:
            run = self._get_run(s, run_id)
            if run.status != RunStatus.RUNNING:
                raise IllegalTransition(f"run {run_id!r} already ended as {run.status!r}; it is kept")
            held = [model.__tablename__ for model in (Assignment, Pairing, Conversation, OnboardingResult,
                                                      Block, ReviewActionLog)
                    if s.scalar(select(func.count()).select_from(model).where(model.run_id == run_id))]
            live_hits = s.scalar(select(func.count()).select_from(Hit).where(
                Hit.run_id == run_id, Hit.hit_status != HitStatus.DISPOSED))
            if held or live_hits:
                raise IllegalTransition(f"run {run_id!r} has {', '.join(held) or 'HITs on the marketplace'}; "
                                        "it is kept")
            s.execute(delete(Hit).where(Hit.run_id == run_id))
            forget_totals(s.connection(), run_id)
            s.delete(run)

        self._write(write)

    def log_interrupted_run(self, run_id: str, *, noticed_by: str,
                            status: str = RunStatus.INTERRUPTED) -> dict[str, Any] | None:
        """End a run whose runner died: the run becomes `status` (`interrupted`; `stopped`
        when a reviewer stopped it from the dashboard and found no runner serving it), each live assignment
        moves as WHEN_THE_RUNNER_DIED says (in the task: `interrupted`, kept for review;
        not in a task yet: `expired`), and what happened is kept in the run's config under
        "interruption": when the run last did anything (the runner died after that), when and
        by what (`noticed_by`) it was noticed, and how many assignments were interrupted and
        expired. Answers that record; None, writing nothing, when the run is not running any
        more (another process noticed first, or it ended normally)."""
        if status not in {RunStatus.INTERRUPTED, RunStatus.STOPPED}:
            raise InvalidValue(f"a run whose runner died cannot end as {status!r}")

        def write(s: Session) -> dict[str, Any] | None:
            run = self._get_run(s, run_id)
            if run.status != RunStatus.RUNNING:
                return None
            last_activity_at = last_activity(s, run)
            live = s.scalars(
                select(Assignment).where(Assignment.run_id == run_id, Assignment.status.in_(LIVE))
                .order_by(Assignment.assignment_id).with_for_update()
            ).all()
            pairings = {p.assignment_id: p for p in s.scalars(
                select(Pairing).where(Pairing.assignment_id.in_([a.assignment_id for a in live])))}
            for assignment in live:
                new_status = WHEN_THE_RUNNER_DIED[S(assignment.status)]
                pairing = pairings.get(assignment.assignment_id)
                # The task's end first, so the move counts the task as ended then.
                if (new_status == S.INTERRUPTED and pairing is not None
                        and pairing.task_start is not None and pairing.task_end is None):
                    pairing.task_end = max(pairing.task_start, last_activity_at)
                self._move(assignment, new_status)
            interrupted = [a.assignment_id for a in live if a.status == S.INTERRUPTED]
            noticed_at = time.time()
            record = {"last_activity": last_activity_at, "noticed_at": noticed_at, "noticed_by": noticed_by,
                      "interrupted": len(interrupted), "expired": len(live) - len(interrupted)}
            run.status, run.end_time = status, noticed_at
            run.config = {**(run.config or {}), "interruption": record}
            _forget_presence(s, run_id)
            return record

        return self._write(write)

    def log_hit_status(self, mturk_hit_creation_response: dict[str, Any], run_id: str | None = None) -> None:
        """Create or update a HIT from a `create_hit`/`get_hit` answer's 'HIT' part (ParlAI's
        signature, kept for its scripts; providers call `log_hit`)."""
        try:
            hit = mturk_hit_creation_response["HIT"]
            hit_id, status, expiration = hit["HITId"], hit["HITStatus"], _epoch(hit["Expiration"])
            counts = [int(hit.get(f"NumberOfAssignments{n}", 0)) for n in ("Available", "Pending", "Completed")]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidValue(f"not a HIT description: missing or bad {exc}") from None
        self.log_hit(hit_id, status, expiration=expiration, available=counts[0], pending=counts[1],
                     completed=counts[2], hit_type_id=hit.get("HITTypeId"), run_id=run_id)

    def log_hit(self, hit_id: str, status: str, *, expiration: float, available: int, pending: int = 0,
                completed: int = 0, hit_type_id: str | None = None, run_id: str | None = None) -> None:
        """Create or update one of the run's HITs (a unit of work on the provider: a HIT, a
        study's place, a local link). `status` is one of `HitStatus`."""
        run_id = self._run_id(run_id)
        if status not in set(HitStatus):
            raise InvalidValue(f"a HIT's status is one of {', '.join(HitStatus)}, not {status!r}")
        values = dict(hit_status=status, expiration=float(expiration), hit_type_id=hit_type_id,
                      assignments_pending=int(pending), assignments_available=int(available),
                      assignments_complete=int(completed))
        now = time.time()
        self._write_rows(lambda conn: self._hot.record_hit(conn, run_id, hit_id, values, now))

    # One worker's assignment ---------------------------------------------------------------

    def log_worker_accept_assignment(
        self, worker_id: str, assignment_id: str, hit_id: str, run_id: str | None = None
    ) -> None:
        """A worker accepted a HIT: worker, assignment (accepted) and pairing rows.
        Accepting the same assignment again (a page reload) changes nothing."""
        if not assignment_id:
            raise InvalidValue("an assignment id must not be empty")

        self._write_rows(lambda conn: self._hot.accept(conn, worker_id, assignment_id, hit_id, run_id,
                                                       time.time()))

    def log_start_onboard(self, worker_id: str, assignment_id: str, conversation_id: str) -> None:
        def write(s: Session) -> None:
            assignment = self._get_assignment(s, assignment_id, worker_id)
            if self._move(assignment, S.ONBOARDING):
                pairing = self._get_pairing(s, assignment_id)
                pairing.onboarding_start, pairing.onboarding_id = time.time(), conversation_id

        self._write(write)

    def log_finish_onboard(
        self,
        worker_id: str,
        assignment_id: str,
        *,
        passed: bool | None = None,
        answers: dict[str, Any] | None = None,
    ) -> None:
        """Record the onboarding result. A worker who did not fail moves on to waiting;
        one who failed stays in onboarding for the runner to block or expire."""
        _json_ready(answers, "the onboarding answers")

        def write(s: Session) -> None:
            assignment = self._get_assignment(s, assignment_id, worker_id)
            recorded = s.scalar(
                select(OnboardingResult.id).where(OnboardingResult.assignment_id == assignment_id)
            )
            if recorded is not None:
                return  # a retry of a call that already went through
            if assignment.status != S.ONBOARDING:
                raise IllegalTransition(
                    f"assignment {assignment_id} is {assignment.status!r}, not in onboarding"
                )
            pairing = self._get_pairing(s, assignment_id)
            pairing.onboarding_end = time.time()
            s.add(
                OnboardingResult(
                    run_id=assignment.run_id,
                    worker_id=worker_id,
                    assignment_id=assignment_id,
                    onboarding_id=pairing.onboarding_id,
                    passed=passed,
                    answers=answers,
                    created=pairing.onboarding_end,
                )
            )
            if passed is not False:
                self._move(assignment, S.WAITING)

        self._write(write)

    def log_waiting(self, worker_id: str, assignment_id: str) -> None:
        """A worker with no onboarding world enters the waiting pool."""
        self._set_status(worker_id, assignment_id, S.WAITING)

    def log_start_task(
        self, worker_id: str, assignment_id: str, conversation_id: str, agent_id: str | None = None
    ) -> None:
        """The worker was paired into `conversation_id` (as role `agent_id`)."""

        now = time.time()

        def write(conn: Connection) -> None:
            moved = self._hot.move(conn, assignment_id, worker_id, S.IN_TASK, now)
            if moved is not None:
                self._hot.ensure_conversation(conn, moved.run_id, conversation_id, now)
                self._hot.set_pairing(conn, assignment_id, task_start=now,
                                      conversation_id=conversation_id, agent_id=agent_id)

        self._write_rows(write)

    def log_complete_assignment(
        self,
        worker_id: str,
        assignment_id: str,
        approve_time: float | None = None,
        complete_type: str = S.COMPLETED,
    ) -> None:
        """The task world finished for this worker (`completed`, or `partner_disconnect`)."""
        if complete_type not in (S.COMPLETED, S.PARTNER_DISCONNECT):
            raise InvalidValue(f"{complete_type!r} is not a way to complete an assignment")
        self._end_task(worker_id, assignment_id, complete_type, approve_time)

    def log_disconnect_assignment(
        self,
        worker_id: str,
        assignment_id: str,
        approve_time: float | None = None,
        disconnect_type: str = S.DISCONNECT,
    ) -> None:
        """The worker left mid-task (`disconnect`, or `timeout` after going silent)."""
        if disconnect_type not in (S.DISCONNECT, S.TIMEOUT):
            raise InvalidValue(f"{disconnect_type!r} is not a kind of disconnect")
        self._end_task(worker_id, assignment_id, disconnect_type, approve_time)

    def log_return_assignment(self, worker_id: str, assignment_id: str) -> None:
        self._end_task(worker_id, assignment_id, S.RETURNED)

    def log_expire_assignment(self, worker_id: str, assignment_id: str) -> None:
        self._end_task(worker_id, assignment_id, S.EXPIRED)

    def log_release_assignment(self, worker_id: str, assignment_id: str) -> None:
        """Nobody was paired with this waiting worker in time: the run let them go."""
        self._end_task(worker_id, assignment_id, S.RELEASED)

    def log_interrupt_assignment(self, worker_id: str, assignment_id: str) -> None:
        """The run was stopped while the worker was in the task: what they did is kept for
        review (`interrupted`), and the marketplace may still report it submitted."""
        self._end_task(worker_id, assignment_id, S.INTERRUPTED)

    def log_abandon_assignment(self, worker_id: str, assignment_id: str) -> None:
        self._end_task(worker_id, assignment_id, S.ABANDONED)

    def log_submit_assignment(self, worker_id: str, assignment_id: str) -> None:
        """The worker submitted (on the marketplace's form, or with the chat page's done button)."""
        self._set_status(worker_id, assignment_id, S.SUBMITTED)

    def log_approve_assignment(self, assignment_id: str) -> None:
        self._set_status(None, assignment_id, S.APPROVED)

    def log_reject_assignment(self, assignment_id: str, reason: str | None = None) -> None:
        """Reject; `reason` is the feedback the worker is shown."""

        def write(s: Session) -> None:
            assignment = self._get_assignment(s, assignment_id)
            if self._move(assignment, S.REJECTED) and reason is not None:
                assignment.feedback = reason

        self._write(write)

    def _set_status(self, worker_id: str | None, assignment_id: str, status: str) -> None:
        now = time.time()
        self._write_rows(lambda conn: self._hot.move(conn, assignment_id, worker_id, status, now))

    def _end_task(
        self, worker_id: str, assignment_id: str, status: str, approve_time: float | None = None
    ) -> None:
        now = time.time()
        also = {"approve_time": approve_time} if approve_time is not None else {}

        def write(conn: Connection) -> None:
            if self._hot.move(conn, assignment_id, worker_id, status, now, **also) is not None:
                self._hot.end_task_time(conn, assignment_id, now, status)

        self._write_rows(write)

    # Bonuses and notes -------------------------------------------------------------------

    def log_award_amount(
        self, worker_id: str, assignment_id: str, amount: int | float | str | Decimal, reason: str
    ) -> None:
        """Set the bonus (in dollars) this assignment is owed. Refused once it was paid
        with a different amount, so a paid bonus can never silently change."""
        cents = to_cents(amount)

        def write(s: Session) -> None:
            self._get_assignment(s, assignment_id, worker_id)
            pairing = self._get_pairing(s, assignment_id)
            if pairing.bonus_paid and (cents, reason) != (pairing.bonus_amount_cents, pairing.bonus_text):
                raise IllegalTransition(
                    f"the bonus for assignment {assignment_id} was already paid; it cannot change"
                )
            note_bonus(s.connection(), pairing.run_id, (pairing.bonus_amount_cents, pairing.bonus_paid),
                       (cents, pairing.bonus_paid))
            pairing.bonus_amount_cents, pairing.bonus_text = cents, reason

        self._write(write)

    def log_bonus_paid(self, worker_id: str, assignment_id: str) -> None:
        def write(s: Session) -> None:
            self._get_assignment(s, assignment_id, worker_id)
            pairing = self._get_pairing(s, assignment_id)
            if pairing.bonus_amount_cents <= 0:
                raise IllegalTransition(
                    f"assignment {assignment_id} has no bonus awarded, so none can be paid"
                )
            note_bonus(s.connection(), pairing.run_id, (pairing.bonus_amount_cents, pairing.bonus_paid),
                       (pairing.bonus_amount_cents, True))
            pairing.bonus_paid = True

        self._write(write)

    def log_worker_note(self, worker_id: str, assignment_id: str, note: str) -> None:
        def write(s: Session) -> None:
            self._get_assignment(s, assignment_id, worker_id)
            pairing = self._get_pairing(s, assignment_id)
            pairing.notes = f"{pairing.notes}{note}\n"

        self._write(write)

    # Conversations and messages ----------------------------------------------------------

    def log_message(
        self,
        run_id: str,
        conversation_id: str,
        sender_id: str,
        message: dict[str, Any],
        *,
        worker_id: str | None = None,
        assignment_id: str | None = None,
        client_msg_id: str | None = None,
        turn_index: int | None = None,
        recipients: Sequence[str] | None = None,
        signals: dict[str, Any] | None = None,
        flags: Sequence[tuple[str, dict[str, Any]]] = (),
        detector_score: float | None = None,
    ) -> LoggedMessage:
        """Store one message durably (committed when this returns); `recipients`: the agent
        ids it was shown to, when known (see `Message.recipients`); `signals`: how a worker
        composed it, `flags`: (flag, detail) pairs the checks found in it, stored with it
        in the same transaction (see `MessageFlag`), and `detector_score`: what the run's
        text detector scored it, from 0 to 1.

        Idempotent on (assignment_id, client_msg_id): a message re-sent after a reconnect
        is stored once, and the second call answers `created=False`.
        """
        if not isinstance(message, dict):
            raise InvalidValue("a message must be a dict (an act)")
        _json_ready(message, "the message")
        if client_msg_id is not None and assignment_id is None:
            raise InvalidValue("a client message id needs the assignment it came from")
        if not sender_id:
            raise InvalidValue("a message needs a sender id")
        _check_flags(signals, flags)
        if detector_score is not None and not _is_score(detector_score):
            raise InvalidValue(f"a detector score is a number from 0 to 1, not {detector_score!r}")

        if assignment_id is not None:  # checked first: bad input must not create a conversation
            self._check_sender(run_id, assignment_id, worker_id)
        conversation_pk = self._conversation_pk(run_id, conversation_id)
        now = time.time()
        row = {"conversation_pk": conversation_pk, "sender_id": sender_id, "worker_id": worker_id,
               "assignment_id": assignment_id, "client_msg_id": client_msg_id,
               "turn_index": turn_index, "payload": message, "created": now,
               "recipients": _recipients(recipients), "signals": signals, "detector_score": detector_score}

        def write(conn: Connection) -> tuple[int, bool]:
            message_pk, created = self._hot.add_message(conn, row)
            if created and flags:
                self._hot.add_message_flags(conn, run_id, message_pk, worker_id, flags, now)
            return message_pk, created

        return LoggedMessage(*self._write_rows(write))

    def add_message_flags(self, run_id: str, message_id: int, worker_id: str | None,
                          flags: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Add what a later check found in a stored message (`message_id`, a `log_message` row
        id): a flag the message has already is left as it was, so a check may run twice."""
        _check_flags(None, flags)
        if flags:
            now = time.time()
            self._write_rows(lambda conn: self._hot.add_message_flags(conn, run_id, message_id, worker_id, flags, now))

    def set_message_recipients(self, message_id: int, recipients: Sequence[str]) -> None:
        """Record that the stored message `message_id` (a `log_message` row id) was shown to
        `recipients` (agent ids), all of them: the runner calls it when a message it stored
        for one agent is shown to another too."""
        listed = _recipients(recipients)

        def write(s: Session) -> None:
            message = s.get(Message, message_id)
            if message is None:
                raise InvalidValue(f"there is no message {message_id!r}")
            message.recipients = listed

        self._write(write)

    def _conversation_pk(self, run_id: str, conversation_id: str) -> int:
        """The conversation's row id, created if new; remembered, since it never changes."""
        key = (run_id, conversation_id)
        pk = self._known_conversations.get(key)
        if pk is None:
            now = time.time()
            pk = self._write_rows(lambda conn: self._hot.ensure_conversation(conn, run_id, conversation_id, now))
            self._known_conversations[key] = pk
        return pk

    def _check_sender(self, run_id: str, assignment_id: str, worker_id: str | None) -> None:
        """A worker's message must come from an assignment of this run held by that worker.
        An assignment's run and worker never change, so each is checked once."""
        owner = self._known_assignments.get(assignment_id)
        if owner is None:
            row = self._read_rows(lambda conn: self._hot.assignment_of(conn, assignment_id, None,
                                                                       for_update=False))
            owner = self._known_assignments[assignment_id] = (row.run_id, row.worker_id)
        check_holder(assignment_id, owner[1], worker_id)
        if owner[0] != run_id:
            raise InvalidValue(f"assignment {assignment_id!r} is not part of run {run_id!r}")

    def log_end_conversation(self, run_id: str, conversation_id: str) -> None:
        now = time.time()

        def write(conn: Connection) -> None:
            pk = self._hot.ensure_conversation(conn, run_id, conversation_id, now)
            ended = conn.execute(self._hot.end_conversation, {"pk": pk, "now": now}).rowcount
            if ended and not conversation_id.startswith(ONBOARDING_PREFIX):
                note(conn, run_id, Tally.CONVERSATIONS_DONE, "")

        self._write_rows(write)

    def save_world_data(
        self,
        prepped_save_data: dict[str, Any],
        run_id: str | None,
        conversation_id: str,
        sandbox: bool = False,
    ) -> None:
        """Keep what the world's `prep_save_data()` returned: `custom_data` on the
        conversation and each `worker_data[worker_id]` on that worker's pairing.
        (`sandbox` is accepted for ParlAI compatibility; the run already knows.)"""
        run_id = self._run_id(run_id)
        if not isinstance(prepped_save_data, dict):
            raise InvalidValue("world data must be a dict with 'custom_data' and/or 'worker_data'")
        _json_ready(prepped_save_data, "the world data")
        now = time.time()
        self._write_rows(lambda conn: self._hot.save_world(conn, run_id, conversation_id,
                                                           prepped_save_data, now))


def _forget_presence(s: Session, run_id: str) -> None:
    """An ended run has no worker present: its runner's last heartbeat rows go with it."""
    s.execute(delete(WorkerPresence).where(WorkerPresence.run_id == run_id))
