"""A run's totals, kept current as the run changes: its assignments and HITs by status, its task
conversations, its finished and failed assignments per hour of its life, its finished tasks'
durations in whole seconds, and its bonuses paid and unpaid, as rows of `run_totals`
(run, kind, key) -> n.

Counting them afresh reads every assignment of the run (a third of a second at 100,000), so the
writers keep them instead: every change to what they count notes the difference it makes
(`note_assignment`, `note`) inside a write transaction opened with `tallying`, which StoreAccess
does for every write, and the differences are written together as that transaction ends, in
one statement, in key order (so two writers never take the counters' rows in opposite orders
on PostgreSQL). A change noted outside such a transaction raises, rather than drift.
`recount` counts a run afresh (the generated benchmark stores, and the tests' yardstick);
migration 0012 filled the table for the runs that existed before it.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from datastore.models import Assignment, Conversation, Hit, Pairing, Run
from datastore.models_dashboard import RunTotal
from datastore.states import FAILED, FINISHED_TASK

TOTALS: Table = RunTotal.__table__  # type: ignore[assignment]
A: Table = Assignment.__table__  # type: ignore[assignment]
P: Table = Pairing.__table__  # type: ignore[assignment]
R: Table = Run.__table__  # type: ignore[assignment]
HOUR = 3600.0
ONBOARDING_PREFIX = "o_"
"""No column marks onboarding conversations: the runner names them o_<assignment id>, as ParlAI
did. Only the others (task conversations) are counted."""


class Tally(StrEnum):
    """What a run_totals row counts; its key is the status, or the hour or second."""

    STATUS = "status"
    """Assignments by status."""
    HIT_STATUS = "hit_status"
    CONVERSATIONS = "conversations"
    """Task conversations begun (key "")."""
    CONVERSATIONS_DONE = "conversations_done"
    """Task conversations ended (key "")."""
    COMPLETED_HOUR = "completed_hour"
    """Assignments that finished their task, by the hour of the run's life it ended in (or
    they last changed in, if they never reached a task)."""
    FAILED_HOUR = "failed_hour"
    DURATION = "duration"
    """Finished tasks by their duration, in whole seconds."""
    BONUS_CENTS = "bonus_cents"
    """Bonus awarded, key "paid" or "unpaid": here n is cents, not rows."""


def bonus_key(paid: bool) -> str:
    return "paid" if paid else "unpaid"


@dataclass(frozen=True)
class AssignmentFacts:
    """What an assignment's part in its run's totals depends on."""

    run_id: str
    status: str
    updated: float
    task_start: float | None
    task_end: float | None
    launch_time: float

    @classmethod
    def of(cls, row: Any) -> AssignmentFacts:
        """From a row of FACTS_COLUMNS (more columns may follow)."""
        return cls(row.run_id, row.status, row.updated, row.task_start, row.task_end, row.launch_time)

    def keys(self) -> list[tuple[str, str]]:
        """The (kind, key) totals this assignment counts once in."""
        keys = [(Tally.STATUS.value, self.status)]
        if self.status in FINISHED_TASK or self.status in FAILED:
            when = self.task_end if self.task_end is not None else self.updated
            kind = Tally.FAILED_HOUR if self.status in FAILED else Tally.COMPLETED_HOUR
            keys.append((kind.value, str(math.floor((when - self.launch_time) / HOUR))))
        if self.status in FINISHED_TASK and self.task_start is not None and self.task_end is not None:
            keys.append((Tally.DURATION.value, str(math.floor(self.task_end - self.task_start))))
        return keys


FACTS_COLUMNS: Sequence[Any] = (A.c.run_id, A.c.status, A.c.updated, P.c.task_start, P.c.task_end,
                                R.c.launch_time)
FACTS_FROM = A.join(R, R.c.run_id == A.c.run_id).outerjoin(P, P.c.assignment_id == A.c.assignment_id)
FACTS = select(*FACTS_COLUMNS).select_from(FACTS_FROM).where(A.c.assignment_id == bindparam("a_id"))


def facts(conn: Connection, assignment_id: str) -> AssignmentFacts | None:
    row = conn.execute(FACTS, {"a_id": assignment_id}).first()
    return AssignmentFacts.of(row) if row is not None else None


# Keeping them ---------------------------------------------------------------------------------

_PENDING = "parley_run_totals_pending"


@contextmanager
def tallying(conn: Connection) -> Iterator[None]:
    """Collect the differences noted on `conn` meanwhile and write them when the block ends
    without an error (still inside the caller's transaction); drop them when it raises."""
    conn.info[_PENDING] = Counter()
    try:
        yield
        _write(conn, conn.info[_PENDING])
    finally:
        conn.info.pop(_PENDING, None)


def note(conn: Connection, run_id: str, kind: Tally, key: str, delta: int = 1) -> None:
    """Add `delta` to the run's (kind, key) total when the transaction ends."""
    pending = conn.info.get(_PENDING)
    if pending is None:
        raise RuntimeError("a run's totals changed outside a write transaction that keeps them "
                           "(open it with datastore.run_totals.tallying)")
    pending[run_id, kind.value, key] += delta


def note_assignment(conn: Connection, before: AssignmentFacts | None, after: AssignmentFacts | None) -> None:
    """An assignment changed from `before` to `after` (None: it did not exist)."""
    for facts_, sign in ((before, -1), (after, 1)):
        if facts_ is not None:
            for kind, key in facts_.keys():
                note(conn, facts_.run_id, Tally(kind), key, sign)


def note_bonus(conn: Connection, run_id: str, before: tuple[int, bool], after: tuple[int, bool]) -> None:
    """A pairing's bonus changed from `before` to `after`, each (cents, paid)."""
    for (cents, paid), sign in ((before, -1), (after, 1)):
        if cents > 0:
            note(conn, run_id, Tally.BONUS_CENTS, bonus_key(paid), sign * cents)


def _upsert(dialect: str) -> Any:
    statement = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(TOTALS)
    return statement.on_conflict_do_update(
        index_elements=[TOTALS.c.run_id, TOTALS.c.kind, TOTALS.c.key],
        set_={"n": TOTALS.c.n + statement.excluded.n})


def _write(conn: Connection, pending: Counter[tuple[str, str, str]]) -> None:
    rows = [{"run_id": run_id, "kind": kind, "key": key, "n": n}
            for (run_id, kind, key), n in sorted(pending.items()) if n]
    if rows:
        conn.execute(_upsert(conn.dialect.name), rows)


# Counting them afresh -------------------------------------------------------------------------

def counted_afresh(conn: Connection | Session, run_id: str) -> Counter[tuple[str, str]]:
    """The run's totals counted from its rows: {(kind, key): n}."""
    counts: Counter[tuple[str, str]] = Counter()
    for row in conn.execute(select(*FACTS_COLUMNS).select_from(FACTS_FROM).where(A.c.run_id == run_id)):
        counts.update(AssignmentFacts.of(row).keys())
    for status, n in conn.execute(select(Hit.hit_status, func.count()).where(Hit.run_id == run_id)
                                  .group_by(Hit.hit_status)):
        counts[Tally.HIT_STATUS.value, status] = n
    for paid, cents in conn.execute(select(Pairing.bonus_paid, func.sum(Pairing.bonus_amount_cents))
                                    .where(Pairing.run_id == run_id, Pairing.bonus_amount_cents > 0)
                                    .group_by(Pairing.bonus_paid)):
        counts[Tally.BONUS_CENTS.value, bonus_key(bool(paid))] = int(cents)
    begun, ended = conn.execute(select(func.count(), func.count(Conversation.ended)).where(
        Conversation.run_id == run_id, is_task_conversation())).one()
    for kind, n in ((Tally.CONVERSATIONS, begun), (Tally.CONVERSATIONS_DONE, ended)):
        if n:
            counts[kind.value, ""] = n
    return counts


def recount(conn: Connection, run_id: str) -> None:
    """Replace the run's kept totals with ones counted afresh."""
    counts = counted_afresh(conn, run_id)
    conn.execute(delete(TOTALS).where(TOTALS.c.run_id == run_id))
    if counts:
        conn.execute(insert(TOTALS), [{"run_id": run_id, "kind": kind, "key": key, "n": n}
                                      for (kind, key), n in sorted(counts.items())])


def forget(conn: Connection, run_id: str) -> None:
    """The run is being removed: so are its totals."""
    conn.execute(delete(TOTALS).where(TOTALS.c.run_id == run_id))


def is_task_conversation() -> Any:
    """substr, not LIKE, because SQLite's LIKE ignores case and PostgreSQL's does not."""
    return func.substr(Conversation.conversation_id, 1, len(ONBOARDING_PREFIX)) != ONBOARDING_PREFIX


# Reading them ---------------------------------------------------------------------------------

@dataclass
class RunTallies:
    """One run's kept totals, as the dashboard reads them."""

    statuses: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    conversations: int = 0
    conversations_done: int = 0
    hours: Counter[tuple[int, bool]] = field(default_factory=Counter)
    """{(hour of the run's life, failed): assignments}."""
    durations: Counter[int] = field(default_factory=Counter)
    """{whole seconds: finished tasks}."""
    bonus_cents: Counter[bool] = field(default_factory=Counter)
    """{paid: cents awarded}."""


def read(s: Session, run_ids: Iterable[str], kinds: Iterable[Tally] = tuple(Tally)) -> dict[str, RunTallies]:
    """The kept totals of `kinds` for each run given (a run with none has empty ones): one
    query over the table's primary key, however big the runs are."""
    ids = list(dict.fromkeys(run_ids))
    found = {run_id: RunTallies() for run_id in ids}
    if not ids:
        return found
    wanted = [kind.value for kind in kinds]
    for run_id, kind, key, n in s.execute(
        select(TOTALS.c.run_id, TOTALS.c.kind, TOTALS.c.key, TOTALS.c.n)
        .where(TOTALS.c.run_id.in_(ids), TOTALS.c.kind.in_(wanted), TOTALS.c.n != 0)
    ):
        tallies = found[run_id]
        if kind == Tally.STATUS:
            tallies.statuses[key] = n
        elif kind == Tally.HIT_STATUS:
            tallies.hits[key] = n
        elif kind == Tally.CONVERSATIONS:
            tallies.conversations = n
        elif kind == Tally.CONVERSATIONS_DONE:
            tallies.conversations_done = n
        elif kind == Tally.DURATION:
            tallies.durations[int(key)] = n
        elif kind == Tally.BONUS_CENTS:
            tallies.bonus_cents[key == bonus_key(True)] = n
        else:
            tallies.hours[int(key), kind == Tally.FAILED_HOUR] = n
    return found
