"""Live load: a real runner (`python -m runner run`, local provider) and N simulated workers
talking to it over real websockets, in pairs, the way the chat page does.

Each worker loads its task page over HTTP, says hello on the websocket, sends heartbeats,
and, once paired, takes turns with its partner as the runner's turn frames give them: think
time, a message, the partner's turn, ... B ends with "bye"; both press done.

Reported per step: workers connected, conversations completed, messages sent / acked /
relayed / stored (stored is counted in the database after the run), lost (acked but not
stored, or stored but never relayed) and duplicated (stored or relayed twice), relay
latency (A sends → B receives) and ack latency percentiles, errors, and the runner
process's CPU, RSS and threads.

    python bench/load.py                      # steps 50 200 500 1000, recorded in BENCHMARKS.md
    python bench/load.py --workers 200 --think 1
    python bench/load.py --workers 1000 1000 1000 --name load-1000-runs   # one step, three times
    python bench/load.py --smoke              # 50 workers; exits 1 on any loss or duplicate
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

if __package__ in (None, ""):  # run as `python bench/load.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import RESULTS, ROOT, percentile, publish, verdict  # noqa: E402
from bench.store import stored_messages  # noqa: E402

TASK = ROOT / "bench" / "tasks" / "relay_chat"
CONFIG = re.compile(r'<script id="parley-config" type="application/json">(.*?)</script>', re.S)
LINK = re.compile(r"worker link: (\S+)")
PY_SPY = Path(sys.executable).parent / "py-spy"


@dataclass
class Plan:
    workers: int
    messages: int = 20
    """Messages each worker sends (so a conversation has twice as many)."""
    think: float = 2.0
    """Mean seconds a worker waits before answering (uniform between half and 1.5 times)."""
    arrivals: float = 25.0
    """Workers opening their task page per second. With the defaults a conversation lasts
    about 80 s and 1,000 workers arrive in 40 s, so all of them are talking at once."""
    db: str | None = None
    deadline: float = 0.0
    profile: bool = False
    """Record the runner with py-spy into bench/results/load-N.profile.txt (collapsed stacks)."""

    def __post_init__(self) -> None:
        if self.workers < 2 or self.workers % 2:
            raise SystemExit("load.py: --workers must be an even number, 2 or more")
        if not self.deadline:
            self.deadline = 120 + self.workers / self.arrivals + 2 * self.messages * self.think * 1.5


@dataclass
class Tally:
    """What the simulated workers saw, shared by all of them (one event loop)."""

    sent: dict[str, float] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    relayed: Counter[str] = field(default_factory=Counter)
    relay_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    relay_timeline: list[tuple[float, float]] = field(default_factory=list)
    """(when sent, relay ms) for every relayed message: where in the step the slow ones were."""
    errors: Counter[str] = field(default_factory=Counter)
    connected: int = 0
    peak_connected: int = 0
    talking: int = 0
    peak_talking: int = 0
    """Workers in a conversation at once (paired, not yet done): the concurrency that counts."""
    submitted: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] += 1


class SimulatedWorker:
    """One chat page: the websocket, heartbeats, and its side of the conversation."""

    def __init__(self, link: str, plan: Plan, tally: Tally, fetcher: ThreadPoolExecutor) -> None:
        self.link, self.plan, self.tally, self.fetcher = link, plan, tally, fetcher
        self.role: str | None = None
        self.paired = asyncio.Event()
        self.my_turn = asyncio.Event()
        """Set by a turn frame that says the world waits on this worker (as the page opens its input)."""
        self.last_beat = 0.0
        self.name = link.rsplit("workerId=", 1)[-1]

    async def run(self) -> None:
        try:
            config = await asyncio.get_running_loop().run_in_executor(self.fetcher, load_page, self.link)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the step
            self.tally.error(f"page: {type(exc).__name__}")
            return
        ws_url = config["ws_path"]  # flask-sock's url_for gives the whole ws:// address
        beat = float(config["heartbeat_seconds"])
        try:
            async with connect(ws_url, ping_interval=None, max_size=2**20, open_timeout=60) as ws:
                self.tally.connected += 1
                self.tally.peak_connected = max(self.tally.peak_connected, self.tally.connected)
                await ws.send(json.dumps({"type": "hello", "token": config["token"], "last_seq": 0}))
                tasks = [asyncio.create_task(self._beat(ws, beat)), asyncio.create_task(self._talk(ws))]
                try:
                    await self._listen(ws, beat)
                finally:
                    for task in tasks:
                        task.cancel()
                    self.tally.connected -= 1
        except (TimeoutError, OSError, WebSocketException) as exc:
            self.tally.error(f"socket: {type(exc).__name__}")
        except Exception as exc:  # noqa: BLE001 - a bug in this worker must show, not vanish
            self.tally.error(f"worker: {type(exc).__name__}: {exc}")

    async def _listen(self, ws: Any, beat: float) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "message":
                self._received(frame["act"])
            elif kind == "ack":
                started = self.tally.sent.get(frame["cid"])
                if started is not None and frame["cid"] not in self.tally.acked:
                    self.tally.acked.add(frame["cid"])
                    self.tally.ack_ms.append((time.perf_counter() - started) * 1000)
            elif kind == "turn":
                if frame.get("yours"):
                    self.my_turn.set()
            elif kind == "heartbeat":
                if time.monotonic() - self.last_beat >= beat / 2:
                    await self._send_beat(ws)
            elif kind == "error":
                self.tally.error(f"error frame: {frame.get('error')}")
            elif kind in ("state", "welcome") and await self._state(ws, frame):
                return

    def _received(self, act: dict[str, Any]) -> None:
        cid = act.get("message_id", "")
        started = self.tally.sent.get(cid)
        if started is None:
            return  # a system message
        self.tally.relayed[cid] += 1
        if self.tally.relayed[cid] == 1:
            self.tally.relay_ms.append((time.perf_counter() - started) * 1000)
            self.tally.relay_timeline.append((started, self.tally.relay_ms[-1]))

    async def _state(self, ws: Any, frame: dict[str, Any]) -> bool:
        """Follow the page's state; True once this worker's work is submitted."""
        state = frame.get("state")
        if state == "in_task" and self.role is None:
            self.role = frame.get("agent_id")
            self.tally.talking += 1
            self.tally.peak_talking = max(self.tally.peak_talking, self.tally.talking)
            self.paired.set()
        elif state in ("done", "partner_disconnect"):
            if state == "partner_disconnect":
                self.tally.error("partner left")
            self.tally.talking -= 1
            await ws.send(json.dumps({"type": "done"}))
        elif state == "submitted":
            self.tally.submitted += 1
            return True
        elif state in ("disconnect", "timeout", "returned", "expired"):
            self.tally.error(f"ended as {state}")
            return True
        return False

    async def _talk(self, ws: Any) -> None:
        await self.paired.wait()
        think = self.plan.think
        for turn in range(self.plan.messages):
            await self.my_turn.wait()  # the task takes turns: one message each time it is ours
            self.my_turn.clear()
            await asyncio.sleep(random.uniform(think / 2, think * 1.5))
            last = self.role == "B" and turn == self.plan.messages - 1
            cid = f"{self.name}-{turn}"
            act = {"text": "bye" if last else f"message {turn} from {self.name}"}
            self.tally.sent[cid] = time.perf_counter()
            await ws.send(json.dumps({"type": "message", "cid": cid, "act": act}))

    async def _beat(self, ws: Any, beat: float) -> None:
        while True:
            await asyncio.sleep(beat)
            await self._send_beat(ws)

    async def _send_beat(self, ws: Any) -> None:
        self.last_beat = time.monotonic()
        await ws.send('{"type":"heartbeat"}')


def load_page(link: str) -> dict[str, Any]:
    with urllib.request.urlopen(link, timeout=60) as response:
        html = response.read().decode()
    match = CONFIG.search(html)
    if not match:
        raise ValueError("no chat config in the task page")
    return json.loads(match.group(1))


class Runner:
    """`python -m runner run` in its own process, and what it costs while it runs."""

    def __init__(self, plan: Plan, db_url: str, *flags: str, task: Path = TASK) -> None:
        """`flags`: more of `python -m runner run`'s, after the ones every step gives."""
        command = [sys.executable, "-m", "runner", "run", str(task), "-nc", str(plan.workers // 2),
                   "--max-connections", "0", "--db", db_url, "--disconnect-timeout", "60", *flags]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.links: list[str] = []
        self.output: list[str] = []
        self.run_id = ""
        self._ready = threading.Event()
        self._expected = plan.workers
        threading.Thread(target=self._read, daemon=True).start()
        self.stats = psutil.Process(self.process.pid)
        self.samples: list[tuple[float, float, int, int]] = []
        self._sampling = threading.Event()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip())
            if match := LINK.search(line):
                self.links.append(match.group(1))
                if len(self.links) == self._expected:
                    self._ready.set()
            elif line.startswith("Run "):
                self.run_id = line.split()[1].rstrip(":")
        self._ready.set()

    def wait_ready(self, timeout: float = 120) -> None:
        if not self._ready.wait(timeout) or len(self.links) != self._expected:
            self.process.kill()
            tail = "\n".join(self.output[-20:])
            raise SystemExit(f"load.py: the runner did not print {self._expected} worker links:\n{tail}")

    def sample_while_running(self) -> None:
        """Sample CPU (percent of one core), RSS and threads every half second."""
        def sample() -> None:
            self.stats.cpu_percent()
            while not self._sampling.wait(0.5):
                try:
                    self.samples.append((time.monotonic(), self.stats.cpu_percent(),
                                         self.stats.memory_info().rss, self.stats.num_threads()))
                except psutil.Error:
                    return
        threading.Thread(target=sample, daemon=True).start()

    def usage(self) -> dict[str, Any]:
        self._sampling.set()
        busy = [s for s in self.samples if s[1] > 0] or self.samples
        return {
            "cpu_mean_pct": sum(s[1] for s in busy) / len(busy) if busy else None,
            "cpu_max_pct": max((s[1] for s in self.samples), default=None),
            "rss_max_mib": max((s[2] for s in self.samples), default=0) / 2**20,
            "threads_max": max((s[3] for s in self.samples), default=0),
        }

    def finish(self, timeout: float = 60) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            return self.process.wait(30)


def profile(pid: int, plan: Plan) -> subprocess.Popen[bytes]:
    out = RESULTS / f"load-{plan.workers}.profile.txt"
    RESULTS.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "--rate", "100", "--gil",
                             "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def drive(plan: Plan, links: list[str]) -> Tally:
    tally = Tally()
    with ThreadPoolExecutor(32) as fetcher:
        workers = [SimulatedWorker(link, plan, tally, fetcher) for link in links]
        tasks = []
        for worker in workers:
            tasks.append(asyncio.create_task(worker.run()))
            await asyncio.sleep(1 / plan.arrivals)
        done, pending = await asyncio.wait(tasks, timeout=plan.deadline)
        for task in pending:
            task.cancel()
        if pending:
            tally.errors[f"stalled past the {plan.deadline:.0f} s deadline"] = len(pending)
        await asyncio.gather(*pending, return_exceptions=True)
    return tally


def run_step(plan: Plan, workdir: Path) -> dict[str, Any]:
    # A new file per step, also when a step is repeated (--workers 1000 1000 1000).
    db_url = plan.db or f"sqlite:///{workdir / f'load-{plan.workers}-{time.time_ns()}.db'}"
    runner = Runner(plan, db_url)
    try:
        runner.wait_ready()
        runner.sample_while_running()
        profiler = profile(runner.process.pid, plan) if plan.profile else None
        client = psutil.Process()
        client.cpu_percent()
        started = time.monotonic()
        with collector_off():
            tally = asyncio.run(drive(plan, runner.links))
        elapsed = time.monotonic() - started
        client_cpu = client.cpu_percent()
        exit_code = runner.finish()
    finally:
        if runner.process.poll() is None:  # the step failed: leave no runner behind
            runner.process.kill()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"load-{plan.workers}.runner.log").write_text("\n".join(runner.output) + "\n")
    if profiler is not None:
        profiler.wait(30)
    usage = runner.usage()
    stored = Counter(cid for _, cid in stored_messages(db_url, runner.run_id) if cid is not None)
    sent = set(tally.sent)
    lost, duplicated = losses(tally, stored)
    return {
        "run_id": runner.run_id, "workers": plan.workers, "think_s": plan.think, "messages_per_worker": plan.messages,
        "arrivals_per_s": plan.arrivals,
        "connected_peak": tally.peak_connected, "talking_peak": tally.peak_talking,
        "conversations_completed": tally.submitted // 2,
        "sent": len(sent), "acked": len(tally.acked), "relayed": sum(1 for c in sent if tally.relayed[c]),
        "stored": sum(1 for c in sent if stored.get(c, 0)),
        "lost": len(lost), "duplicated": len(duplicated), "lost_ids": lost[:20], "duplicated_ids": duplicated[:20],
        "relay_ms": summary(tally.relay_ms), "ack_ms": summary(tally.ack_ms),
        "relay_by_second": by_second(tally.relay_timeline),
        "messages_per_s": len(sent) / elapsed if elapsed else None,
        "errors": sum(tally.errors.values()), "error_kinds": dict(tally.errors),
        "runner_exit": exit_code, "seconds": elapsed, "client_cpu_pct": client_cpu, **usage,
    }


@contextmanager
def collector_off() -> Iterator[None]:
    """This process's cyclic garbage collector off for the block. The load process is
    the stopwatch: its own full collections (seen at 1,000 workers: 206 ms, and 20-35 ms
    young ones every 2.5 s) delay the moment it reads a relayed message and were counted
    as the server's latency. The runner keeps its collector; its pauses are real."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def losses(tally: Tally, stored: Mapping[str, int]) -> tuple[list[str], list[str]]:
    """Messages lost (acked but not stored, or stored but never relayed to the partner)
    and duplicated (stored or relayed more than once), by client message id."""
    lost = sorted(c for c in tally.sent if (c in tally.acked and not stored.get(c))
                  or (stored.get(c) and not tally.relayed[c]))
    duplicated = sorted(c for c in tally.sent if stored.get(c, 0) > 1 or tally.relayed[c] > 1)
    return lost, duplicated


def by_second(timeline: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """Relay latency per second of the step: count, p50, p99 and max of messages sent then."""
    if not timeline:
        return []
    start = min(t for t, _ in timeline)
    seconds: dict[int, list[float]] = {}
    for sent, ms in timeline:
        seconds.setdefault(int(sent - start), []).append(ms)
    return [{"second": s, "count": len(v), **summary(v)} for s, v in sorted(seconds.items())]


def summary(values: list[float]) -> dict[str, float | None]:
    return {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99), "max": max(values, default=None)}


COLUMNS = ["workers", "peak connected", "peak talking", "convs done", "sent", "acked", "stored", "lost", "dup",
           "relay p50 ms", "p95", "p99", "max", "ack p50 ms", "ack p99", "msg/s", "errors",
           "runner CPU %", "RSS MiB", "threads"]


def row(result: dict[str, Any]) -> list[Any]:
    relay, ack = result["relay_ms"], result["ack_ms"]
    return [result["workers"], result["connected_peak"], result["talking_peak"], result["conversations_completed"], result["sent"],
            result["acked"], result["stored"], result["lost"], result["duplicated"],
            relay["p50"], relay["p95"], relay["p99"], relay["max"], ack["p50"], ack["p99"],
            result["messages_per_s"], result["errors"], result["cpu_mean_pct"], result["rss_max_mib"],
            result["threads_max"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[50, 200, 500, 1000],
                        help="simulated workers per step (even numbers; repeat one to run it again)")
    parser.add_argument("--messages", type=int, default=20, help="messages each worker sends")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time in seconds")
    parser.add_argument("--arrivals", type=float, default=25.0, help="workers arriving per second")
    parser.add_argument("--db", help="store URL (default: a new SQLite file per step)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the runner with py-spy (bench/results/load-N.profile.txt)")
    parser.add_argument("--name", default="load",
                        help="name of the results file and of the table in BENCHMARKS.md (default load)")
    parser.add_argument("--smoke", action="store_true",
                        help="50 workers, 4 messages each; check correctness only, record nothing")
    args = parser.parse_args(argv)
    if args.smoke:
        args.workers, args.messages, args.think, args.arrivals = [50], 4, 0.2, 100.0
    results = []
    with tempfile.TemporaryDirectory(prefix="parley-load-") as workdir:
        for workers in args.workers:
            plan = Plan(workers, args.messages, args.think, args.arrivals, args.db, profile=args.profile)
            print(f"step: {workers} workers arriving {args.arrivals:g}/s, {args.messages} messages each, "
                  f"think {args.think:g} s ...", flush=True)
            result = run_step(plan, Path(workdir))
            print(json.dumps({k: result[k] for k in ("sent", "acked", "stored", "lost", "duplicated",
                                                      "relay_ms", "errors", "error_kinds")}), flush=True)
            results.append(result)
    title = "Live load: simulated workers in two-person conversations (local provider)"
    publish(args.name, title if args.name == "load" else f"{title}: {args.name}",
            COLUMNS, [row(r) for r in results], {"steps": results},
            notes=NOTES, record=not args.smoke)
    return check(results)


NOTES = ("Relay latency: worker A's send → worker B's receive, measured in the load process. "
         "Lost: acked but not in the store, or stored but never relayed. Dup: stored or relayed twice. "
         "Runner CPU is percent of one core, averaged over the step.")


def check(results: list[dict[str, Any]]) -> int:
    """Exit status: 1, with a sentence per step, if any step lost, duplicated or failed to
    store messages, left a conversation unfinished, or its runner failed."""
    failures = []
    for r in results:
        problems = []
        if r["lost"] or r["duplicated"]:
            problems.append(f"{r['lost']} lost and {r['duplicated']} duplicated "
                            f"(e.g. {r['lost_ids'][:3] + r['duplicated_ids'][:3]})")
        if r["stored"] != r["sent"] or r["acked"] != r["sent"]:
            problems.append(f"{r['sent']} sent but {r['acked']} acked and {r['stored']} stored")
        if r["conversations_completed"] != r["workers"] // 2:
            problems.append(f"{r['conversations_completed']} of {r['workers'] // 2} conversations completed")
        if r["runner_exit"] != 0:
            problems.append(f"the runner exited with {r['runner_exit']}")
        if problems:
            failures.append(f"{r['workers']} workers: " + "; ".join(problems) + f"; errors {r['error_kinds']}")
    return verdict(failures, "Every message was acked, relayed once and stored once; every conversation completed.")


if __name__ == "__main__":
    sys.exit(main())
