"""What every part of the handler shares: opening read and write sessions, and finding
the rows a writer must check before it changes anything."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from datastore.engine import open_store, retry_transient, write_slot
from datastore.errors import InvalidValue, NotFound
from datastore.hot_path import HotPath, check_holder, hot_path, missing_assignment
from datastore.models import Assignment, Pairing, Run
from datastore.records import Record
from datastore.run_totals import facts, note_assignment, tallying
from datastore.states import transition_needed

T = TypeVar("T")


class StoreAccess:
    """Holds the engine; `_write` runs one transaction, retried whole on transient errors.
    Every write transaction keeps the runs' totals it changes (datastore/run_totals.py)."""

    def __init__(self, run_id: str | None = None, db_url: str | None = None) -> None:
        self.engine: Engine = open_store(db_url)
        self._write_slot = write_slot(self.engine)
        self.run_id = run_id
        self._known_conversations: dict[tuple[str, str], int] = {}
        self._known_assignments: dict[str, tuple[str, str]] = {}

    def _write(self, work: Callable[[Session], T]) -> T:
        def attempt() -> T:
            with self._write_slot.connection() as conn, \
                    Session(bind=conn, expire_on_commit=False) as session, session.begin(), \
                    tallying(session.connection()):
                return work(session)

        return retry_transient(attempt)

    def _write_rows(self, work: Callable[[Connection], T]) -> T:
        """One write transaction on a plain connection, for the hot path (SQL expressions,
        no ORM objects): `work` gets the connection, inside BEGIN ... COMMIT."""
        def attempt() -> T:
            with self._write_slot.connection() as conn, conn.begin(), tallying(conn):
                return work(conn)

        return retry_transient(attempt)

    def _read_rows(self, work: Callable[[Connection], T]) -> T:
        """One read transaction on a plain connection (the hot path's reads)."""
        def attempt() -> T:
            with self.engine.connect() as conn:
                return work(conn)

        return retry_transient(attempt)

    def _read(self, work: Callable[[Session], T]) -> T:
        def attempt() -> T:
            with Session(self.engine) as session, session.begin():
                return work(session)

        return retry_transient(attempt)

    @property
    def _hot(self) -> HotPath:
        """The statements of the writes made per worker and per message (hot_path.py)."""
        return hot_path(self.engine.dialect.name)

    def _run_id(self, run_id: str | None) -> str:
        run_id = run_id or self.run_id
        if run_id is None:
            raise InvalidValue("no run id given, and this handler has no default run id")
        return run_id

    # Lookups used inside a transaction ------------------------------------------------

    @staticmethod
    def _get_run(session: Session, run_id: str) -> Run:
        """The run's row, locked until the transaction ends (on PostgreSQL; SQLite's write
        transaction holds the whole store), so two processes ending it take turns."""
        run = session.get(Run, run_id, with_for_update=True)
        if run is None:
            raise NotFound(f"there is no run {run_id!r}")
        return run

    @staticmethod
    def _get_assignment(session: Session, assignment_id: str, worker_id: str | None = None) -> Assignment:
        assignment = session.get(Assignment, assignment_id, with_for_update=True)
        if assignment is None:
            raise missing_assignment(assignment_id)
        check_holder(assignment_id, assignment.worker_id, worker_id)
        return assignment

    @staticmethod
    def _get_pairing(session: Session, assignment_id: str) -> Pairing:
        pairing = session.scalar(select(Pairing).where(Pairing.assignment_id == assignment_id))
        if pairing is None:  # only possible in a store written by something else
            raise NotFound(f"assignment {assignment_id!r} has no pairing")
        return pairing

    @staticmethod
    def _move(assignment: Assignment, status: str) -> bool:
        """Change the status if the state machine allows it; False when already there. The
        run's totals are told, from the assignment and its pairing as flushed so far."""
        if not transition_needed(assignment.assignment_id, assignment.status, status):
            return False
        session = object_session(assignment)
        if session is None:
            raise RuntimeError("an assignment is moved only inside a write transaction")
        session.flush()
        conn = session.connection()
        before = facts(conn, assignment.assignment_id)
        assignment.status = status
        assignment.updated = time.time()
        if before is not None:
            note_assignment(conn, before, replace(before, status=status, updated=assignment.updated))
        return True

    def _ensure_worker(self, session: Session, worker_id: str) -> None:
        """The worker's row, created if new, inside the session's transaction."""
        self._hot.ensure_worker(session.connection(), worker_id, time.time())


def _insert_or_get(session: Session, row: T, find: Callable[[], T | None]) -> T:
    """Insert `row` in a savepoint; if a concurrent writer inserted it first, return theirs."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing
    return row


def records(rows: Iterable[Any]) -> list[Record]:
    """Turn SQLAlchemy result rows into Records, keeping the select's column order."""
    return [Record(row._mapping) for row in rows]


def first_record(rows: Iterable[Any]) -> Record | None:
    for row in rows:
        return Record(row._mapping)
    return None
