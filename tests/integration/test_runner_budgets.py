"""The live channel's budget per worker: a message past the rate, the count or the bytes a
run allows gets an error frame the worker can read and is stored nowhere; a worker who keeps
sending past it is disconnected and the store says why; and one worker's flood leaves another
worker's round trips as they were."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from statistics import quantiles

import pytest
import simple_websocket

from datastore import MTurkDataHandler
from runner.budget import (
    BYTES_TEXT,
    COUNT_TEXT,
    CUT_OFF_TEXT,
    RATE_TEXT,
    REFUSALS_BEFORE_CUT_OFF,
)
from runner.protocol import MAX_TEXT_CHARS
from tests.faults.crowd import open_link
from tests.faults.processes import PAIR_CHAT, REPO, Runner
from tests.support.live_runner import LiveRunner, Worker, task_with_config


@pytest.fixture
def runners(store_url):
    started: list[LiveRunner] = []

    def start(task: str | Path = "pair_chat", num_conversations: int = 1, **options) -> LiveRunner:
        started.append(LiveRunner(store_url, str(task), num_conversations=num_conversations, **options))
        return started[-1]

    yield start
    for runner in started:
        runner.stop()


def paired(runner: LiveRunner) -> tuple[Worker, Worker]:
    alice, bob = runner.join("W1"), runner.join("W2")
    for worker in (alice, bob):
        worker.wait_state("in_task")
    return alice, bob


def answer(worker: Worker, cid: str) -> dict:
    """The server's ack or error for message `cid`."""
    return worker.wait_for(lambda f: f["type"] in ("ack", "error") and f.get("cid") == cid)


def send(worker: Worker, text: str, cid: str) -> dict:
    worker.say(text, cid=cid)
    return answer(worker, cid)


def stored_from(runner: LiveRunner, worker: Worker) -> list[str]:
    assignment = worker.config["submit"]["assignment_id"]
    return [m["text"] for m in runner.handler.get_messages(runner.run_id, "t_1")
            if m["assignment_id"] == assignment]


def test_a_worker_over_the_message_rate_gets_an_error_frame_and_nothing_is_stored(runners):
    runner = runners(message_burst=3, messages_per_second=0.001)
    alice, bob = paired(runner)
    for n in range(3):
        assert send(alice, f"quick {n}", f"q{n}")["type"] == "ack"
    refused = send(alice, "one too many", "q3")
    assert refused == {"type": "error", "cid": "q3", "error": RATE_TEXT}
    assert stored_from(runner, alice) == ["quick 0", "quick 1", "quick 2"]
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "quick 0")
    assert "one too many" not in bob.texts()


def test_the_rate_refills_so_a_worker_who_slows_down_is_let_through_again(runners):
    runner = runners(message_burst=1, messages_per_second=2)
    alice, _ = paired(runner)
    alice.say("first", cid="r1", wait_ack=False)
    alice.say("second at once", cid="r2", wait_ack=False)
    assert answer(alice, "r1")["type"] == "ack"
    assert answer(alice, "r2")["error"] == RATE_TEXT
    time.sleep(0.6)  # the bucket gains a message every half second
    assert send(alice, "third, later", "r3")["type"] == "ack"
    assert stored_from(runner, alice) == ["first", "third, later"]


def test_a_worker_over_the_messages_per_assignment_gets_an_error_frame_and_nothing_is_stored(runners):
    runner = runners(messages_per_assignment=2)
    alice, _ = paired(runner)
    assert [send(alice, f"m{n}", f"m{n}")["type"] for n in range(2)] == ["ack", "ack"]
    assert send(alice, "m2", "m2") == {"type": "error", "cid": "m2", "error": COUNT_TEXT}
    assert stored_from(runner, alice) == ["m0", "m1"]


def test_a_worker_over_the_bytes_per_assignment_gets_an_error_frame_and_nothing_is_stored(runners):
    # A stored act is {"id":"Alice","text":"...","episode_done":false}: 45 bytes and the text.
    runner = runners(bytes_per_assignment=340)
    alice, _ = paired(runner)
    assert send(alice, "a" * 100, "b1")["type"] == "ack"
    assert send(alice, "é" * 50, "b2")["type"] == "ack"  # 100 bytes of UTF-8: 290 in all
    assert send(alice, "c" * 20, "b3") == {"type": "error", "cid": "b3", "error": BYTES_TEXT}  # 355
    assert send(alice, "ok", "b4")["type"] == "ack"  # 337
    assert stored_from(runner, alice) == ["a" * 100, "é" * 50, "ok"]


def test_a_message_sent_again_after_a_reconnect_is_not_charged_twice(runners):
    runner = runners(messages_per_assignment=2)
    alice, _ = paired(runner)
    first = send(alice, "once", "c1")
    assert send(alice, "once", "c1") == first  # the page re-sends what it saw no ack for
    assert send(alice, "twice", "c2")["type"] == "ack"
    assert stored_from(runner, alice) == ["once", "twice"]


def test_a_worker_who_keeps_going_past_the_budget_is_disconnected_and_the_store_says_why(runners):
    runner = runners(messages_per_assignment=1)
    alice, bob = paired(runner)
    assert send(alice, "the only one", "k0")["type"] == "ack"
    for n in range(1, REFUSALS_BEFORE_CUT_OFF):
        assert send(alice, f"again {n}", f"k{n}")["error"] == COUNT_TEXT
    assignment = alice.config["submit"]["assignment_id"]
    assert runner.handler.get_assignment_data(assignment)["status"] == "in_task"  # told nine times
    last = send(alice, "and again", "k-last")
    assert last["error"] == COUNT_TEXT
    assert alice.wait_state("disconnect")["text"] == CUT_OFF_TEXT
    alice._reader.join(timeout=10)
    assert not alice._reader.is_alive(), "the runner kept the socket of a worker it cut off"
    assert (alice.ws.close_reason, alice.ws.close_message) == (1008, "over the message budget")

    assert runner.handler.get_assignment_data(assignment)["status"] == "disconnect"
    notes = runner.handler.get_worker_assignment_pairing("W1", assignment)["notes"]
    assert notes == ("disconnected by the runner: kept sending messages past the budget of "
                     "1 messages per assignment\n")
    assert stored_from(runner, alice) == ["the only one"]
    bob.wait_state("partner_disconnect")

    again = Worker(runner.server.url, alice.config, last_seq=alice.last_seq)  # the page comes back
    runner.workers.append(again)
    refusal = again.wait_for(lambda f: f["type"] == "error")
    assert refusal == {"type": "error", "error": CUT_OFF_TEXT, "fatal": True}


def test_a_worker_who_slows_down_when_told_is_not_cut_off(runners):
    runner = runners(message_burst=1, messages_per_second=4)
    alice, _ = paired(runner)
    for round_ in range(3):
        cids = [f"s{round_}-{n}" for n in range(REFUSALS_BEFORE_CUT_OFF)]
        for cid in cids:  # one goes through, nine are refused
            alice.say(cid, cid=cid, wait_ack=False)
        assert [answer(alice, c)["type"] for c in cids].count("error") == REFUSALS_BEFORE_CUT_OFF - 1
        time.sleep(0.3)  # the worker waits, as the error frame asks
    assert send(alice, "still here", "s-end")["type"] == "ack"
    assert runner.handler.get_assignment_data(alice.config["submit"]["assignment_id"])["status"] == "in_task"


EACH_PART = pytest.mark.parametrize(("key", "value", "texts", "refusal"), [
    ("messages_per_second", 0.001, ["m"] * 20, RATE_TEXT),  # the default burst of 20, then none
    ("message_burst", 2, ["m"] * 2, RATE_TEXT),
    ("messages_per_assignment", 3, ["m"] * 3, COUNT_TEXT),
    ("bytes_per_assignment", 100, ["x" * 50], BYTES_TEXT),
])
"""Each part of the budget set on its own, the messages it lets through at once, and the
refusal of one more."""


def assert_let_through_then_refused(alice: Worker, texts: list[str], refusal: str) -> None:
    for n, text in enumerate(texts):
        alice.say(text, cid=f"t{n}", wait_ack=False)
    alice.say("one more", cid="over", wait_ack=False)
    assert [answer(alice, f"t{n}")["type"] for n in range(len(texts))] == ["ack"] * len(texts)
    assert answer(alice, "over")["error"] == refusal


@EACH_PART
def test_each_budget_key_of_the_task_config_limits_its_runs(runners, tmp_path, key, value, texts, refusal):
    runner = runners(task_with_config(tmp_path, **{key: value}))
    alice, _ = paired(runner)
    assert_let_through_then_refused(alice, texts, refusal)
    assert runner.handler.get_run_data(runner.run_id)["config"][key] == value


@EACH_PART
def test_each_budget_flag_of_runner_run_limits_the_run(store_url, tmp_path, key, value, texts, refusal):
    runner = Runner(tmp_path, os.environ.copy(), PAIR_CHAT, "--db", store_url, f"--{key.replace('_', '-')}", str(value))
    workers = [open_link(runner.url, link) for link in runner.links(2)]
    try:
        for worker in workers:
            worker.wait_state("in_task")
        assert_let_through_then_refused(workers[0], texts, refusal)
        assert MTurkDataHandler(db_url=store_url).get_run_data(runner.run_id)["config"][key] == value
    finally:
        for worker in workers:
            worker.close()
        runner.stop()


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("messages_per_second", 0, "must be a number more than 0"),
    ("messages_per_second", "10", "must be a number more than 0"),
    ("message_burst", 1.5, "must be a whole number, 1 or more"),
    ("messages_per_assignment", -1, "must be a whole number, 1 or more"),
    ("bytes_per_assignment", True, "must be a whole number, 1 or more"),
])
def test_a_task_config_with_a_bad_budget_is_refused_with_one_sentence_and_exit_2(store_url, tmp_path, key, value,
                                                                                  problem):
    task = task_with_config(tmp_path, **{key: value})
    result = subprocess.run([sys.executable, "-m", "runner", "run", str(task), "--db", store_url],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == f"python -m runner: error: task budgeted_chat: {key} {problem}"
    assert MTurkDataHandler(db_url=store_url).get_all_run_data() == []


def test_a_budget_given_to_the_run_wins_over_the_task_config(runners, tmp_path):
    runner = runners(task_with_config(tmp_path, messages_per_assignment=1),
                     messages_per_assignment=3)
    alice, _ = paired(runner)
    assert [send(alice, f"m{n}", f"m{n}")["type"] for n in range(4)] == ["ack", "ack", "ack", "error"]
    assert runner.handler.get_run_data(runner.run_id)["config"]["messages_per_assignment"] == 3


FLOOD_TEXT_CHARS = 15_000
ROUND_TRIPS = 300
"""Per window: p99 is then the third slowest, so one round trip that shares a moment with
the flood's first few frames cannot decide it, and a flood that lasts decides it alone."""


def round_trips(worker: Worker, label: str, count: int = ROUND_TRIPS) -> list[float]:
    """Seconds from sending each of `count` messages to its ack, one at a time."""
    seconds = []
    for n in range(count):
        cid = f"{label}{n}"
        started = time.perf_counter()
        worker.say(f"{label} {n}", cid=cid, wait_ack=False)
        reply = answer(worker, cid)
        assert reply["type"] == "ack", reply
        seconds.append(time.perf_counter() - started)
        time.sleep(0.025)  # at most 40 a second: within the run's rate
    return seconds


def p99(seconds: list[float]) -> float:
    return quantiles(seconds, n=100)[98]


class Flood:
    """A worker who sends unique 15 KB messages as fast as the socket takes them, and when
    the runner closes the socket, opens the page again and goes on."""

    def __init__(self, runner: LiveRunner, worker: Worker) -> None:
        self.runner, self.worker = runner, worker
        self.sent = 0
        self.refused_again: dict | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._flood, daemon=True)
        self.thread.start()

    def _flood(self) -> None:
        padding = "x" * FLOOD_TEXT_CHARS
        while not self.stop.is_set():
            try:
                self.worker.say(f"{self.sent} {padding}", cid=f"flood{self.sent}", wait_ack=False)
                self.sent += 1
            except (simple_websocket.ConnectionClosed, OSError):
                break
        if self.stop.is_set():
            return
        again = Worker(self.runner.server.url, self.worker.config, last_seq=self.worker.last_seq)
        self.runner.workers.append(again)
        self.refused_again = again.wait_for(lambda f: f["type"] == "error")

    def end(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def test_one_workers_flood_leaves_another_workers_round_trip_p99_within_twice_its_unloaded_value(runners):
    budget = {"messages_per_second": 50.0, "message_burst": 10, "messages_per_assignment": 10_000,
              "bytes_per_assignment": 256 * 1024}
    runner = runners(num_conversations=2, **budget)
    flooder, _ = paired(runner)
    carol, dave = runner.join("W3"), runner.join("W4")
    for worker in (carol, dave):
        worker.wait_state("in_task")
    assert FLOOD_TEXT_CHARS < MAX_TEXT_CHARS  # honest-looking messages, only too many

    unloaded = round_trips(carol, "calm")
    flood = Flood(runner, flooder)
    loaded = round_trips(carol, "flood")
    flood.end()

    assert flood.refused_again == {"type": "error", "error": CUT_OFF_TEXT, "fatal": True}
    stored = runner.handler.get_messages(runner.run_id, "t_1")
    flooded = [m for m in stored if m["text"].endswith("x" * 100)]
    assert sum(len(json.dumps(m["text"])) for m in flooded) <= budget["bytes_per_assignment"]
    assert flood.sent > len(flooded)
    assert runner.handler.get_assignment_data(flooder.config["submit"]["assignment_id"])["status"] == "disconnect"
    quiet, busy = p99(unloaded), p99(loaded)
    print(f"carol's round trip p99: {quiet * 1000:.1f} ms unloaded, {busy * 1000:.1f} ms during the flood "
          f"({flood.sent} flood frames sent, {len(flooded)} stored)")
    assert busy <= 2 * quiet, f"p99 {busy * 1000:.1f} ms during the flood, {quiet * 1000:.1f} ms without"
