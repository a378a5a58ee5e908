"""Checkpoint a SQLite store's write-ahead log from a thread of its own.

Left to itself, SQLite checkpoints inside whichever COMMIT takes the log past 1,000
pages: that one write copies the log into the database file and syncs it while every
other writer waits for the write lock. bench/load.py caught one such COMMIT holding the
store for 186 ms with 37 writers queued behind it, most of what stood between 1,000 live
workers and a p99 under 50 ms. So Parley's connections turn that off
(`PRAGMA wal_autocheckpoint = 0`, see datastore.engine) and a Checkpointer does the work.

Each round has two passes, both PASSIVE (they neither wait for nor block readers):
1. the bulk, with writers running: sqlite3 lets go of the GIL while it copies, so this
   runs beside the process's Python instead of in front of it;
2. the tail that writers added meanwhile, a few pages, with this process's writers paused
   (`pause_writers`). A writer starts the log again from the top only if the log was
   copied to its end before that writer's transaction began; under steady traffic some
   transaction is always under way, so without this pass the log never starts again and
   grows without end (bench/load.py: 138,000 pages, 540 MiB, in 100 s).
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

CHECKPOINT_INTERVAL_SECONDS = 1.0
"""How often the log is copied into the file: about a second of writes stays in the log,
about 2,000 pages (8 MiB) at the load bench's 1,000 workers."""

logger = logging.getLogger(__name__)


class Checkpointer:
    """A daemon thread that checkpoints one SQLite file every `interval` seconds until
    stopped, and once more as it stops."""

    def __init__(
        self,
        path: str,
        pause_writers: Callable[[], AbstractContextManager[object]],
        interval: float = CHECKPOINT_INTERVAL_SECONDS,
    ) -> None:
        self._pause_writers = pause_writers
        self._interval = interval
        self._stop = threading.Event()
        # Held by the object, not the thread's frame, so a forked child that keeps the
        # object (datastore.engine._inherited) never closes the parent's file descriptor,
        # which would drop the child's own POSIX locks on the file.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._failing = False
        self._copied_to_end: int | None = None
        """The log's length when the last paused pass copied all of it."""
        self._thread = threading.Thread(
            target=self._run, name=f"parley-checkpoint {path}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Checkpoint once more, stop the thread and close its connection."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._interval):
                self._round()
            self._round()
        finally:
            self._conn.close()

    def _round(self) -> None:
        try:
            log_pages, _copied = self._checkpoint()
            # Not when another process is checkpointing (-1), nor when nothing was written.
            if log_pages not in (-1, self._copied_to_end):
                with self._pause_writers():
                    log_pages, copied = self._checkpoint()
                self._copied_to_end = log_pages if copied == log_pages else None
        except sqlite3.Error as exc:
            # The next round tries again; say so once per spell of failures, not every second.
            if not self._failing:
                logger.warning("cannot checkpoint the SQLite store: %s", exc)
            self._failing = True
        else:
            self._failing = False

    def _checkpoint(self) -> tuple[int, int]:
        """One PASSIVE pass: the pages in the log, and how many of them are in the file
        (-1 and -1 while another connection checkpoints)."""
        _busy, log_pages, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return log_pages, copied
