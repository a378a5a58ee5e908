"""Open a store: turn a URL into a ready engine, with SQLite tuned for many writers
and the schema upgraded to the newest migration.

`open_store()` is the only way the rest of Parley gets an engine. Engines are cached per
URL in a process, so every handler for the same store shares one connection pool.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL, Connection, ExceptionContext
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, OperationalError

from datastore.checkpoint import Checkpointer
from datastore.errors import InvalidValue, StoreUnavailable

DEFAULT_SQLITE_PATH = Path("data") / "parley.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
OPEN_ATTEMPTS = 8
"""Tries to open (and upgrade) a store that another process holds locked, about 6 s in all."""
WRITE = "parley_write"
"""Execution option that marks a connection as a writer (SQLite: BEGIN IMMEDIATE)."""

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
_write_slots: dict[Engine, WriteSlot] = {}
_checkpointers: dict[Engine, Checkpointer] = {}
_checkpointers_lock = threading.Lock()
_inherited: list[object] = []
"""What a forked child got from its parent and must neither use nor close."""


def default_url() -> str:
    """`PARLEY_DATABASE_URL`, or the embedded SQLite file under ./data/."""
    return os.environ.get("PARLEY_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def safe_url(url: str | URL) -> str:
    """The URL as it may be printed: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def open_store(url: str | None = None) -> Engine:
    """Return the engine for `url` (default: `default_url()`), upgraded to the newest schema."""
    url = url or default_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            try:
                upgrade_to_head(engine)
            except Exception:
                engine.dispose()
                raise
            _engines[url] = engine
    return engine


def close_stores() -> None:
    """Dispose every cached engine (tests, and processes about to exit)."""
    with _engines_lock:
        slots = list(_write_slots.values())
        _write_slots.clear()
    for slot in slots:
        slot.close()
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
    with _checkpointers_lock:
        checkpointers = list(_checkpointers.values())
        _checkpointers.clear()
    for checkpointer in checkpointers:
        checkpointer.stop()


def _forget_engines_in_child() -> None:
    # A forked child must not reuse the parent's open connections.
    for engine in _engines.values():
        engine.dispose(close=False)
    _inherited.extend(_write_slots.values())
    _write_slots.clear()
    # The threads did not survive the fork; the child's first connection starts its own.
    _inherited.extend(_checkpointers.values())
    _checkpointers.clear()


os.register_at_fork(after_in_child=_forget_engines_in_child)


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreUnavailable(f"{url!r} is not a database URL") from None
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed)
    try:
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except (ArgumentError, ImportError) as exc:
        raise StoreUnavailable(f"cannot use {safe_url(parsed)}: {exc}") from None
    event.listen(engine, "handle_error", _refuse_values_it_cannot_hold)
    return engine


def _refuse_values_it_cannot_hold(context: ExceptionContext) -> None:
    """A value PostgreSQL cannot hold (text with a NUL character, an id longer than its
    column) is bad input from whoever gave it, not a failing store: InvalidValue says so."""
    if isinstance(context.sqlalchemy_exception, DataError):
        reason = str(context.original_exception).splitlines()[0]
        raise InvalidValue(f"the database cannot take this value: {reason}")


def _create_sqlite_engine(url: URL) -> Engine:
    path = url.database
    if not path or path == ":memory:":
        raise StoreUnavailable("an in-memory SQLite store cannot be shared; give a file path")
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot create the folder for the store {path}: {exc.strerror or exc}"
        ) from None
    engine = create_engine(url, pool_size=10, max_overflow=40, pool_timeout=60)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control from pysqlite so BEGIN is ours (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Checkpoints run on a thread of their own, never inside a writer's COMMIT; a log
        # that a burst grew is cut back to 64 MiB when it starts again from the top.
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
        cursor.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
        cursor.close()
        _keep_checkpointed(engine, path)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock at BEGIN, where busy_timeout applies; a deferred
        # transaction that upgrades to writing later can fail at once with SQLITE_BUSY.
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _keep_checkpointed(engine: Engine, path: str) -> None:
    """Make sure this process checkpoints `engine`'s file, since its connections do not."""
    with _checkpointers_lock:
        if engine not in _checkpointers:
            _checkpointers[engine] = Checkpointer(path, lambda: _writers_paused(engine))


def _writers_paused(engine: Engine) -> AbstractContextManager[object]:
    with _engines_lock:
        slot = _write_slots.get(engine)
    return slot.paused() if slot is not None else nullcontext()


class WriteSlot:
    """Where this process's write transactions on one store run.

    SQLite has one writer at a time. Threads that wait for it inside SQLite sleep in
    busy-handler steps of up to 100 ms, so under load they wait far longer than the writes
    take (16 threads: p99 430 ms for 1 ms writes); queued on a lock here, each hands the
    store to the next at once, and all of them use one connection kept open, since taking
    a pooled connection for every write cost as much Python as the write itself
    (bench/load.py). Other processes still wait in SQLite. PostgreSQL takes row locks
    itself: each transaction takes a pooled connection, any number at once."""

    def __init__(self, engine: Engine) -> None:
        self._engine = writer(engine)
        self._serial = engine.dialect.name == "sqlite"
        self._lock = threading.Lock()
        self._kept: Connection | None = None

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for one write transaction, this process's only one on SQLite."""
        if not self._serial:
            with self._engine.connect() as conn:
                yield conn
            return
        with self._lock:
            kept = self._kept
            if kept is None or kept.closed or kept.invalidated:
                kept = self._kept = self._engine.connect()
            conn = kept
            try:
                yield conn
            except BaseException:
                if not _fit_for_next_write(conn):
                    self._drop()
                raise

    def paused(self) -> AbstractContextManager[object]:
        """Hold off this process's writers (the SQLite checkpointer's last pass)."""
        return self._lock

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            with suppress(DBAPIError):
                kept.close()


def _fit_for_next_write(conn: Connection) -> bool:
    """After an error: whether the kept connection is outside any transaction, also in the
    driver (a COMMIT that failed leaves sqlite3's transaction open while SQLAlchemy's has
    ended; a pooled connection would be rolled back on its return to the pool)."""
    if conn.closed or conn.invalidated or conn.in_transaction():
        return False
    driver = conn.connection.driver_connection
    return driver is not None and not driver.in_transaction


def write_slot(engine: Engine) -> WriteSlot:
    """The one WriteSlot of `engine` in this process."""
    with _engines_lock:
        slot = _write_slots.get(engine)
        if slot is None:
            slot = _write_slots[engine] = WriteSlot(engine)
        return slot


def writer(engine: Engine) -> Engine:
    """The same engine, marked so its transactions are write transactions."""
    return engine.execution_options(**{WRITE: True})


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations up to `revision`, once even if many processes open at once."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())

    def upgrade() -> None:
        with writer(engine).connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
            conn.rollback()
            if revision == "head" and current == heads:
                return
            unknown = current - {script_rev.revision for script_rev in script.walk_revisions()}
            if unknown:
                raise StoreUnavailable(
                    f"the store {safe_url(engine.url)} is at schema revision "
                    f"{', '.join(sorted(unknown))}, newer than this version of Parley knows"
                )
            with _migration_lock(engine, conn):
                command.upgrade(alembic_config(conn), revision)
                conn.commit()

    try:
        # Several processes opening one new SQLite file at once can meet "database is locked"
        # while another turns it to WAL or migrates it; looking again is safe (the lock file
        # and the version table make the upgrade happen once).
        retry_transient(upgrade, attempts=OPEN_ATTEMPTS)
    except DBAPIError as exc:  # cannot connect, not a database, read-only, disk full ...
        raise StoreUnavailable(
            f"cannot open the store {safe_url(engine.url)}: {exc.orig}"
        ) from None


@contextmanager
def _migration_lock(engine: Engine, conn: Connection) -> Iterator[None]:
    """Serialise migrations across processes: an advisory lock on PostgreSQL,
    a lock file beside the database on SQLite."""
    if engine.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(724051)"))
        try:
            yield
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(724051)"))
            conn.commit()
    elif engine.dialect.name == "sqlite":
        lock_path = f"{engine.url.database}.migrate-lock"
        with open(lock_path, "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
    else:
        yield


T = TypeVar("T")
TRANSIENT_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


def is_transient(exc: BaseException) -> bool:
    """True for errors that a retry of the whole transaction can cure."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return isinstance(exc, OperationalError) and (
        "database is locked" in message or "database is busy" in message
    )


def retry_transient(work: Callable[[], T], attempts: int = 5) -> T:
    """Run `work` (one whole transaction), again after a short pause if it hit a transient error."""
    for attempt in range(attempts):
        try:
            return work()
        except DBAPIError as exc:
            if attempt == attempts - 1 or not is_transient(exc):
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")
