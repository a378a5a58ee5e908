"""One worker floods the runner; does another worker's round trip stay as it was? A real runner
(`python -m runner run bench/tasks/free_chat`, local provider, in its own process, the store on
a new SQLite file), four workers on real websockets in two pairs, and the flooder
(bench/flooder.py) in a process of its own, which takes over the first worker's page and sends
messages of 15,000 characters as fast as its socket takes them until the runner cuts it off.

The third worker, Carol, sends a message, waits for its ack, waits 10 ms and sends the next,
in three blocks: calm, flooded (from the moment the flooder's partner has received a flood
message) and calm again, so a machine that slows down or speeds up meanwhile weighs on both
kinds alike. The run's budget lets the flood last until its bytes are spent (a few seconds);
the flooded numbers are those of Carol's round trips answered while the flooder ran. Target:
their p99 at most twice the calm p99.

    python bench/flood.py            # three runs of 800 round trips a block, recorded in BENCHMARKS.md
    python bench/flood.py --smoke    # one run of 20 a block; checks correctness only (no times)

Either way it exits 1 if one of Carol's messages is refused, unanswered, or not stored in the
order she sent it, or if the flooder is not cut off (its assignment ended as a disconnect, its
return refused with the fatal error frame, fewer of its messages stored than sent and those
within the run's bytes); the full run also when a run misses the target.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

if __package__ in (None, ""):  # run as `python bench/flood.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import flooder  # noqa: E402
from bench.load import Plan, Runner, collector_off, load_page  # noqa: E402
from bench.report import ROOT, BenchFailure, percentile, publish, verdict  # noqa: E402
from datastore import MTurkDataHandler  # noqa: E402
from datastore.models import Conversation, Message  # noqa: E402
from runner.budget import CUT_OFF_TEXT  # noqa: E402

TASK = ROOT / "bench" / "tasks" / "free_chat"
BUDGET = {"messages_per_second": 10_000.0, "message_burst": 10_000, "messages_per_assignment": 10_000,
          "bytes_per_assignment": 4 * 1024 * 1024}
"""Each worker's budget in the run: no rate a page can reach, so the flooder has every message
stored, as fast as the runner takes them, until its 4 MiB are spent (about 280 messages of
15,000 characters); ten refusals in a row then cut it off. A rate budget would cut it off
within a few of Carol's round trips, leaving nothing to measure."""
PAUSE = 0.01
"""Carol's wait between an ack and her next message."""
ROUND_TRIPS, RUNS, SMOKE_ROUND_TRIPS = 800, 3, 20
TARGET = 2.0
"""Flooded p99 at most this many times the calm p99."""
ANSWER_SECONDS = 30.0
CUT_OFF_FRAME = {"type": "error", "error": CUT_OFF_TEXT, "fatal": True}

Frame = dict[str, Any]


class Page:
    """One worker's chat page on a real websocket: the frames it is sent, its heartbeats, and
    the answer (ack or error) to each message it sends."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.frames: list[Frame] = []
        self._answers: dict[str, asyncio.Future[Frame]] = {}
        self._waiting: list[tuple[Callable[[Frame], bool], asyncio.Future[Frame]]] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        self.ws = await connect(self.config["ws_path"], ping_interval=None, max_size=2**20, open_timeout=60)
        await self.ws.send(json.dumps({"type": "hello", "token": self.config["token"], "last_seq": 0}))
        self._tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._beat())]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.ws.close()

    async def _listen(self) -> None:
        with contextlib.suppress(ConnectionClosed):  # the runner closed it: a page taken over
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame["type"] in ("ack", "error") and frame.get("cid") in self._answers:
                    self._answers.pop(frame["cid"]).set_result(frame)
                    continue
                self.frames.append(frame)
                for match, future in [w for w in self._waiting if w[0](frame)]:
                    self._waiting.remove((match, future))
                    future.set_result(frame)

    async def _beat(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(float(self.config["heartbeat_seconds"]))
                await self.ws.send('{"type":"heartbeat"}')

    async def wait_for(self, match: Callable[[Frame], bool], what: str, timeout: float = 60) -> Frame:
        """The first frame `match` takes, already received or still to come."""
        for frame in self.frames:
            if match(frame):
                return frame
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((match, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise BenchFailure(f"{what} within {timeout:g} s") from None

    async def round_trip(self, cid: str, text: str) -> tuple[Frame, float]:
        """Send a message; its answer and the seconds it took to come."""
        answer = asyncio.get_running_loop().create_future()
        self._answers[cid] = answer
        started = time.perf_counter()
        await self.ws.send(json.dumps({"type": "message", "cid": cid, "act": {"text": text}}))
        try:
            frame = await asyncio.wait_for(answer, ANSWER_SECONDS)
        except TimeoutError:
            raise BenchFailure(f"Carol's message {cid} had no answer in {ANSWER_SECONDS:g} s") from None
        return frame, time.perf_counter() - started


@dataclass
class Measured:
    """One run: Carol's round trips in seconds, and what the flood did."""

    calm: list[float] = field(default_factory=list)
    flooded: list[float] = field(default_factory=list)
    during: list[float] = field(default_factory=list)
    """The flooded round trips answered while the flooder's process still ran."""
    sent: list[str] = field(default_factory=list)
    """Carol's client message ids, in the order she sent them."""
    flood: dict[str, Any] = field(default_factory=dict)
    """The flooder's report: frames sent, and the runner's answer to its return."""
    assignments: dict[str, str] = field(default_factory=dict)


async def talk(carol: Page, label: str, count: int, measured: Measured,
               flood: subprocess.Popen[str] | None = None) -> list[float]:
    """`count` round trips one after another; each must be acked."""
    seconds = []
    for n in range(count):
        cid = f"{label}-{n}"
        measured.sent.append(cid)
        answer, took = await carol.round_trip(cid, f"{label} {n}")
        if answer["type"] != "ack":
            raise BenchFailure(f"Carol's message {cid} was refused: {answer.get('error')}")
        seconds.append(took)
        if flood is not None and flood.poll() is None:
            measured.during.append(took)
        await asyncio.sleep(PAUSE)
    return seconds


async def measure(links: list[str], round_trips: int) -> Measured:
    pages: list[Page] = []
    try:
        for link in links:  # one at a time: the runner pairs them in the order they came, 1 with 2, 3 with 4
            pages.append(Page(await asyncio.to_thread(load_page, link)))
            await pages[-1].open()
            await pages[-1].wait_for(lambda f: f["type"] == "welcome", "a page was not welcomed")
        for page in pages:
            await page.wait_for(lambda f: f.get("state") == "in_task", "a worker was not paired")
        flooding, partner, carol, _ = pages
        measured = Measured(assignments={"flooder": flooding.config["assignment_id"],
                                         "carol": carol.config["assignment_id"]})
        measured.calm += await talk(carol, "calm", round_trips, measured)
        flood = flooder.start(flooding.config["ws_path"], flooding.config["token"])
        try:
            await partner.wait_for(lambda f: f["type"] == "message" and flooder.is_flood(f["act"]["text"]),
                                   "the flooder's partner received none of its messages")
            measured.flooded = await talk(carol, "flooded", round_trips, measured, flood)
            out, _ = await asyncio.to_thread(flood.communicate, timeout=60)
        finally:
            if flood.poll() is None:
                flood.kill()
        measured.flood = json.loads(out)
        measured.calm += await talk(carol, "calm-again", round_trips, measured)
        return measured
    finally:
        for page in pages:
            await page.close()


def stored(db_url: str, run_id: str, assignment_id: str) -> list[tuple[str | None, str]]:
    """(client message id, text) of every message the store holds from one assignment of the
    run, in the order it stored them."""
    query = (select(Message.client_msg_id, Message.payload)
             .join(Conversation, Conversation.id == Message.conversation_pk)
             .where(Conversation.run_id == run_id, Message.assignment_id == assignment_id)
             .order_by(Message.id))
    with MTurkDataHandler(db_url=db_url).engine.connect() as conn:
        return [(cid, payload.get("text", "")) for cid, payload in conn.execute(query)]


def run_once(db_url: str, round_trips: int) -> tuple[Measured, str]:
    """A runner of its own, measured; and the run's id."""
    flags = [arg for key, value in BUDGET.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
    runner = Runner(Plan(workers=4), db_url, *flags, task=TASK)
    try:
        runner.wait_ready()
        with collector_off():
            measured = asyncio.run(measure(runner.links, round_trips))
    finally:
        runner.process.terminate()
        runner.process.wait(30)
    return measured, runner.run_id


def problems_of(measured: Measured, db_url: str, run_id: str) -> tuple[list[str], int]:
    """What the store and the flooder's report say went wrong; and the flood's stored messages."""
    problems = []
    carols = [cid for cid, _ in stored(db_url, run_id, measured.assignments["carol"])]
    if carols != measured.sent:
        problems.append(f"Carol sent {len(measured.sent)} messages and the store holds {len(carols)} of hers, "
                        "not each once in the order she sent them")
    flood = [text for _, text in stored(db_url, run_id, measured.assignments["flooder"]) if flooder.is_flood(text)]
    flood_bytes = sum(len(json.dumps(text)) for text in flood)
    if flood_bytes > BUDGET["bytes_per_assignment"]:
        problems.append(f"the flood has {flood_bytes:,} bytes stored, over the run's {BUDGET['bytes_per_assignment']:,}")
    if measured.flood["sent"] <= len(flood):
        problems.append(f"every one of the flood's {measured.flood['sent']} messages was stored")
    if measured.flood["answer_on_return"] != CUT_OFF_FRAME:
        problems.append(f"the flooder was not cut off: its return was answered {measured.flood['answer_on_return']}")
    status = MTurkDataHandler(db_url=db_url).get_assignment_data(measured.assignments["flooder"])["status"]
    if status != "disconnect":
        problems.append(f"the flooder's assignment ended as {status}, not disconnect")
    return problems, len(flood)


COLUMNS = ["run", "calm round trips", "calm p50 ms", "calm p99 ms", "flooded-block round trips",
           "answered while the flooder ran", "their p50 ms", "their p99 ms", "their / calm p99",
           "flood frames sent", "flood stored", "target met"]


def row(number: int, measured: Measured, flood_stored: int, smoke: bool) -> list[Any]:
    calm = [percentile(measured.calm, f) for f in (0.5, 0.99)]
    flooded = [percentile(measured.during, f) for f in (0.5, 0.99)]
    ratio = flooded[1] / calm[1] if calm[1] and flooded[1] is not None else None
    if smoke:  # 20 round trips a block time nothing
        calm, flooded, ratio = [None, None], [None, None], None
    ms = [None if s is None else s * 1000 for s in (*calm, *flooded)]
    met = None if ratio is None else ("yes" if ratio <= TARGET else "no")
    return [number, len(measured.calm), ms[0], ms[1], len(measured.flooded), len(measured.during), ms[2], ms[3],
            ratio, measured.flood["sent"], flood_stored, met]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs, each with a runner of its own (default {RUNS})")
    parser.add_argument("--round-trips", type=int, default=ROUND_TRIPS,
                        help=f"Carol's round trips in each block (default {ROUND_TRIPS})")
    parser.add_argument("--db", help="store URL (default: a new SQLite file per run)")
    parser.add_argument("--smoke", action="store_true",
                        help=f"one run of {SMOKE_ROUND_TRIPS} round trips a block; check correctness only, record nothing")
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs, args.round_trips = 1, SMOKE_ROUND_TRIPS
    if args.runs < 1 or args.round_trips < 1:
        parser.error("--runs and --round-trips must be 1 or more")
    problems: list[str] = []
    rows, raw = [], []
    with tempfile.TemporaryDirectory(prefix="parley-flood-") as workdir:
        for number in range(1, args.runs + 1):
            db_url = args.db or f"sqlite:///{Path(workdir) / f'flood-{number}.db'}"
            try:
                measured, run_id = run_once(db_url, args.round_trips)
            except BenchFailure as exc:
                problems.append(f"run {number}: {exc}")
                continue
            found, flood_stored = problems_of(measured, db_url, run_id)
            problems += [f"run {number}: {problem}" for problem in found]
            rows.append(row(number, measured, flood_stored, args.smoke))
            if not args.smoke and not measured.during:
                problems.append(f"run {number}: the flood ended before any of Carol's round trips did; "
                                "nothing was measured under it")
            if rows[-1][-1] == "no":
                problems.append(f"run {number}: p99 while flooded {rows[-1][7]:.1f} ms is more than {TARGET:g} times "
                                f"the calm p99 {rows[-1][3]:.1f} ms")
            raw.append({"run_id": run_id, "assignments": measured.assignments, "sent": measured.sent, "calm_ms": [s * 1000 for s in measured.calm],
                        "flooded_ms": [s * 1000 for s in measured.flooded], "flood": measured.flood,
                        "flood_stored": flood_stored})
    publish("flood", "One worker's flood and another worker's round trips", COLUMNS, rows,
            {"smoke": args.smoke, "budget": BUDGET, "runs": raw}, record=not args.smoke, notes=NOTES)
    success = ("Every one of Carol's messages was acked and stored in order, and the flooder was cut off"
               + ("." if args.smoke else f"; flooded p99 within {TARGET:g} times the calm p99 in every run."))
    return verdict(problems, success)


NOTES = ("Carol's round trip: her send → the runner's ack (sent once the row is committed), one message at a time "
         "with 10 ms between, 800 a block. Calm pools the blocks before and after the flood. 'Answered while the "
         "flooder ran': flooded round trips whose ack came before the flooder's process exited (the flood, "
         "its cut-off and its refused return); 'their' p50 and p99 are of those. Budget per worker: 4 MiB, and no rate a page reaches (10,000 a second), "
         "so the flood lasts until its bytes are spent.")


if __name__ == "__main__":
    sys.exit(main())
