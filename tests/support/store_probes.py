"""Probes for tests of the store's readers: a clock the store reads instead of `time`, and a
recorder of the SQL statements sent meanwhile."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

T0 = 1_713_920_400.0  # 2024-04-24 01:00 UTC: a test's hours stay within one UTC day
STORE_MODULES_THAT_READ_THE_CLOCK = ("access", "lifecycle", "worker_admin", "dashboard", "forms")


class Clock:
    """Stands in for the `time` module inside the store, so a test decides when things happen."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@contextmanager
def statements_on(engine: Engine) -> Iterator[list[tuple[str, list[Any]]]]:
    """Collect (SQL, parameter values) of every statement sent to the database meanwhile."""
    sent: list[tuple[str, list[Any]]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters or ())
        sent.append((statement, values))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
