"""The storage workload alone, without browsers or websockets: `MTurkDataHandler.log_message`
as the runner calls it, from 1, 4 and 16 threads, with and without readers running beside
the writers; the dashboard's run-page and conversation-page readers on the big generated
store (bench/bigstore.py); and the raw sqlite3 insert ceiling of this machine, to compare with.

    python bench/store.py            # measure, and record the tables in BENCHMARKS.md
    python bench/store.py --smoke    # a tiny version that only checks correctness
    python bench/store.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test

Every run checks that each logged message was stored exactly once and that no reader failed;
--smoke checks nothing else, and never a time.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/store.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench.bigstore import FULL, SMOKE, BigStore, cached_store
from bench.report import BenchFailure, percentile, publish, verdict
from datastore import MTurkDataHandler
from datastore.engine import close_stores
from datastore.models import Conversation, Message

ROLES = ("Asker", "Answerer")
TEXT = "It says construction ended in 1889, just before the fair opened in Paris."
THREADS = (1, 4, 16)
READER_THREADS = 2


# Writes ---------------------------------------------------------------------------------------

@dataclass
class WriteResult:
    threads: int
    readers: int
    run_id: str
    seconds: float = 0.0
    write_latencies: list[float] = field(default_factory=list)
    reader_latencies: dict[str, list[float]] = field(default_factory=dict)
    logged: list[tuple[str, str]] = field(default_factory=list)
    """(assignment_id, client_msg_id) of every message log_message answered created=True."""
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.logged) / self.seconds if self.seconds else 0.0


@dataclass
class Seat:
    """One worker's place in a conversation, as the runner holds it."""

    worker_id: str
    assignment_id: str
    conversation_id: str
    role: str
    turns: Callable[[], int]
    """The conversation's next turn index (LiveConversation.next_turn), shared by both workers."""


def seat_workers(handler: MTurkDataHandler, run_id: str, workers: int) -> list[Seat]:
    """Put `workers` workers into conversations of two, through the writers the runner calls."""
    seats = []
    for n in range(workers):
        conversation_id = f"t_{n // 2 + 1}"
        if n % 2 == 0:
            counter = itertools.count()
            lock = threading.Lock()

            def next_turn(counter: Any = counter, lock: threading.Lock = lock) -> int:
                with lock:
                    return next(counter)
        hit_id, assignment_id, worker_id = f"{run_id}-H{n}", f"{run_id}-A{n}", f"{run_id}-W{n}"
        handler.log_hit_status({"HIT": {"HITId": hit_id, "HITStatus": "Assignable",
                                        "Expiration": time.time() + 86400, "HITTypeId": "HTBENCH",
                                        "NumberOfAssignmentsAvailable": 1}}, run_id)
        handler.log_worker_accept_assignment(worker_id, assignment_id, hit_id, run_id)
        handler.log_waiting(worker_id, assignment_id)
        role = ROLES[n % 2]
        handler.log_start_task(worker_id, assignment_id, conversation_id, agent_id=role)
        seats.append(Seat(worker_id, assignment_id, conversation_id, role, next_turn))
    return seats


def measure_writes(url: str, threads: int, per_thread: int, readers: int = 0) -> WriteResult:
    """`threads` workers each send `per_thread` messages through log_message as fast as it
    answers, while `readers` threads read the same run the way the dashboard does."""
    handler = MTurkDataHandler(db_url=url)
    run_id = f"bench_writes_{threads}w{readers}r_{time.time_ns() % 10**10}"
    handler.log_new_run(threads, "qa_data_collection", run_id, provider="mturk")
    seats = seat_workers(handler, run_id, threads)
    result = WriteResult(threads, readers, run_id)
    lock = threading.Lock()
    start, done = threading.Barrier(threads + readers + 1), threading.Event()

    def write(seat: Seat) -> None:
        latencies, logged = [], []
        start.wait()
        try:
            for n in range(per_thread):
                cid = f"{seat.assignment_id}-{n:06d}"
                began = time.perf_counter()
                # As TaskManager.store_worker_message calls it.
                stored = handler.log_message(
                    run_id, seat.conversation_id, seat.role,
                    {"id": seat.role, "text": TEXT, "episode_done": False},
                    worker_id=seat.worker_id, assignment_id=seat.assignment_id,
                    client_msg_id=cid, turn_index=seat.turns())
                latencies.append(time.perf_counter() - began)
                if stored.created:
                    logged.append((seat.assignment_id, cid))
                else:
                    raise BenchFailure(f"log_message said {cid} was stored before")
        except Exception as exc:  # noqa: BLE001 (reported, and fails the run)
            with lock:
                result.errors.append(f"writer {seat.assignment_id}: {type(exc).__name__}: {exc}")
        with lock:
            result.write_latencies += latencies
            result.logged += logged

    def read(n: int) -> None:
        conversation_id = seats[n % len(seats)].conversation_id
        calls: list[tuple[str, Callable[[], Any]]] = [
            ("get_full_conversation_data",
             lambda: handler.get_full_conversation_data(run_id, conversation_id, False)),
            ("run_summary", lambda: handler.run_summary(run_id)),
            ("list_conversations", lambda: handler.list_conversations(run_id)),
        ]
        latencies: dict[str, list[float]] = {name: [] for name, _ in calls}
        start.wait()
        try:
            for name, call in itertools.cycle(calls):
                if done.is_set():
                    break
                began = time.perf_counter()
                if call() is None:
                    raise BenchFailure(f"{name} found nothing for run {run_id}")
                latencies[name].append(time.perf_counter() - began)
        except Exception as exc:  # noqa: BLE001 (reported, and fails the run)
            with lock:
                result.errors.append(f"reader {n}: {type(exc).__name__}: {exc}")
        with lock:
            for name, values in latencies.items():
                result.reader_latencies.setdefault(name, []).extend(values)

    writers = [threading.Thread(target=write, args=(seat,)) for seat in seats]
    reading = [threading.Thread(target=read, args=(n,)) for n in range(readers)]
    for thread in writers + reading:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in writers:
        thread.join()
    result.seconds = time.perf_counter() - began
    done.set()
    for thread in reading:
        thread.join()
    return result


def stored_messages(url: str, run_id: str) -> list[tuple[str | None, str | None]]:
    """(assignment_id, client_msg_id) of every message the store holds for `run_id`."""
    query = (
        select(Message.assignment_id, Message.client_msg_id)
        .join(Conversation, Conversation.id == Message.conversation_pk)
        .where(Conversation.run_id == run_id)
    )
    with MTurkDataHandler(db_url=url).engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


def storage_problems(logged: Sequence[tuple[str, str]], stored: Sequence[tuple[Any, Any]]) -> list[str]:
    """Sentences for every way `stored` differs from "each logged message exactly once"."""
    problems = []
    if len(set(logged)) != len(logged):
        problems.append(f"{len(logged) - len(set(logged))} messages were reported created twice")
    counts: dict[tuple[Any, Any], int] = {}
    for key in stored:
        counts[key] = counts.get(key, 0) + 1
    missing = set(logged) - counts.keys()
    duplicated = [key for key, n in counts.items() if n > 1]
    unexpected = counts.keys() - set(logged)
    if missing:
        problems.append(f"{len(missing)} logged messages are not in the store (e.g. {sorted(missing)[0]})")
    if duplicated:
        problems.append(f"{len(duplicated)} messages are stored more than once (e.g. {duplicated[0]})")
    if unexpected:
        problems.append(f"{len(unexpected)} stored messages were never logged (e.g. {sorted(unexpected, key=str)[0]})")
    distinct_ids = len({cid for _, cid in stored})
    if not problems and (len(stored) != len(logged) or distinct_ids != len(logged)):
        problems.append(f"{len(stored)} rows and {distinct_ids} distinct client ids for {len(logged)} messages")
    return problems


def check_writes(url: str, result: WriteResult) -> list[str]:
    problems = [f"{result.threads} writers, {result.readers} readers: {e}" for e in result.errors]
    problems += [f"{result.threads} writers, {result.readers} readers: {p}"
                 for p in storage_problems(result.logged, stored_messages(url, result.run_id))]
    return problems


# The dashboard on the big store -----------------------------------------------------------------

def dashboard_calls(handler: MTurkDataHandler, big: BigStore) -> list[tuple[str, str, Callable[[], Any]]]:
    """(page, call, function) for the store calls each dashboard page makes (webapp/runs.py,
    webapp/review_pages.py), on the big run."""
    run_id = big.run_id
    middle = f"t_{big.sizes.conversations // 2}"
    deep = handler.list_conversations(run_id, limit=500)["next"]
    run_row = handler.get_run_data(run_id)
    full = handler.get_full_conversation_data(run_id, middle, False)
    assignment = full["workers"][0]["assignment_id"] if full and full["workers"] else ""
    worker = full["workers"][0]["worker_id"] if full and full["workers"] else ""
    return [
        ("runs /", "list_runs", lambda: handler.list_runs(limit=50)),
        ("runs /", "list_tasks_with_runs", handler.list_tasks_with_runs),
        ("run page", "run_summary", lambda: handler.run_summary(run_id)),
        ("run page", "list_conversations", lambda: handler.list_conversations(run_id, limit=50)),
        ("run page", "list_conversations (page 11)",
         lambda: handler.list_conversations(run_id, after=deep, limit=50)),
        ("run page", "list_conversations unreviewed",
         lambda: handler.list_conversations(run_id, limit=50, unreviewed_only=True)),
        ("run payments", "payments_for_run", lambda: handler.payments_for_run(run_id)),
        ("conversation", "get_run_data", lambda: handler.get_run_data(run_id)),
        ("conversation", "get_full_conversation_data",
         lambda: handler.get_full_conversation_data(run_id, middle, bool(run_row and run_row["is_sandbox"]))),
        ("conversation", "get_onboarding_data", lambda: handler.get_onboarding_data(assignment)),
        ("conversation", "get_worker_assignment_pairing",
         lambda: handler.get_worker_assignment_pairing(worker, assignment)),
        ("conversation", "get_review_actions", lambda: handler.get_review_actions(assignment_id=assignment)),
        ("next unreviewed", "next_unreviewed_conversation",
         lambda: handler.next_unreviewed_conversation(run_id, middle)),
    ]


def check_dashboard(handler: MTurkDataHandler, big: BigStore) -> list[str]:
    """What the pages would show must match what bigstore generated."""
    problems = []
    summary = handler.run_summary(big.run_id)
    if summary is None:
        return [f"run_summary found no run {big.run_id}"]
    if summary["conversations"] != big.sizes.conversations:
        problems.append(f"run_summary counts {summary['conversations']} conversations, "
                        f"not {big.sizes.conversations}")
    if sum(summary["assignments_by_status"].values()) != big.sizes.assignments:
        problems.append(f"run_summary counts {sum(summary['assignments_by_status'].values())} "
                        f"assignments, not {big.sizes.assignments}")
    page = handler.list_conversations(big.run_id, limit=50)
    if len(page["items"]) != 50 or page["next"] is None:
        problems.append("the run's first page of conversations does not hold 50 with a next page")
    total = sum(item["message_count"] for item in page["items"])
    if total <= 0 or any(len(item["workers"]) != 2 for item in page["items"]):
        problems.append("the run's conversations show no messages or not two workers each")
    return problems


def measure_dashboard(big: BigStore, repeats: int) -> dict[str, Any]:
    handler = MTurkDataHandler(db_url=big.url)
    timings: dict[tuple[str, str], list[float]] = {}
    calls = dashboard_calls(handler, big)
    for _page, _name, call in calls:
        call()  # warm the page cache, as a dashboard in use has it
    for _ in range(repeats):
        for page, name, call in calls:
            began = time.perf_counter()
            call()
            timings.setdefault((page, name), []).append(time.perf_counter() - began)
    return {"timings": timings, "problems": check_dashboard(handler, big)}


# The raw sqlite3 ceiling --------------------------------------------------------------------------

RAW_SCHEMA = """
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_pk INTEGER NOT NULL,
    sender_id VARCHAR(100) NOT NULL, worker_id VARCHAR(64), assignment_id VARCHAR(64),
    client_msg_id VARCHAR(64), turn_index INTEGER, payload JSON NOT NULL, created FLOAT NOT NULL,
    UNIQUE (assignment_id, client_msg_id));
CREATE INDEX ix_messages_conversation_pk_id ON messages (conversation_pk, id);
CREATE INDEX ix_messages_worker_id ON messages (worker_id);
"""


def raw_sqlite_rate(directory: Path, rows: int, per_commit: int) -> float:
    """Rows per second the plain sqlite3 module inserts into a table shaped like `messages`
    (WAL, synchronous=NORMAL as Parley opens it), committing every `per_commit` rows."""
    path = directory / f"raw-{per_commit}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(RAW_SCHEMA)
        payload = json.dumps({"id": "Asker", "text": TEXT, "episode_done": False})
        began = time.perf_counter()
        for start in range(0, rows, per_commit):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO messages (conversation_pk, sender_id, worker_id, assignment_id,"
                " client_msg_id, turn_index, payload, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(1, "Asker", "W1", "A1", f"A1-{n:06d}", n, payload, time.time())
                 for n in range(start, min(rows, start + per_commit))])
            conn.execute("COMMIT")
        return rows / (time.perf_counter() - began)
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


# Running it all ---------------------------------------------------------------------------------

def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


@dataclass(frozen=True)
class Plan:
    messages: int
    """Messages per scenario, shared among its writer threads."""
    repeats: int
    raw_rows: int
    big: Any


FULL_PLAN = Plan(messages=4000, repeats=30, raw_rows=5000, big=FULL)
SMOKE_PLAN = Plan(messages=96, repeats=1, raw_rows=200, big=SMOKE)


def run(url: str, plan: Plan, *, record: bool, big_url: str | None = None,
        scratch: Path | None = None) -> list[str]:
    """Run every part; publish the tables; answer the problems the checks found."""
    problems: list[str] = []
    writes: list[WriteResult] = []
    for readers in (0, READER_THREADS):
        for threads in THREADS:
            result = measure_writes(url, threads, max(1, plan.messages // threads), readers)
            problems += check_writes(url, result)
            writes.append(result)
    with tempfile.TemporaryDirectory(dir=scratch) as directory:
        raw_row = raw_sqlite_rate(Path(directory), plan.raw_rows, 1)
        raw_batch = raw_sqlite_rate(Path(directory), plan.raw_rows * 4, 1000)
    single = writes[0].rate
    rows: list[list[Any]] = []
    for w in writes:
        read_all = [v for values in w.reader_latencies.values() for v in values]
        rows.append([
            f"log_message, {w.threads} writer{'s' * (w.threads > 1)}" + (f" + {w.readers} readers" if w.readers else ""),
            len(w.logged), w.rate, ms(percentile(w.write_latencies, .5)),
            ms(percentile(w.write_latencies, .95)), ms(percentile(w.write_latencies, .99)),
            len(read_all) or None, ms(percentile(read_all, .5)), ms(percentile(read_all, .95)), len(w.errors),
        ])
    rows.append(["raw sqlite3, COMMIT per row", plan.raw_rows, raw_row, None, None, None, None, None, None, 0])
    rows.append(["raw sqlite3, 1000 rows per COMMIT", plan.raw_rows * 4, raw_batch,
                 None, None, None, None, None, None, 0])
    ratio = single / raw_row if raw_row else None
    backend = url.split(":", 1)[0]
    publish(
        "store-writes", f"Store writes: log_message on {backend}",
        ["scenario", "messages", "msg/s", "p50 ms", "p95 ms", "p99 ms", "reads", "read p50 ms",
         "read p95 ms", "errors"],
        rows,
        {"store": backend, "ratio_log_message_to_raw_sqlite": ratio,
         "raw_sqlite": {"commit_per_row": raw_row, "batched_1000": raw_batch},
         "scenarios": [{"threads": w.threads, "readers": w.readers, "messages": len(w.logged),
                        "seconds": w.seconds, "rate": w.rate,
                        "write_ms": {p: ms(percentile(w.write_latencies, f))
                                     for p, f in (("p50", .5), ("p95", .95), ("p99", .99))},
                        "read_ms": {name: {"calls": len(v), "p50": ms(percentile(v, .5)),
                                           "p95": ms(percentile(v, .95))}
                                    for name, v in w.reader_latencies.items()},
                        "errors": w.errors} for w in writes]},
        notes=(f"Parley log_message rate / raw sqlite3 rate (one writer, one COMMIT per row): "
               f"**{ratio:.2f}**. " if ratio else "")
        + f"Readers: {READER_THREADS} threads cycling get_full_conversation_data, run_summary and "
          "list_conversations on the run being written. Every message was checked stored exactly once.",
        record=record,
    )

    big = cached_store(plan.big) if big_url is None else BigStore(big_url, "bigstore_qa_run", plan.big, 0.0)
    dashboard = measure_dashboard(big, plan.repeats)
    problems += dashboard["problems"]
    publish(
        "store-dashboard",
        f"Dashboard readers on the big store ({big.sizes.assignments:,} assignments, "
        f"{big.sizes.messages:,} messages)",
        ["page", "call", "calls", "p50 ms", "p95 ms", "mean ms"],
        [[page, name, len(v), ms(percentile(v, .5)), ms(percentile(v, .95)), ms(sum(v) / len(v))]
         for (page, name), v in dashboard["timings"].items()],
        {"store": big.url, "sizes": vars(big.sizes),
         "timings_ms": {f"{p} / {n}": [ms(x) for x in v] for (p, n), v in dashboard["timings"].items()}},
        notes="Each call as the webapp makes it, run back to back after one warm-up call; "
              "SQLite store built by bench/bigstore.py. run_summary and get_run_data read the "
              "run's totals the writers keep (datastore/run_totals.py): nothing counts the run's rows.",
        record=record,
    )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; check correctness only")
    parser.add_argument("--db", help="store for the write scenarios (default: a new SQLite file)")
    parser.add_argument("--big-db", help="a store bench/bigstore.py --db filled (default: its SQLite cache)")
    args = parser.parse_args(argv)
    plan = SMOKE_PLAN if args.smoke else FULL_PLAN
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as directory:
        url = args.db or f"sqlite:///{Path(directory) / 'writes.db'}"
        try:
            problems = run(url, plan, record=not args.smoke, big_url=args.big_db)
        finally:
            close_stores()
    return verdict(problems, "Every logged message was stored exactly once; no reader failed.")


if __name__ == "__main__":
    sys.exit(main())
