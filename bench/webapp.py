"""The reviewer's pages on the big generated store (bench/bigstore.py), served as in
production: `gunicorn --threads N 'webapp:create_app()'` in a subprocess, a few logged-in
clients on keep-alive connections asking each page a fixed number of times.

    python bench/webapp.py            # measure, and record the table in BENCHMARKS.md
    python bench/webapp.py --smoke    # the small store: every page answers 200, the JSON
                                      # twins show the generated counts; no times checked
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as `python bench/webapp.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bigstore import FULL, SMOKE, BigStore, Sizes, cached_store
from bench.report import ROOT, BenchFailure, percentile, publish, verdict

PASSWORD = "bench-password"
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT = 60.0


# The server ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the webapp over `url`, with a throwaway config and admin password."""

    def __init__(self, url: str, threads: int, workers: int = 1) -> None:
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
            cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
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

def pages(big: BigStore) -> list[tuple[str, str]]:
    """(name, path): the runs list, the big run's page and one of its conversations, and
    each page's JSON twin."""
    run = f"/runs/{big.run_id}"
    conversation = f"{run}/conversations/t_{big.sizes.conversations // 2}"
    named = [("runs /", "/"), ("run page", run), ("conversation", conversation)]
    twins = [(f"{name} .json", "/index.json" if path == "/" else f"{path}.json") for name, path in named]
    return named + twins


def check_pages(port: int, big: BigStore) -> list[str]:
    """Every page answers 200 and the JSON twins show what bigstore generated."""
    client = Client(port)
    client.log_in()
    problems = []
    answers = {}
    for name, path in pages(big):
        status, body = client.request("GET", path)
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
    return problems


@dataclass
class PageTimes:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def load(port: int, big: BigStore, clients: int, requests: int) -> tuple[dict[str, PageTimes], float]:
    """`clients` logged-in clients at once, each asking every page `requests // clients`
    times, the pages interleaved; answers the times per page and the wall time."""
    times = {name: PageTimes() for name, _ in pages(big)}
    lock = threading.Lock()
    sessions = [Client(port) for _ in range(clients)]
    for client in sessions:
        client.log_in()
    start = threading.Barrier(clients + 1)

    def work(client: Client, offset: int) -> None:
        mine: dict[str, PageTimes] = {name: PageTimes() for name in times}
        listed = pages(big)
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


def run(big: BigStore, *, threads: int, clients: int, requests: int, record: bool,
        check_only: bool = False) -> list[str]:
    with Server(big.url, threads) as server:
        problems = check_pages(server.port, big)
        if check_only or problems:
            return problems
        times, seconds = load(server.port, big, clients, requests)
    rows = []
    for name, t in times.items():
        v = t.latencies
        rows.append([name, len(v), t.errors, percentile(v, .5) * 1000, percentile(v, .95) * 1000,
                     sum(v) / len(v) * 1000])
    total = sum(len(t.latencies) for t in times.values())
    publish(
        "webapp-pages",
        f"Webapp pages on the big store ({big.sizes.assignments:,} assignments, "
        f"{big.sizes.messages:,} messages)",
        ["page", "requests", "errors", "p50 ms", "p95 ms", "mean ms"], rows,
        {"store": big.url, "sizes": vars(big.sizes), "gunicorn_threads": threads, "clients": clients,
         "seconds": seconds, "requests_per_second": total / seconds,
         "latencies_ms": {name: [x * 1000 for x in t.latencies] for name, t in times.items()}},
        notes=(f"gunicorn, 1 worker, --threads {threads}; {clients} logged-in clients on keep-alive "
               f"connections, pages interleaved; {total / seconds:.1f} requests/s over all pages."),
        record=record,
    )
    return [f"{name}: {t.errors} of {len(t.latencies)} requests failed"
            for name, t in times.items() if t.errors]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="the small store; check the pages only")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn --threads")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=100, help="requests per page")
    args = parser.parse_args(argv)
    sizes: Sizes = SMOKE if args.smoke else FULL
    big = cached_store(sizes)
    if big.build_seconds:
        print(f"built the store {big.url} in {big.build_seconds:.1f} s")
    problems = run(big, threads=args.threads, clients=args.clients, requests=args.requests,
                   record=not args.smoke, check_only=args.smoke)
    return verdict(problems, "Every page answered 200 and the JSON twins show the generated counts.")


if __name__ == "__main__":
    sys.exit(main())
