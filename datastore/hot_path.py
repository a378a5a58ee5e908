"""What a live run asks of the store for every worker and every message, as SQL expressions
on a plain connection instead of ORM sessions: at a thousand workers the ORM's per-call Python
(a session, identity map, flush, savepoints) was most of the runner's time in the store, and
each of these happens once or more per worker (bench/load.py, BENCHMARKS.md).

`HotPath` holds the statements, built once per database dialect, and the steps the handler's
writers (lifecycle.py, worker_admin.py) compose inside one write transaction. They check what
the ORM writers check, with the same sentences: the state machine decides every status change,
an assignment must belong to the worker named, a HIT to the run named. And they tell the
run's totals (run_totals.py) what each change adds and takes away.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from datastore.errors import InvalidValue, NotFound
from datastore.models import Assignment, Conversation, Hit, Message, Pairing, Run, Worker
from datastore.models_authenticity import MessageFlag
from datastore.models_review import Block, WorkingTime
from datastore.query_types import AnyRow
from datastore.run_totals import (
    FACTS_COLUMNS,
    FACTS_FROM,
    ONBOARDING_PREFIX,
    AssignmentFacts,
    Tally,
    facts,
    note,
    note_assignment,
)
from datastore.states import AssignmentStatus as S
from datastore.states import transition_needed

RUNS: Table = Run.__table__  # type: ignore[assignment]
HITS: Table = Hit.__table__  # type: ignore[assignment]
ASSIGNMENTS: Table = Assignment.__table__  # type: ignore[assignment]
PAIRINGS: Table = Pairing.__table__  # type: ignore[assignment]
CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
MESSAGES: Table = Message.__table__  # type: ignore[assignment]
MESSAGE_FLAGS: Table = MessageFlag.__table__  # type: ignore[assignment]
WORKING_TIME: Table = WorkingTime.__table__  # type: ignore[assignment]
WORKERS: Table = Worker.__table__  # type: ignore[assignment]
BLOCKS: Table = Block.__table__  # type: ignore[assignment]


def missing_assignment(assignment_id: str) -> NotFound:
    return NotFound(f"there is no assignment {assignment_id!r}")


def check_holder(assignment_id: str, holder: str, worker_id: str | None) -> None:
    """Refuse a write that names a worker other than the one holding the assignment."""
    if worker_id is not None and holder != worker_id:
        raise InvalidValue(
            f"assignment {assignment_id!r} belongs to worker {holder!r}, not {worker_id!r}"
        )


def _upsert(dialect: str) -> Any:
    return sqlite_insert if dialect == "sqlite" else postgresql_insert


def _insert_unless_exists(dialect: str, table: Table, *unique: str) -> Any:
    """INSERT that does nothing when a row with the same `unique` columns exists (its
    RETURNING then gives no row): one statement instead of look-then-insert."""
    return _upsert(dialect)(table).on_conflict_do_nothing(index_elements=list(unique))


@cache
def hot_path(dialect: str) -> HotPath:
    """The statements for `dialect` ("sqlite" or "postgresql"), built once per process."""
    return HotPath(dialect)


class HotPath:
    """Statements built once (building and caching a statement per call cost more than
    running it), and the steps made of them. Every step runs inside the caller's write
    transaction, so a step that raises leaves nothing behind."""

    def __init__(self, dialect: str) -> None:
        a, p, c, m, t = ASSIGNMENTS, PAIRINGS, CONVERSATIONS, MESSAGES, WORKING_TIME
        hits, runs = HITS.c, RUNS.c
        self.hit_run_and_provider = (select(hits.run_id, runs.provider, runs.launch_time)
                                     .join(RUNS, runs.run_id == hits.run_id)
                                     .where(hits.hit_id == bindparam("hit_id")))
        self.name_workers_provider = (update(WORKERS).where(WORKERS.c.worker_id == bindparam("w_id"),
                                                            WORKERS.c.provider.is_(None))
                                      .values(provider=bindparam("provider")))
        self.hit_for_update = select(hits.run_id, hits.hit_status).where(
            hits.hit_id == bindparam("hit_id")).with_for_update()
        self.add_hit = insert(HITS)
        self.set_hit = update(HITS).where(hits.hit_id == bindparam("h_id"))
        self.run_exists = select(runs.run_id).where(runs.run_id == bindparam("run_id"))
        self.assignment = select(a.c.run_id, a.c.worker_id, a.c.hit_id, a.c.status).where(
            a.c.assignment_id == bindparam("a_id"))
        # Locks the row on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the store.
        self.assignment_for_update = self.assignment.with_for_update()
        # The same, with what the run's totals need to know of it.
        self.assignment_facts_for_update = (
            select(a.c.worker_id, a.c.hit_id, *FACTS_COLUMNS).select_from(FACTS_FROM)
            .where(a.c.assignment_id == bindparam("a_id")).with_for_update(of=a))
        blocks = BLOCKS.c
        self.blocks = select(BLOCKS).where(blocks.worker_id == bindparam("worker_id")).order_by(blocks.id)
        self.active_blocks = self.blocks.where(blocks.revoked.is_(None))
        # SET comes from the parameters given with each call, besides a_id.
        self.set_assignment = update(a).where(a.c.assignment_id == bindparam("a_id"))
        self.set_pairing_values = update(p).where(p.c.assignment_id == bindparam("a_id"))
        self.end_pairing_task = self.set_pairing_values.values(task_end=case(
            (and_(p.c.task_start.is_not(None), p.c.task_end.is_(None)), bindparam("now")),
            else_=p.c.task_end,
        ), task_outcome=func.coalesce(p.c.task_outcome, bindparam("outcome")))
        self.add_assignment = insert(a)
        self.add_pairing = insert(p)
        self.add_worker = _insert_unless_exists(dialect, WORKERS, "worker_id")
        self.conversation_pk = select(c.c.id).where(
            c.c.run_id == bindparam("run_id"), c.c.conversation_id == bindparam("c_id"))
        self.add_conversation = _insert_unless_exists(
            dialect, c, "run_id", "conversation_id").returning(c.c.id)
        self.set_custom_data = update(c).where(c.c.id == bindparam("pk"))
        self.set_world_data = update(p).where(
            p.c.run_id == bindparam("r_id"), p.c.conversation_id == bindparam("c_id"),
            p.c.worker_id == bindparam("w_id"))
        self.end_conversation = (
            update(c).where(c.c.id == bindparam("pk"), c.c.ended.is_(None))
            .values(ended=bindparam("now"))
        )
        self.add_message_stmt = insert(m).returning(m.c.id)
        self.add_message_unless_sent = _insert_unless_exists(
            dialect, m, "assignment_id", "client_msg_id").returning(m.c.id)
        self.add_flags = _insert_unless_exists(dialect, MESSAGE_FLAGS, "message_pk", "flag")
        self.sent_message = select(m.c.id).where(
            m.c.assignment_id == bindparam("a_id"), m.c.client_msg_id == bindparam("cid"))
        upsert = _upsert(dialect)(t)
        self.add_working_time = upsert.on_conflict_do_update(
            index_elements=[t.c.worker_id, t.c.day],
            set_={"seconds": t.c.seconds + upsert.excluded.seconds},
        ).returning(t.c.seconds)

    # Messages ---------------------------------------------------------------------------------

    def add_message(self, conn: Connection, row: dict[str, Any]) -> tuple[int, bool]:
        """Store a message row (every column but its id): its id, and False when the same
        client message of the same assignment was stored before (then nothing is written)."""
        if row["client_msg_id"] is None:
            return conn.execute(self.add_message_stmt, row).scalar_one(), True
        new_id = conn.execute(self.add_message_unless_sent, row).scalar()
        if new_id is not None:
            return new_id, True
        earlier = conn.execute(self.sent_message, {"a_id": row["assignment_id"], "cid": row["client_msg_id"]})
        return earlier.scalar_one(), False

    def add_message_flags(self, conn: Connection, run_id: str, message_pk: int, worker_id: str | None,
                          flags: Sequence[tuple[str, dict[str, Any]]], now: float) -> None:
        """Store what the checks found in a message (a flag it has already is left as it was)."""
        conn.execute(self.add_flags, [
            {"run_id": run_id, "message_pk": message_pk, "worker_id": worker_id, "flag": flag,
             "detail": detail, "created": now} for flag, detail in flags])

    # HITs -------------------------------------------------------------------------------------

    def record_hit(self, conn: Connection, run_id: str, hit_id: str, values: dict[str, Any],
                   now: float) -> None:
        """Create the run's HIT with `values`, or update it."""
        if conn.execute(self.run_exists, {"run_id": run_id}).first() is None:
            raise NotFound(f"there is no run {run_id!r}")
        hit = conn.execute(self.hit_for_update, {"hit_id": hit_id}).first()
        if hit is None:
            conn.execute(self.add_hit, {"hit_id": hit_id, "run_id": run_id, "created": now,
                                        "updated": now, **values})
        elif hit.run_id != run_id:
            raise InvalidValue(f"HIT {hit_id!r} belongs to run {hit.run_id!r}, not {run_id!r}")
        else:
            conn.execute(self.set_hit, {"h_id": hit_id, "updated": now, **values})
            note(conn, run_id, Tally.HIT_STATUS, hit.hit_status, -1)
        note(conn, run_id, Tally.HIT_STATUS, values["hit_status"])

    # One worker's assignment ---------------------------------------------------------------

    def assignment_of(self, conn: Connection, assignment_id: str, worker_id: str | None,
                      *, for_update: bool = True) -> AnyRow:
        """(run_id, worker_id, hit_id, status) of the assignment, held by `worker_id` if given."""
        query = self.assignment_for_update if for_update else self.assignment
        row = conn.execute(query, {"a_id": assignment_id}).first()
        if row is None:
            raise missing_assignment(assignment_id)
        check_holder(assignment_id, row.worker_id, worker_id)
        return row

    def move(self, conn: Connection, assignment_id: str, worker_id: str | None, status: str,
             now: float, **columns: Any) -> AnyRow | None:
        """Move the assignment to `status` (with `columns` set alongside) as the state machine
        allows: the row as it was before, or None when it already had `status`."""
        row = conn.execute(self.assignment_facts_for_update, {"a_id": assignment_id}).first()
        if row is None:
            raise missing_assignment(assignment_id)
        check_holder(assignment_id, row.worker_id, worker_id)
        if not transition_needed(assignment_id, row.status, status):
            return None
        conn.execute(self.set_assignment,
                     {"a_id": assignment_id, "status": status, "updated": now, **columns})
        before = AssignmentFacts.of(row)
        note_assignment(conn, before, replace(before, status=status, updated=now))
        return row

    def set_pairing(self, conn: Connection, assignment_id: str, **values: Any) -> None:
        self._one_pairing(conn, self.set_pairing_values, {"a_id": assignment_id, **values})

    def end_task_time(self, conn: Connection, assignment_id: str, now: float, outcome: str) -> None:
        """The task ends now for this assignment, if it began and has not ended; `outcome`
        (the status it ended with) is kept unless an earlier ending was."""
        before = facts(conn, assignment_id)
        self._one_pairing(conn, self.end_pairing_task, {"a_id": assignment_id, "now": now, "outcome": outcome})
        if before is not None and before.task_start is not None and before.task_end is None:
            note_assignment(conn, before, replace(before, task_end=now))

    @staticmethod
    def _one_pairing(conn: Connection, statement: Any, params: dict[str, Any]) -> None:
        if conn.execute(statement, params).rowcount != 1:
            # Only possible in a store written by something else.
            raise NotFound(f"assignment {params['a_id']!r} has no pairing")

    def accept(self, conn: Connection, worker_id: str, assignment_id: str, hit_id: str,
               run_id: str | None, now: float) -> None:
        """The worker's assignment (accepted) and pairing rows; nothing when the same worker
        accepted the same assignment before (a page reload)."""
        found = conn.execute(self.hit_run_and_provider, {"hit_id": hit_id}).first()
        if found is None:
            raise NotFound(f"there is no HIT {hit_id!r}")
        hit_run, provider, launch_time = found
        if run_id is not None and hit_run != run_id:
            raise InvalidValue(f"HIT {hit_id!r} belongs to run {hit_run!r}, not {run_id!r}")
        existing = conn.execute(self.assignment_for_update, {"a_id": assignment_id}).first()
        if existing is not None:
            if existing.worker_id != worker_id or existing.hit_id != hit_id:
                raise InvalidValue(
                    f"assignment {assignment_id!r} was already accepted by worker "
                    f"{existing.worker_id!r} on HIT {existing.hit_id!r}"
                )
            return
        self.ensure_worker(conn, worker_id, now)
        conn.execute(self.name_workers_provider, {"w_id": worker_id, "provider": provider})
        conn.execute(self.add_assignment, {
            "assignment_id": assignment_id, "hit_id": hit_id, "run_id": hit_run,
            "worker_id": worker_id, "status": S.ACCEPTED, "accepted": now, "updated": now})
        conn.execute(self.add_pairing,
                     {"assignment_id": assignment_id, "worker_id": worker_id, "run_id": hit_run})
        note_assignment(conn, None, AssignmentFacts(hit_run, S.ACCEPTED, now, None, None, launch_time))

    def ensure_worker(self, conn: Connection, worker_id: str, now: float) -> None:
        if not worker_id:
            raise InvalidValue("a worker id must not be empty")
        conn.execute(self.add_worker, {"worker_id": worker_id, "first_seen": now})

    def add_time(self, conn: Connection, worker_id: str, day: str, seconds: float, now: float) -> float:
        """Add to the worker's working time of `day`; the new total."""
        self.ensure_worker(conn, worker_id, now)
        return float(conn.execute(self.add_working_time,
                                  {"worker_id": worker_id, "day": day, "seconds": seconds}).scalar_one())

    # Conversations ---------------------------------------------------------------------------

    def save_world(self, conn: Connection, run_id: str, conversation_id: str, saved: dict[str, Any],
                   now: float) -> None:
        """What a world's prep_save_data() returned: `custom_data` on the conversation, each
        `worker_data[worker_id]` on that worker's pairing in it."""
        pk = self.ensure_conversation(conn, run_id, conversation_id, now)
        if "custom_data" in saved:
            conn.execute(self.set_custom_data, {"pk": pk, "custom_data": saved["custom_data"]})
        for worker_id, data in (saved.get("worker_data") or {}).items():
            kept = conn.execute(self.set_world_data, {"r_id": run_id, "c_id": conversation_id,
                                                      "w_id": worker_id, "world_data": data})
            if kept.rowcount == 0:
                raise NotFound(f"worker {worker_id!r} has no part in conversation {conversation_id!r}")

    def ensure_conversation(self, conn: Connection, run_id: str, conversation_id: str,
                            now: float) -> int:
        """The conversation's row id, the row created (started now) if new."""
        if not conversation_id:
            raise InvalidValue("a conversation id must not be empty")
        key = {"run_id": run_id, "c_id": conversation_id}
        pk = conn.execute(self.conversation_pk, key).scalar()
        if pk is not None:
            return int(pk)
        if conn.execute(self.run_exists, {"run_id": run_id}).first() is None:
            raise NotFound(f"there is no run {run_id!r}")
        pk = conn.execute(self.add_conversation, {
            "run_id": run_id, "conversation_id": conversation_id, "started": now}).scalar()
        if pk is None:  # another process created it between the look and the insert
            return int(conn.execute(self.conversation_pk, key).scalar_one())
        if not conversation_id.startswith(ONBOARDING_PREFIX):
            note(conn, run_id, Tally.CONVERSATIONS, "")
        return int(pk)

