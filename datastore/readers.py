"""The readers: row readers answer `Record`s in ParlAI's column order (plus Parley's own
columns after them); conversation readers answer plain dicts built from the messages table
(a form task worker's view also holds their answers, `form_answers`).

Counters ParlAI stored (a run's `created`/`completed`/`failed`, a worker's `accepted`, ...)
are counted here from indexed columns, or read from the run's totals the writers keep in the
same transaction as the rows (run_totals.py), so they always agree with the rows.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from itertools import groupby
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from datastore.access import StoreAccess, first_record, records
from datastore.forms import answers_query
from datastore.models import Assignment, Conversation, Hit, Message, Pairing, Run, Worker
from datastore.models_authenticity import MessageFlag
from datastore.models_dashboard import RunTotal
from datastore.query_types import AnySelect
from datastore.records import Record
from datastore.run_totals import Tally
from datastore.states import FAILED, FINISHED_TASK
from datastore.states import AssignmentStatus as S


def _count(*where: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(Assignment).where(*where).scalar_subquery()


def _kept(kind: Tally, *keys: str) -> Any:
    """The sum of the run's kept totals (run_totals.py) of `kind`, of `keys` if given."""
    where = [RunTotal.run_id == Run.run_id, RunTotal.kind == kind]
    if keys:
        where.append(RunTotal.key.in_(keys))
    return select(func.coalesce(func.sum(RunTotal.n), 0)).where(*where).scalar_subquery()


RUN_COLUMNS: Sequence[Any] = (
    Run.run_id,
    _kept(Tally.HIT_STATUS).label("created"),
    Run.maximum,
    _kept(Tally.STATUS, *FINISHED_TASK).label("completed"),
    _kept(Tally.STATUS, *FAILED).label("failed"),
    Run.taskname,
    Run.launch_time,
    Run.end_time,
    Run.status,
    Run.provider,
    Run.is_sandbox,
    Run.is_test,
    Run.reward_cents,
    Run.config,
    Run.currency,
)

HIT_COLUMNS: Sequence[Any] = (
    Hit.hit_id,
    Hit.expiration,
    Hit.hit_status,
    Hit.assignments_pending,
    Hit.assignments_available,
    Hit.assignments_complete,
    Hit.run_id,
    Hit.hit_type_id,
    Hit.created,
    Hit.updated,
)

ASSIGNMENT_COLUMNS: Sequence[Any] = (
    Assignment.assignment_id,
    Assignment.status,
    Assignment.approve_time,
    Assignment.worker_id,
    Assignment.hit_id,
    Assignment.run_id,
    Assignment.accepted,
    Assignment.updated,
    Assignment.feedback,
)


def _worker_count(*statuses: str) -> Any:
    return _count(Assignment.worker_id == Worker.worker_id, Assignment.status.in_(statuses))


WORKER_COLUMNS: Sequence[Any] = (
    Worker.worker_id,
    select(func.count()).select_from(Assignment).where(Assignment.worker_id == Worker.worker_id)
    .scalar_subquery().label("accepted"),
    _worker_count(S.DISCONNECT, S.TIMEOUT).label("disconnected"),
    _worker_count(S.EXPIRED).label("expired"),
    _worker_count(*FINISHED_TASK).label("completed"),
    _worker_count(S.APPROVED).label("approved"),
    _worker_count(S.REJECTED).label("rejected"),
    Worker.first_seen,
    Worker.provider,
)

PAIRING_COLUMNS: Sequence[Any] = (
    Assignment.status,
    Pairing.onboarding_start,
    Pairing.onboarding_end,
    Pairing.task_start,
    Pairing.task_end,
    Pairing.conversation_id,
    Pairing.onboarding_id,
    Pairing.bonus_amount_cents,
    Pairing.bonus_text,
    Pairing.bonus_paid,
    Pairing.notes,
    Pairing.worker_id,
    Pairing.assignment_id,
    Pairing.run_id,
    Pairing.agent_id,
)


MESSAGE_COUNT: Any = (
    select(func.count()).select_from(Message)
    .where(Message.conversation_pk == Conversation.id).scalar_subquery()
)
"""A conversation's message count, read from the (conversation_pk, id) index for each row selected."""

CONVERSATION_WORKER_COLUMNS: Sequence[Any] = (
    Pairing.worker_id,
    Pairing.assignment_id,
    Pairing.agent_id,
    Assignment.status,
)


def workers_by_conversation(
    s: Session, run_id: str, conversation_ids: Sequence[str], *, with_data: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """The workers of some conversations of one run, in one query for the lot:
    `{conversation_id: [{worker_id, assignment_id, agent_id, status[, data]}, ...]}`."""
    columns = [*CONVERSATION_WORKER_COLUMNS]
    if with_data:
        columns.append(Pairing.world_data.label("data"))
    # Sorted here, not by ORDER BY: that made SQLite walk the run's (run_id, id) index over
    # every pairing of the run instead of looking up these conversations.
    query = (
        select(Pairing.id, Pairing.conversation_id, *columns)
        .join(Assignment, Assignment.assignment_id == Pairing.assignment_id)
        .where(Pairing.run_id == run_id, Pairing.conversation_id.in_(conversation_ids))
    )
    workers: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(s.execute(query), key=lambda row: row.id):
        worker = dict(row._mapping)
        del worker["id"]
        workers.setdefault(worker.pop("conversation_id"), []).append(worker)
    return workers


def _pairings(*where: ColumnElement[bool]) -> AnySelect:
    return (
        select(*PAIRING_COLUMNS)
        .join(Assignment, Assignment.assignment_id == Pairing.assignment_id)
        .where(*where)
        .order_by(Pairing.id)
    )


def message_dict(row: Message) -> dict[str, Any]:
    """A stored message as the act that was sent, plus who sent it and when, and whom it was
    shown to where that was recorded. The columns win over the payload: a worker cannot
    claim to be someone else, nor to have been shown only to some."""
    message = dict(row.payload)
    message.pop("recipients", None)
    if row.recipients is not None:
        message["recipients"] = list(row.recipients)
    message["id"] = row.sender_id
    if row.client_msg_id is not None:
        message.setdefault("message_id", row.client_msg_id)
    message.update(
        worker_id=row.worker_id,
        assignment_id=row.assignment_id,
        turn_index=row.turn_index,
        timestamp=row.created,
    )
    if row.worker_id is not None:
        message.update(signals=row.signals, flags=[flag_dict(f) for f in row.flags],
                       detector_score=row.detector_score)
    return message


def flag_dict(row: MessageFlag) -> dict[str, Any]:
    return {"flag": row.flag, "detail": row.detail, "created": row.created}


def merged_task_data(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What the context pane showed at the end: each message's task_data merged in order."""
    merged: dict[str, Any] = {}
    for message in messages:
        if isinstance(message.get("task_data"), dict):
            merged.update(message["task_data"])
    return merged


class Readers(StoreAccess):
    # Rows --------------------------------------------------------------------------------

    def get_all_run_data(
        self,
        start: int = 0,
        count: int | None = None,
        *,
        is_sandbox: bool | None = None,
        provider: str | None = None,
        include_tests: bool = True,
        status: str | None = None,
    ) -> list[Record]:
        """Every run, newest first. Filters narrow it to sandbox or live, one provider,
        real runs only (`include_tests=False`) or one status."""
        query = select(*RUN_COLUMNS).order_by(Run.launch_time.desc(), Run.run_id)
        for column, value in ((Run.is_sandbox, is_sandbox), (Run.provider, provider), (Run.status, status)):
            if value is not None:
                query = query.where(column == value)
        if not include_tests:
            query = query.where(Run.is_test.is_(False))
        query = query.offset(start).limit(count)
        return self._read(lambda s: records(s.execute(query)))

    def get_run_data(self, run_id: str) -> Record | None:
        return self._read(lambda s: first_record(s.execute(select(*RUN_COLUMNS).where(Run.run_id == run_id))))

    def get_hit_data(self, hit_id: str) -> Record | None:
        return self._read(lambda s: first_record(s.execute(select(*HIT_COLUMNS).where(Hit.hit_id == hit_id))))

    def get_hits_for_run(self, run_id: str) -> list[Record]:
        query = select(*HIT_COLUMNS).where(Hit.run_id == run_id).order_by(Hit.created, Hit.hit_id)
        return self._read(lambda s: records(s.execute(query)))

    def get_assignment_data(self, assignment_id: str) -> Record | None:
        query = select(*ASSIGNMENT_COLUMNS).where(Assignment.assignment_id == assignment_id)
        return self._read(lambda s: first_record(s.execute(query)))

    def get_assignments_for_run(self, run_id: str) -> list[Record]:
        query = (
            select(*ASSIGNMENT_COLUMNS)
            .where(Assignment.run_id == run_id)
            .order_by(Assignment.accepted, Assignment.assignment_id)
        )
        return self._read(lambda s: records(s.execute(query)))

    def get_all_assignments_for_worker(self, worker_id: str) -> list[Record]:
        query = (
            select(*ASSIGNMENT_COLUMNS)
            .where(Assignment.worker_id == worker_id)
            .order_by(Assignment.accepted, Assignment.assignment_id)
        )
        return self._read(lambda s: records(s.execute(query)))

    def get_worker_data(self, worker_id: str) -> Record | None:
        query = select(*WORKER_COLUMNS).where(Worker.worker_id == worker_id)
        return self._read(lambda s: first_record(s.execute(query)))

    def get_pairings_for_run(self, run_id: str) -> list[Record]:
        return self._read(lambda s: records(s.execute(_pairings(Pairing.run_id == run_id))))

    def get_pairings_for_conversation(self, run_id: str, conversation_id: str) -> list[Record]:
        query = _pairings(Pairing.run_id == run_id, Pairing.conversation_id == conversation_id)
        return self._read(lambda s: records(s.execute(query)))

    def get_pairings_for_assignment(self, assignment_id: str) -> list[Record]:
        query = _pairings(Pairing.assignment_id == assignment_id)
        return self._read(lambda s: records(s.execute(query)))

    def get_all_pairings_for_worker(self, worker_id: str) -> list[Record]:
        return self._read(lambda s: records(s.execute(_pairings(Pairing.worker_id == worker_id))))

    def get_worker_assignment_pairing(self, worker_id: str, assignment_id: str) -> Record | None:
        query = _pairings(Pairing.worker_id == worker_id, Pairing.assignment_id == assignment_id)
        return self._read(lambda s: first_record(s.execute(query)))

    def get_conversations_for_run(
        self, run_id: str, after: str | None = None, limit: int | None = None
    ) -> list[Record]:
        """Conversations of a run in id order, a page at a time: pass the last
        `conversation_id` of one page as `after` to get the next (keyset pagination)."""
        query = (
            select(
                Conversation.conversation_id,
                Conversation.run_id,
                Conversation.started,
                Conversation.ended,
                MESSAGE_COUNT.label("message_count"),
            )
            .where(Conversation.run_id == run_id)
            .order_by(Conversation.conversation_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Conversation.conversation_id > after)
        return self._read(lambda s: records(s.execute(query)))

    # Conversations -----------------------------------------------------------------------

    def get_message_flags(self, run_id: str, worker_id: str | None = None) -> list[dict[str, Any]]:
        """The flags of a run's messages (of one worker's, if named), in the order stored:
        each with its message's row id (`message_pk`), conversation and worker."""
        query = (
            select(MessageFlag, Conversation.conversation_id)
            .join(Message, Message.id == MessageFlag.message_pk)
            .join(Conversation, Conversation.id == Message.conversation_pk)
            .where(MessageFlag.run_id == run_id)
            .order_by(MessageFlag.id)
        )
        if worker_id is not None:
            query = query.where(MessageFlag.worker_id == worker_id)
        return self._read(lambda s: [
            {**flag_dict(flag), "message_pk": flag.message_pk, "worker_id": flag.worker_id,
             "conversation_id": conversation_id}
            for flag, conversation_id in s.execute(query)])

    def get_worker_texts(self, run_id: str) -> list[dict[str, Any]]:
        """The text of every message a worker of the run sent, in the order stored: each with
        its row id (`message_pk`), worker and conversation (what the duplicate check reads)."""
        query = (
            select(Message.id, Message.worker_id, Message.payload, Conversation.conversation_id)
            .join(Conversation, Conversation.id == Message.conversation_pk)
            .where(Conversation.run_id == run_id, Message.worker_id.is_not(None))
            .order_by(Message.id)
        )
        return self._read(lambda s: [
            {"message_pk": pk, "worker_id": worker_id, "conversation_id": conversation_id,
             "text": payload.get("text") if isinstance(payload.get("text"), str) else ""}
            for pk, worker_id, payload, conversation_id in s.execute(query)])

    def get_messages(self, run_id: str, conversation_id: str) -> list[dict[str, Any]]:
        """Every message of a conversation, in the order the store received them."""
        query = (
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_pk)
            .where(Conversation.run_id == run_id, Conversation.conversation_id == conversation_id)
            .order_by(Message.id)
        )
        return self._read(lambda s: [message_dict(m) for m in s.scalars(query)])

    def get_conversation_data(
        self, run_id: str, conversation_id: str, worker_id: str, is_sandbox: bool
    ) -> dict[str, Any] | None:
        """One worker's view of a conversation: `{'data': {'messages', 'task_data',
        'custom_data', 'agent_id', ...}, ...}`; None when nothing is stored for it, or when
        the run is not of the kind asked for (sandbox vs live)."""

        def read(s: Session) -> dict[str, Any] | None:
            conversation = self._conversation_of_kind(s, run_id, conversation_id, is_sandbox)
            if conversation is None:
                return None
            pairing = s.scalar(
                select(Pairing).where(
                    Pairing.run_id == run_id,
                    Pairing.conversation_id == conversation_id,
                    Pairing.worker_id == worker_id,
                )
            )
            if pairing is None:
                return None
            messages = [message_dict(m) for m in s.scalars(
                select(Message).where(Message.conversation_pk == conversation.id).order_by(Message.id)
            )]
            data = dict(pairing.world_data or {})
            data.update(
                worker_id=worker_id,
                agent_id=pairing.agent_id,
                assignment_id=pairing.assignment_id,
                messages=messages,
                task_data=merged_task_data(messages),
                custom_data=conversation.custom_data,
            )
            run = s.get(Run, run_id)
            if run is not None and (run.config or {}).get("form") is not None:  # a form task's worker
                data["form_answers"] = [dict(answer) for answer in records(s.execute(
                    answers_query(run_id, assignment_id=pairing.assignment_id)))]
            return {
                "run_id": run_id,
                "conversation_id": conversation_id,
                "worker_id": worker_id,
                "is_sandbox": bool(is_sandbox),
                "data": data,
            }

        return self._read(read)

    def get_full_conversation_data(
        self, run_id: str, conversation_id: str, is_sandbox: bool
    ) -> dict[str, Any] | None:
        """The whole conversation: every message, every worker, the world's custom data."""

        def read(s: Session) -> dict[str, Any] | None:
            conversation = self._conversation_of_kind(s, run_id, conversation_id, is_sandbox)
            if conversation is None:
                return None
            return next(self._full_conversations(s, [conversation]))

        return self._read(read)

    def iter_full_conversations(self, run_id: str, batch: int = 200) -> Iterator[dict[str, Any]]:
        """Every conversation of a run as `get_full_conversation_data` shapes it, read a
        batch at a time so a run of any size streams in constant memory."""
        after = ""
        while page := self._read(partial(self._conversation_page, run_id=run_id, after=after, batch=batch)):
            yield from page
            after = page[-1]["conversation_id"]

    # Helpers -----------------------------------------------------------------------------

    @classmethod
    def _conversation_page(
        cls, s: Session, run_id: str, after: str, batch: int
    ) -> list[dict[str, Any]]:
        page = list(s.scalars(
            select(Conversation)
            .where(Conversation.run_id == run_id, Conversation.conversation_id > after)
            .order_by(Conversation.conversation_id)
            .limit(batch)
        ))
        return list(cls._full_conversations(s, page)) if page else []

    @staticmethod
    def _conversation_of_kind(
        s: Session, run_id: str, conversation_id: str, is_sandbox: bool
    ) -> Conversation | None:
        run = s.get(Run, run_id)
        if run is None or run.is_sandbox != bool(is_sandbox):
            return None
        return s.scalar(
            select(Conversation).where(
                Conversation.run_id == run_id, Conversation.conversation_id == conversation_id
            )
        )

    @staticmethod
    def _full_conversations(s: Session, conversations: list[Conversation]) -> Iterator[dict[str, Any]]:
        """Shape conversations of one run with two queries for the lot, not two per conversation."""
        run = s.get(Run, conversations[0].run_id)
        assert run is not None
        by_pk = {c.id: c for c in conversations}
        messages = {
            pk: [message_dict(m) for m in rows]
            for pk, rows in groupby(
                s.scalars(select(Message).where(Message.conversation_pk.in_(by_pk))
                          .order_by(Message.conversation_pk, Message.id)),
                key=lambda m: m.conversation_pk,
            )
        }
        workers = workers_by_conversation(
            s, run.run_id, [c.conversation_id for c in conversations], with_data=True
        )
        for conversation in conversations:
            yield {
                "conversation_id": conversation.conversation_id,
                "run_id": run.run_id,
                "taskname": run.taskname,
                "provider": run.provider,
                "is_sandbox": run.is_sandbox,
                "started": conversation.started,
                "ended": conversation.ended,
                "messages": messages.get(conversation.id, []),
                "workers": workers.get(conversation.conversation_id, []),
                "custom_data": conversation.custom_data,
            }
