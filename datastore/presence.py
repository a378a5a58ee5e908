"""Workers' live presence in the store: what each runner process writes at its heartbeat
(one short transaction a tick for all of its run's workers) and what the live monitor of any
process reads back, with rows of a runner that stopped beating read as gone."""
from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select

from datastore.access import StoreAccess
from datastore.models_presence import WorkerPresence

PRESENCE: Table = WorkerPresence.__table__  # type: ignore[assignment]


class Presence(StrEnum):
    """Where a worker is, as their runner sees them (GONE: as a reader sees a stale row)."""

    CONNECTED = "connected"
    """Their page is open, and they are neither waiting for a partner nor in a conversation."""
    WAITING = "waiting"
    IN_CONVERSATION = "in_conversation"
    STUCK = "stuck"
    """In a conversation, and the world has waited on their message for the run's stuck time."""
    DISCONNECTED = "disconnected"
    """Their page's socket is closed; the runner still holds their place (disconnect timeout)."""
    GONE = "gone"
    """Their runner has not rewritten the row in time: the process died or lost the store."""


ONLINE = frozenset({Presence.CONNECTED, Presence.WAITING, Presence.IN_CONVERSATION, Presence.STUCK})
"""States of a worker whose page is connected to a live runner."""


@dataclass(frozen=True)
class PresenceBeat:
    """One worker at one heartbeat, as a runner writes it."""

    assignment_id: str
    worker_id: str
    state: Presence
    conversation_id: str | None = None
    agent_id: str | None = None
    turn_since: float | None = None


@dataclass(frozen=True)
class RunnerProcess:
    """Which process writes a run's presence, and how long its rows stay fresh."""

    host: str
    pid: int
    fresh_for: float


class PresenceStore(StoreAccess):
    """The handler's presence writers and reader."""

    def write_presence(self, run_id: str, process: RunnerProcess, beats: Sequence[PresenceBeat]) -> None:
        """Replace every presence row of `run_id` with `beats`, in one transaction: a worker
        who left since the last beat has no row any more."""
        now = time.time()
        rows = [{**asdict(beat), "state": str(beat.state), "run_id": run_id, "host": process.host,
                 "pid": process.pid, "seen": now, "fresh_until": now + process.fresh_for} for beat in beats]

        def work(conn: Connection) -> None:
            conn.execute(delete(PRESENCE).where(PRESENCE.c.run_id == run_id))
            if rows:
                conn.execute(insert(PRESENCE), rows)

        self._write_rows(work)

    def clear_presence(self, run_id: str) -> None:
        """The run ended: none of its workers is present any more."""
        self._write_rows(lambda conn: conn.execute(delete(PRESENCE).where(PRESENCE.c.run_id == run_id)))

    def read_presence(self, run_ids: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Presence rows (of `run_ids`, else of every run) as dicts, oldest run's first;
        `state` is GONE for a row its runner has not rewritten in time, `turn_seconds` how
        long the world has waited on the worker's message (None: not their turn) and
        `seen_seconds` how long ago their runner last wrote the row."""
        query = select(PRESENCE).order_by(PRESENCE.c.run_id, PRESENCE.c.conversation_id, PRESENCE.c.agent_id,
                                          PRESENCE.c.assignment_id)
        if run_ids is not None:
            if not run_ids:
                return []
            query = query.where(PRESENCE.c.run_id.in_(list(run_ids)))
        rows = self._read_rows(lambda conn: conn.execute(query).mappings().all())
        now = time.time()
        return [_as_read(dict(row), now) for row in rows]


def _as_read(row: dict[str, Any], now: float) -> dict[str, Any]:
    fresh_until, seen, turn_since = row.pop("fresh_until"), row.pop("seen"), row.pop("turn_since")
    if fresh_until < now:
        row["state"] = Presence.GONE
    row["state"] = str(row["state"])
    row["turn_seconds"] = None if turn_since is None else round(max(0.0, now - turn_since), 1)
    row["seen_seconds"] = round(max(0.0, now - seen), 1)
    return row
