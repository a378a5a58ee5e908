"""The reviewer's pages on the big generated store (bench/bigstore.py), served as in
production: `gunicorn --workers W --threads N 'webapp:create_app()'` in a subprocess, a few
logged-in clients on keep-alive connections asking each page (PAGES) and its JSON twin a fixed
number of times.

    python bench/webapp.py            # measure, and record the table in BENCHMARKS.md
    python bench/webapp.py --baseline 31aed35
                                      # the same, and first the same pages served by that
                                      # commit's code, side by side in one table
    python bench/webapp.py --smoke    # the small store: every page answers 200, the JSON
                                      # twins show the generated counts; no times checked

--baseline serves the old commit from a temporary `git worktree`, over a copy of the store
taken back (alembic downgrade, with this code's migrations) to that commit's newest
migration, so both columns come from the same data, clients and machine, one after the other.
A page the old code does not have shows "—" in its column.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as `python bench/webapp.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bigstore import FULL, SMOKE, TASKNAME, BigStore, Sizes, cached_store
from bench.report import ROOT, BenchFailure, percentile, publish, verdict
from datastore import MTurkDataHandler

PASSWORD = "bench-password"
WORKERS, THREADS = 1, 4
"""gunicorn's, as README.md recommends for production (see "What limits the webapp" in
BENCHMARKS.md)."""
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT = 60.0


# The server ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the webapp (the code in `root`) over `url`, with a throwaway config and
    admin password."""

    def __init__(self, url: str, threads: int, workers: int = 1, root: Path = ROOT) -> None:
        self.port = free_port()
        self._config = tempfile.TemporaryDirectory(prefix="parley-bench-webapp-")
        env = {**os.environ, "PARLEY_DATABASE_URL": url, "PARLEY_ADMIN_PASSWORD": PASSWORD,
               "PARLEY_SECRET_KEY": "bench-secret-key",
               "PARLEY_CONFIG": str(Path(self._config.name) / "webapp.json")}
        self.log = Path(self._config.name) / "gunicorn.log"
        self.process = subprocess.Popen(
            [str(GUNICORN), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--threads", str(threads), "--worker-class", "gthread", "--log-level", "warning",
             "webapp:create_app()"],
            cwd=root, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchFailure(f"gunicorn exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise BenchFailure(f"gunicorn did not answer /healthz within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._config.cleanup()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# A logged-in client ----------------------------------------------------------------------------

class Client:
    """One reviewer on one keep-alive connection, carrying the session cookie."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def log_in(self) -> None:
        status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise BenchFailure(f"the login page answered {status} without a form token")
        status, _ = self.request("POST", "/login", urlencode(
            {"password": PASSWORD, "csrf_token": token.group(1).decode()}))
        if status != 302:
            raise BenchFailure(f"logging in answered {status}, not a redirect")


# Pages ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """A dashboard page: its name in the table and its path, where {run} is the big run's id,
    {conversation} one of its conversations and {worker} one of its workers, {task} its task."""

    name: str
    path: str


PAGES = (
    # Adding a page to the benchmark is one line here; its twin is measured with it.
    Page("runs /", "/"),
    Page("run page", "/runs/{run}"),
    Page("conversation", "/runs/{run}/conversations/{conversation}"),
    Page("run payments", "/runs/{run}/payments"),
    Page("payments", "/payments"),
    Page("worker", "/workers/{worker}"),
    Page("workers", "/workers"),
    Page("run-wide approve preview", "/runs/{run}/bulk/approve_unreviewed"),
    Page("approve-complete preview", "/runs/{run}/bulk/approve_complete"),
    Page("pay-bonuses preview", "/runs/{run}/bulk/pay_bonuses"),
    Page("monitor", "/live"),
    Page("live conversation", "/live/{run}/conversations/{conversation}"),
    Page("review queue", "/runs/{run}/queue"),
    Page("stop a run", "/runs/{run}/stop"),
    Page("tasks", "/app/tasks"),
    Page("task", "/app/tasks/{task}"),
)


def twin(path: str) -> str:
    """A page's JSON twin: its path plus .json. The runs list's is asked as /index.json,
    which every version of the webapp answers (/.json came later), so a baseline can be."""
    return "/index.json" if path == "/" else f"{path}.json"


def pages(big: BigStore) -> list[tuple[str, str]]:
    """(name, path) of every page in PAGES on the big run, then each page's JSON twin."""
    conversation = f"t_{big.sizes.conversations // 2}"
    people = MTurkDataHandler(db_url=big.url).get_pairings_for_conversation(big.run_id, conversation)
    worker = people[0]["worker_id"] if people else "no_worker_of_that_run"  # its page will say 404
    named = [(p.name, p.path.format(run=big.run_id, conversation=conversation, worker=worker, task=TASKNAME))
             for p in PAGES]
    return named + [(f"{name} .json", twin(path)) for name, path in named]


def answering(port: int, listed: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], dict[str, tuple[int, bytes]]]:
    """Ask each page once: the pages that answered 200, and every answer by page name."""
    client = Client(port)
    client.log_in()
    answers = {name: client.request("GET", path) for name, path in listed}
    return [(name, path) for name, path in listed if answers[name][0] == 200], answers


def check_pages(port: int, big: BigStore, listed: list[tuple[str, str]]) -> list[str]:
    """Every page answers 200 and the JSON twins show what bigstore generated."""
    _, answered = answering(port, listed)
    problems = []
    answers = {}
    for name, path in listed:
        status, body = answered[name]
        if status != 200:
            problems.append(f"{name} ({path}) answered {status}")
        elif name.endswith(".json"):
            try:
                answers[name] = json.loads(body)
            except ValueError:
                problems.append(f"{name} ({path}) is not JSON")
    runs = answers.get("runs / .json", {}).get("runs", [])
    big_run = next((r for r in runs if r["run_id"] == big.run_id), None)
    if big_run is None or big_run["conversations"] != big.sizes.conversations:
        problems.append(f"the runs list does not show run {big.run_id} with {big.sizes.conversations} conversations")
    if len(runs) != min(50, big.sizes.small_runs + 1):
        problems.append(f"the runs list shows {len(runs)} runs, not {min(50, big.sizes.small_runs + 1)}")
    run = answers.get("run page .json", {})
    if run.get("run", {}).get("conversations") != big.sizes.conversations:
        problems.append(f"the run page does not count {big.sizes.conversations} conversations")
    if sum(run.get("run", {}).get("assignments_by_status", {}).values()) != big.sizes.assignments:
        problems.append(f"the run page does not count {big.sizes.assignments} assignments")
    if len(run.get("conversations", [])) != 50 or not run.get("next"):
        problems.append("the run page does not list 50 conversations with a next page")
    conversation = answers.get("conversation .json", {}).get("conversation", {})
    if not conversation.get("messages") or len(conversation.get("workers", [])) != 2:
        problems.append("the conversation page shows no messages or not two workers")
    worker = answers.get("worker .json", {}).get("worker", {})
    if not worker.get("assignments"):
        problems.append("the worker page shows none of the worker's assignments")
    live = answers.get("monitor .json", {}).get("runs", [])
    if big.run_id not in [r["run_id"] for r in live]:
        problems.append(f"the live monitor does not show the running run {big.run_id}")
    return problems


@dataclass
class PageTimes:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def load(port: int, listed: list[tuple[str, str]], clients: int, requests: int) -> tuple[dict[str, PageTimes], float]:
    """`clients` logged-in clients at once, each asking every page of `listed`
    `requests // clients` times, the pages interleaved; answers the times per page and the
    wall time."""
    times = {name: PageTimes() for name, _ in listed}
    lock = threading.Lock()
    sessions = [Client(port) for _ in range(clients)]
    for client in sessions:
        client.log_in()
    start = threading.Barrier(clients + 1)

    def work(client: Client, offset: int) -> None:
        mine: dict[str, PageTimes] = {name: PageTimes() for name in times}
        start.wait()
        for n in range(max(1, requests // clients) * len(listed)):
            name, path = listed[(n + offset) % len(listed)]
            began = time.perf_counter()
            try:
                status, _ = client.request("GET", path)
            except (OSError, http.client.HTTPException):
                status = 0
                client.conn.close()
            mine[name].latencies.append(time.perf_counter() - began)
            if status != 200:
                mine[name].errors += 1
        with lock:
            for name, page_times in mine.items():
                times[name].latencies += page_times.latencies
                times[name].errors += page_times.errors

    threads = [threading.Thread(target=work, args=(c, i)) for i, c in enumerate(sessions)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return times, time.perf_counter() - began


# The baseline: the same pages served by an older commit ----------------------------------------

def sqlite_path(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise BenchFailure(f"--baseline copies the SQLite store; {url} is not one")
    return Path(url.removeprefix("sqlite:///"))


def take_back(url: str, code: Path) -> None:
    """Downgrade the store at `url` to the newest migration of the code in `code`, with this
    code's migrations (which know how to undo the newer ones)."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from datastore.engine import alembic_config

    old = Config()
    old.set_main_option("script_location", str(code / "migrations"))
    heads = ScriptDirectory.from_config(old).get_heads()
    if len(heads) != 1:
        raise BenchFailure(f"the baseline's migrations have {len(heads)} heads; take its store back by hand")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), heads[0])
    finally:
        engine.dispose()


@contextlib.contextmanager
def baseline_server(big: BigStore, revision: str, threads: int, workers: int) -> Iterator[Server]:
    """gunicorn serving `revision`'s webapp from a temporary worktree over a copy of the store
    taken back to that revision's schema; both removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="parley-bench-baseline-"))
    code, store = scratch / "code", scratch / "store.db"
    added = subprocess.run(["git", "worktree", "add", "--detach", str(code), revision], cwd=ROOT,
                           capture_output=True, text=True)
    if added.returncode != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        raise BenchFailure(f"git cannot check out {revision!r}: {added.stderr.strip()}")
    try:
        with sqlite3.connect(sqlite_path(big.url)) as source, sqlite3.connect(store) as copy:
            source.backup(copy)  # a consistent copy, whatever the WAL holds
        take_back(f"sqlite:///{store}", code)
        with Server(f"sqlite:///{store}", threads, workers, root=code) as server:
            yield server
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(code)], cwd=ROOT, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


# Measuring and reporting ------------------------------------------------------------------------

def ms(value: float | None) -> float | None:
    return None if value is None else value * 1000


def run(big: BigStore, *, threads: int, clients: int, requests: int, record: bool,
        check_only: bool = False, workers: int = 1, baseline: str | None = None) -> list[str]:
    listed = pages(big)
    before: dict[str, PageTimes] = {}
    if baseline is not None and not check_only:
        with baseline_server(big, baseline, threads, workers) as server:
            served, _ = answering(server.port, listed)  # pages it does not have are left out
            before, _ = load(server.port, served, clients, requests)
    with Server(big.url, threads, workers) as server:
        problems = check_pages(server.port, big, listed)
        if check_only or problems:
            return problems
        times, seconds = load(server.port, listed, clients, requests)
    columns = ["page", "requests", "errors", "p50 ms", "p95 ms", "mean ms"]
    rows = []
    for name, t in times.items():
        v = t.latencies
        row = [name, len(v), t.errors, ms(percentile(v, .5)), ms(percentile(v, .95)), sum(v) / len(v) * 1000]
        if baseline is not None:
            old = before.get(name, PageTimes()).latencies
            row[3:3] = [ms(percentile(old, .5)), ms(percentile(old, .95))]
        rows.append(row)
    if baseline is not None:
        columns[3:3] = [f"{baseline} p50 ms", f"{baseline} p95 ms"]
    total = sum(len(t.latencies) for t in times.values())
    publish(
        "webapp-pages",
        f"Webapp pages on the big store ({big.sizes.assignments:,} assignments, "
        f"{big.sizes.messages:,} messages)",
        columns, rows,
        {"store": big.url, "sizes": vars(big.sizes), "gunicorn_workers": workers, "gunicorn_threads": threads,
         "clients": clients, "seconds": seconds, "requests_per_second": total / seconds, "baseline": baseline,
         "latencies_ms": {name: [x * 1000 for x in t.latencies] for name, t in times.items()},
         "baseline_latencies_ms": {name: [x * 1000 for x in t.latencies] for name, t in before.items()}},
        notes=(f"gunicorn --workers {workers} --threads {threads}; {clients} logged-in clients on keep-alive "
               f"connections, pages interleaved; {total / seconds:.1f} requests/s over all pages."
               + (f" The {baseline} columns: the same pages, clients and store (taken back to that "
                  f"commit's schema), served by commit {baseline}'s code just before; — where it "
                  "has no such page." if baseline is not None else "")),
        record=record,
    )
    return [f"{name}: {t.errors} of {len(t.latencies)} requests failed"
            for name, t in times.items() if t.errors]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="the small store; check the pages only")
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn --workers")
    parser.add_argument("--threads", type=int, default=THREADS, help="gunicorn --threads")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=100, help="requests per page")
    parser.add_argument("--baseline", metavar="REV",
                        help="first measure the same pages served by this git commit, for a side-by-side table")
    args = parser.parse_args(argv)
    for flag in ("workers", "threads", "clients", "requests"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be 1 or more")
    sizes: Sizes = SMOKE if args.smoke else FULL
    big = cached_store(sizes)
    if big.build_seconds:
        print(f"built the store {big.url} in {big.build_seconds:.1f} s")
    try:
        problems = run(big, threads=args.threads, clients=args.clients, requests=args.requests,
                       record=not args.smoke, check_only=args.smoke, workers=args.workers,
                       baseline=args.baseline)
    except BenchFailure as failure:
        problems = [str(failure)]
    return verdict(problems, "Every page answered 200 and the JSON twins show the generated counts.")


if __name__ == "__main__":
    sys.exit(main())
