"""Opening a store: where the default lives, how SQLite is tuned, and clear errors."""
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from datastore import MTurkDataHandler, StoreUnavailable, open_store
from datastore.engine import close_stores, is_transient, retry_transient, safe_url
from tests.conftest import ON_POSTGRES

REPO = Path(__file__).resolve().parents[2]


def test_the_default_store_is_a_sqlite_file_under_data(tmp_path, monkeypatch):
    monkeypatch.delenv("PARLEY_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    try:
        handler = MTurkDataHandler()
        handler.log_new_run(1, "qa")
        assert (tmp_path / "data" / "parley.db").exists()
        assert handler.engine.dialect.name == "sqlite"
    finally:
        close_stores()


def test_parley_database_url_chooses_the_default_store(store_env):
    handler = MTurkDataHandler()
    run_id = handler.log_new_run(1, "qa")
    assert MTurkDataHandler(db_url=store_env).get_run_data(run_id) is not None


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite pragmas")
def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(store_url):
    with open_store(store_url).connect() as conn:
        pragma = lambda name: conn.execute(text(f"PRAGMA {name}")).scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") >= 5000
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("wal_autocheckpoint") == 0  # a thread of our own checkpoints
        assert pragma("journal_size_limit") == 64 * 1024 * 1024


def _runs_in_the_file_itself(path: Path, run_id: str) -> int:
    """How many rows of `run_id` the database file holds, not counting its write-ahead log."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0]
    except sqlite3.OperationalError:  # the tables themselves are still only in the log
        return 0
    except sqlite3.DatabaseError:  # read mid-checkpoint: `immutable` skips the locks that would wait
        return 0
    finally:
        conn.close()


def _eventually(condition: Callable[[], object], seconds: float = 15.0) -> bool:
    """Whether `condition` comes true within `seconds` (the checkpoint thread's pace)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("parley-checkpoint")]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write-ahead log")
def test_writes_reach_the_database_file_through_the_checkpoint_thread(tmp_path):
    path = tmp_path / "parley.db"
    try:
        handler = MTurkDataHandler(db_url=f"sqlite:///{path}")
        run_id = handler.log_new_run(1, "qa")
        # The store's connections stay open in its pool and never checkpoint themselves,
        # so only the checkpoint thread can move the run from the log into the file.
        assert [t.is_alive() for t in _checkpoint_threads()] == [True]
        assert _eventually(lambda: _runs_in_the_file_itself(path, run_id))
    finally:
        close_stores()
    assert _checkpoint_threads() == []


def _log_generation(path: Path) -> bytes:
    """Salt-1 of the write-ahead log's header, which changes each time the log starts
    again from the top (sqlite.org/fileformat2.html#walformat)."""
    with open(f"{path}-wal", "rb") as log:
        return log.read(32)[16:20]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write-ahead log")
def test_under_steady_writes_the_log_still_starts_again_from_the_top(tmp_path):
    path = tmp_path / "parley.db"
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            handler.log_new_run(1, "steady")

    try:
        handler = MTurkDataHandler(db_url=f"sqlite:///{path}")
        handler.log_new_run(1, "first")
        first = _log_generation(path)
        writers = [threading.Thread(target=keep_writing) for _ in range(2)]
        for thread in writers:
            thread.start()
        started_again = _eventually(lambda: _log_generation(path) != first)
        stop.set()
        for thread in writers:
            thread.join()
        # With writers always busy, a log copied only while they run is never copied to
        # its end, and only a log copied to its end starts again: it would grow forever.
        assert started_again
    finally:
        stop.set()
        close_stores()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write-ahead log")
def test_a_forked_child_checkpoints_its_own_writes(tmp_path):
    path = tmp_path / "parley.db"
    url = f"sqlite:///{path}"
    try:
        MTurkDataHandler(db_url=url).log_new_run(1, "parent")
        pid = os.fork()
        if pid == 0:  # the child: the parent's checkpoint thread is not here
            ok = False
            try:
                run_id = MTurkDataHandler(db_url=url).log_new_run(1, "child")
                ok = len(_checkpoint_threads()) == 1 and _eventually(
                    lambda: _runs_in_the_file_itself(path, run_id))
            finally:
                os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        close_stores()


def test_foreign_keys_are_enforced(store_url):
    with pytest.raises(Exception, match="(?i)foreign key"), open_store(store_url).begin() as conn:
        conn.execute(text("INSERT INTO workers (worker_id, first_seen) VALUES ('W1', 0)"))
        conn.execute(text(
            "INSERT INTO assignments (assignment_id, hit_id, run_id, worker_id, status, accepted, updated) "
            "VALUES ('A1', 'no-hit', 'no-run', 'W1', 'accepted', 0, 0)"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a database URL"),
        ("sqlite://", "in-memory"),
        ("postgresql+psycopg://parley:s3cret@127.0.0.1:1/none", "cannot open the store"),
        ("nosuchdb://x", "cannot use"),
    ],
)
def test_bad_store_urls_raise_a_clear_error_without_the_password(url, message):
    with pytest.raises(StoreUnavailable, match=message) as raised:
        open_store(url)
    assert "s3cret" not in str(raised.value)


def test_safe_url_hides_passwords():
    assert "s3cret" not in safe_url("postgresql://u:s3cret@host/db")
    assert safe_url("::::") == "<unparseable database URL>"


def test_a_store_in_an_unwritable_place_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailable, match="cannot open the store"):
        open_store(f"sqlite:///{garbage}")
    with pytest.raises(StoreUnavailable, match="cannot create the folder"):
        open_store(f"sqlite:///{blocker}/sub/parley.db")
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        if os.access(read_only, os.W_OK):
            return  # root ignores folder permissions; the case above still ran
        with pytest.raises(StoreUnavailable, match="cannot open the store"):
            open_store(f"sqlite:///{read_only}/parley.db")
    finally:
        read_only.chmod(0o700)


def test_transient_errors_are_retried_and_others_are_not():
    locked = OperationalError("INSERT", {}, Exception("database is locked"))
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise locked
        return "done"

    assert is_transient(locked) and retry_transient(flaky) == "done" and len(calls) == 3
    other = OperationalError("INSERT", {}, Exception("no such table: x"))
    assert not is_transient(other) and not is_transient(ValueError())
    with pytest.raises(OperationalError):
        retry_transient(lambda: (_ for _ in ()).throw(other))


def test_one_handler_is_safe_to_share_between_threads(handler):
    run_id = handler.log_new_run(1, "qa")
    handler.log_hit_status({"HIT": {"HITId": "H", "HITStatus": "Assignable", "Expiration": 1.0}}, run_id)
    errors = []

    def work(n):
        try:
            handler.log_worker_accept_assignment(f"W{n}", f"A{n}", "H")
            handler.log_waiting(f"W{n}", f"A{n}")
            handler.log_start_task(f"W{n}", f"A{n}", "t_shared")
            for i in range(20):
                handler.log_message(run_id, "t_shared", f"agent{n}", {"text": str(i)},
                                    worker_id=f"W{n}", assignment_id=f"A{n}", client_msg_id=str(i))
                handler.get_all_run_data()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(handler.get_messages(run_id, "t_shared")) == 160
    assert len(handler.get_conversations_for_run(run_id)) == 1
