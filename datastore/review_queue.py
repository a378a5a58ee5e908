"""The review queue's reader: a run's units of work (one worker's assignment in its task
conversation) one at a time, in the order the workers took their work (the pairing's row id),
filtered by status, by worker, by the world's flag and by whether the worker sent a message
the runner flagged (see authenticity_summary.py).

Each step is a keyset query over the run's pairings by the (run_id, id) index that stops at
the first unit passing the filter (the unit asked for, the first after a unit, the last before
one), never an OFFSET. It is asked two ways. First as a walk of the next WALKED pairings,
testing each one's own assignment row: a step costs a look-up per unit passed, and in a queue
of work waiting for a verdict the next one is usually a few units away. When the walk meets
none (the filter's units are rare there), the step asks the assignments' (run_id, status)
index for the ids of the run's assignments of the filter's statuses and keeps the nearest,
which costs the count of those, however far away the next one is. A worker's units are read
by the pairings' worker_id index instead. How many units wait for a verdict is read from the
run's kept totals (run_totals.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, select
from sqlalchemy.orm import Session

from datastore import run_totals
from datastore.access import StoreAccess
from datastore.authenticity_summary import unit_has_flagged_messages
from datastore.dashboard import IS_TASK_CONVERSATION
from datastore.errors import InvalidValue
from datastore.models import Assignment, Conversation, Pairing
from datastore.query_types import AnySelect
from datastore.run_totals import Tally
from datastore.states import REVIEWABLE, REVIEWED, AssignmentStatus

WORLD_FLAG_KEY = "review_flag"
"""The key of a worker's world data (`prep_save_data`'s `worker_data[worker_id]`) by which a
world asks a reviewer to look at that worker's work: a sentence saying why. Missing, null,
false, 0 and "" mean not flagged."""

_NOT_A_FLAG = ("", "0", "false")
"""A flag's value as text (SQLite and PostgreSQL spell JSON false differently) that is no flag."""

WALKED = 1000
"""How many pairings a step walks looking for the next unit before it gathers the filter's."""

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
    messages_flagged: bool = False
    """Only units whose worker sent at least one message with an authenticity flag."""

    def __post_init__(self) -> None:
        if self.status not in QUEUE_STATUSES:
            raise InvalidValue(f"status must be one of {', '.join(QUEUE_STATUSES)}, not {self.status!r}")

    def where(self, run_id: str, *, gathered: bool) -> list[ColumnElement[bool]]:
        """The conditions on a run's units (`_units(run_id)`) that keep this filter's. The
        status is tested on each unit's own assignment row, or (`gathered`) by gathering the
        ids of the run's assignments of those statuses first (see the module's docstring)."""
        found: list[ColumnElement[bool]] = []
        if self.status != ALL:
            statuses = {UNREVIEWED: REVIEWABLE, REVIEWED_WORK: REVIEWED}.get(self.status, {self.status})
            found.append(Pairing.assignment_id.in_(
                select(Assignment.assignment_id)
                .where(Assignment.run_id == run_id, Assignment.status.in_(statuses))) if gathered
                else Assignment.status.in_(statuses))
        if self.worker_id is not None:
            found.append(Pairing.worker_id == self.worker_id)
        if self.flagged:
            found.append(world_flag().not_in(_NOT_A_FLAG))
        if self.messages_flagged:
            found.append(unit_has_flagged_messages())
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
        walked = units.where(*queue.where(run_id, gathered=False))
        gathered = units.where(*queue.where(run_id, gathered=True))

        def unit_of(s: Session, assignment_id: str) -> Any:
            row = s.execute(units.where(Pairing.assignment_id == assignment_id)).first()
            if row is None:
                raise InvalidValue(f"there is no assignment {assignment_id!r} to review in this run")
            return row

        def nearest(s: Session, key: int | None, *, later: bool, inclusive: bool = False) -> Any:
            """The queue's unit nearest pairing `key` (the run's first or last when None),
            later or earlier than it."""
            order = Pairing.id if later else Pairing.id.desc()
            beyond: list[ColumnElement[bool]] = []
            if key is not None:
                beyond.append((Pairing.id >= key if inclusive else Pairing.id > key) if later
                              else (Pairing.id <= key if inclusive else Pairing.id < key))
            if queue.worker_id is not None:  # a worker's few units, by the pairings' worker_id index
                return s.execute(walked.where(*beyond).order_by(order).limit(1)).first()
            window = (select(Pairing.id).where(Pairing.run_id == run_id, *beyond)
                      .order_by(order).limit(WALKED).subquery())
            edge = select((func.max if later else func.min)(window.c.id)).scalar_subquery()
            within = Pairing.id <= edge if later else Pairing.id >= edge
            row = s.execute(walked.where(*beyond, within).order_by(order).limit(1)).first()
            if row is None:
                row = s.execute(gathered.where(*beyond).order_by(order).limit(1)).first()
            return row

        def read(s: Session) -> dict[str, Any]:
            first = nearest(s, None, later=True)
            unit = nxt = previous = None
            if at is not None:
                unit = unit_of(s, at)
            elif after is not None:
                key = unit_of(s, after).id
                unit = nearest(s, key, later=True)
                if unit is None:
                    previous = nearest(s, key, later=False, inclusive=True)
            elif before is not None:
                key = unit_of(s, before).id
                unit = nearest(s, key, later=False)
                if unit is None:
                    nxt = nearest(s, key, later=True, inclusive=True)
            else:
                unit = first
            if unit is not None:
                nxt = nearest(s, unit.id, later=True)
                # Nothing of the queue comes before its first unit.
                previous = nearest(s, unit.id, later=False) if first is not None and unit.id > first.id else None
            statuses = run_totals.read(s, [run_id], (Tally.STATUS,))[run_id].statuses
            unreviewed = sum(statuses[status] for status in REVIEWABLE)
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
