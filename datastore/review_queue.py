"""The review queue's reader: a run's units of work (one worker's assignment in its task
conversation) one at a time, in the order the workers took their work (the pairing's row id),
filtered by status, by worker and by the world's flag.

Each step is a keyset query that walks the run's pairings from a unit by the (run_id, id)
index and stops at the first that passes the filter (the unit asked for, the first after a
unit, the last before one), never an OFFSET. A status filter is answered from the assignments'
(run_id, status) index first, so skipping past work already reviewed costs a look-up per unit
skipped, not a read of the run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, select
from sqlalchemy.orm import Session

from datastore.access import StoreAccess
from datastore.dashboard import IS_TASK_CONVERSATION
from datastore.errors import InvalidValue
from datastore.models import Assignment, Conversation, Pairing
from datastore.query_types import AnySelect
from datastore.states import REVIEWABLE, REVIEWED, AssignmentStatus

WORLD_FLAG_KEY = "review_flag"
"""The key of a worker's world data (`prep_save_data`'s `worker_data[worker_id]`) by which a
world asks a reviewer to look at that worker's work: a sentence saying why. Missing, null,
false, 0 and "" mean not flagged."""

_NOT_A_FLAG = ("", "0", "false")
"""A flag's value as text (SQLite and PostgreSQL spell JSON false differently) that is no flag."""

UNREVIEWED, REVIEWED_WORK, ALL = "unreviewed", "reviewed", "all"
QUEUE_STATUSES: tuple[str, ...] = (UNREVIEWED, REVIEWED_WORK, ALL, *AssignmentStatus)
"""What the queue's status filter takes: work waiting for a verdict, work with one, any work,
or one assignment status."""


@dataclass(frozen=True)
class QueueFilter:
    """Which units a queue holds; a value it cannot take raises InvalidValue with a sentence."""

    status: str = UNREVIEWED
    worker_id: str | None = None
    flagged: bool = False

    def __post_init__(self) -> None:
        if self.status not in QUEUE_STATUSES:
            raise InvalidValue(f"status must be one of {', '.join(QUEUE_STATUSES)}, not {self.status!r}")

    def where(self, run_id: str) -> list[ColumnElement[bool]]:
        """The conditions on a run's units (`_units(run_id)`) that keep this filter's."""
        found: list[ColumnElement[bool]] = []
        if self.status != ALL:
            statuses = {UNREVIEWED: REVIEWABLE, REVIEWED_WORK: REVIEWED}.get(self.status, {self.status})
            found.append(Pairing.assignment_id.in_(
                select(Assignment.assignment_id)
                .where(Assignment.run_id == run_id, Assignment.status.in_(statuses))))
        if self.worker_id is not None:
            found.append(Pairing.worker_id == self.worker_id)
        if self.flagged:
            found.append(world_flag().not_in(_NOT_A_FLAG))
        return found


def world_flag() -> ColumnElement[Any]:
    """The world's flag on a pairing as text (NULL when there is none)."""
    return cast(Pairing.world_data[WORLD_FLAG_KEY].as_string(), String)


def _units(run_id: str) -> AnySelect:
    """A run's units (task conversations only: onboarding pairs nobody) with their sort key."""
    return (
        select(Pairing.id, Pairing.assignment_id, Pairing.worker_id, Pairing.agent_id, Pairing.conversation_id,
               Assignment.status, world_flag().label("flag"))
        .join(Conversation, and_(Conversation.run_id == Pairing.run_id,
                                 Conversation.conversation_id == Pairing.conversation_id))
        .join(Assignment, Assignment.assignment_id == Pairing.assignment_id)
        .where(Pairing.run_id == run_id, IS_TASK_CONVERSATION)
    )


class ReviewQueueReaders(StoreAccess):
    def review_queue(
        self,
        run_id: str,
        queue: QueueFilter,
        *,
        at: str | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        """One step of a run's review queue: `{unit, next, previous, first, unreviewed}`.

        `unit` is the unit of assignment `at` (whatever the filter says of it), else the
        first unit of the queue after assignment `after`, else the last one before assignment
        `before`, else the queue's first; None when there is none there (the queue's end or
        start). `next` and `previous` are the assignment ids of the queue's units around it
        (around `after`/`before` when there is no unit), `first` the queue's first unit,
        `unreviewed` how many of the run's assignments wait for a verdict. An assignment not
        in the run raises InvalidValue."""
        if sum(x is not None for x in (at, after, before)) > 1:
            raise InvalidValue("give at most one of at, after and before")
        units = _units(run_id)
        matching = units.where(*queue.where(run_id))

        def unit_of(s: Session, assignment_id: str) -> Any:
            row = s.execute(units.where(Pairing.assignment_id == assignment_id)).first()
            if row is None:
                raise InvalidValue(f"there is no assignment {assignment_id!r} to review in this run")
            return row

        def after_key(s: Session, key: int, inclusive: bool = False) -> Any:
            test = Pairing.id >= key if inclusive else Pairing.id > key
            return s.execute(matching.where(test).order_by(Pairing.id).limit(1)).first()

        def before_key(s: Session, key: int, inclusive: bool = False) -> Any:
            test = Pairing.id <= key if inclusive else Pairing.id < key
            return s.execute(matching.where(test).order_by(Pairing.id.desc()).limit(1)).first()

        def read(s: Session) -> dict[str, Any]:
            first = s.execute(matching.order_by(Pairing.id).limit(1)).first()
            unit = nxt = previous = None
            if at is not None:
                unit = unit_of(s, at)
            elif after is not None:
                key = unit_of(s, after).id
                unit = after_key(s, key)
                if unit is None:
                    previous = before_key(s, key, inclusive=True)
            elif before is not None:
                key = unit_of(s, before).id
                unit = before_key(s, key)
                if unit is None:
                    nxt = after_key(s, key, inclusive=True)
            else:
                unit = first
            if unit is not None:
                nxt, previous = after_key(s, unit.id), before_key(s, unit.id)
            unreviewed = s.scalar(select(func.count()).select_from(Assignment).where(
                Assignment.run_id == run_id, Assignment.status.in_(REVIEWABLE)))
            return {
                "unit": _unit(unit) if unit is not None else None,
                "next": nxt.assignment_id if nxt is not None else None,
                "previous": previous.assignment_id if previous is not None else None,
                "first": first.assignment_id if first is not None else None,
                "unreviewed": unreviewed,
            }

        return self._read(read)


def _unit(row: Any) -> dict[str, Any]:
    return {"assignment_id": row.assignment_id, "worker_id": row.worker_id, "agent_id": row.agent_id,
            "conversation_id": row.conversation_id, "status": row.status,
            "flag": row.flag if row.flag not in _NOT_A_FLAG else None}
