"""A store whose commits fail the way a full or broken disk makes them fail: the database
driver's own OperationalError("disk I/O error") at COMMIT, so SQLAlchemy wraps it, rolls the
transaction back and hands it to Parley exactly as a real failure would be handed."""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection

from datastore.engine import WRITE

DISK_ERROR = "disk I/O error"


class FailingCommits:
    """Install on an engine; then `fail_writes()` / `fail_everything()` / `heal()`.

    `fail_writes(after=n)` lets n more write transactions commit, then fails every later
    one: the disk fills up between two steps of a request. Reads keep working (a full
    disk still answers SELECTs). `fail_everything()` fails reads' commits too: the store
    is gone. Since the last of those calls, `write_commits` counts the write commits let
    through and `failed` the commits that failed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.write_commits = 0
        self.failed = 0
        self._mode = "healthy"
        self._let_through = 0
        self._lock = threading.Lock()
        self._is_write = threading.local()
        self._real_do_commit = engine.dialect.do_commit
        event.listen(engine, "commit", self._note_kind)
        engine.dialect.do_commit = self._do_commit  # type: ignore[method-assign]

    def fail_writes(self, after: int = 0) -> None:
        with self._lock:
            self._mode, self._let_through = "writes", after
            self.write_commits = self.failed = 0

    def fail_everything(self) -> None:
        with self._lock:
            self._mode = "all"
            self.write_commits = self.failed = 0

    def heal(self) -> None:
        with self._lock:
            self._mode = "healthy"

    def uninstall(self) -> None:
        self.heal()
        event.remove(self.engine, "commit", self._note_kind)
        self.engine.dialect.do_commit = self._real_do_commit  # type: ignore[method-assign]

    def _note_kind(self, conn: Connection) -> None:
        # The "commit" event sees the Connection (and whether it is a writer); the driver's
        # commit right after it, on the same thread, only sees the DBAPI connection.
        self._is_write.value = bool(conn.get_execution_options().get(WRITE))

    def _do_commit(self, dbapi_connection: Any) -> None:
        is_write = getattr(self._is_write, "value", False)
        self._is_write.value = False
        with self._lock:
            fail = self._mode == "all" or (self._mode == "writes" and is_write and self._let_through <= 0)
            if self._mode == "writes" and is_write and not fail:
                self._let_through -= 1
            if fail:
                self.failed += 1
            elif is_write:
                self.write_commits += 1
        if fail:
            raise self.engine.dialect.loaded_dbapi.OperationalError(DISK_ERROR)
        self._real_do_commit(dbapi_connection)
