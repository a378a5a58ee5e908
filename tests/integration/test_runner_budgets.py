"""The live channel's budget per worker: a message past the rate, the count or the bytes a
run allows gets an error frame the worker can read and is stored nowhere; a worker who keeps
sending past it is disconnected and the store says why; and one worker's flood leaves another
worker's messages acked and stored between the flood's own."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.flooder import is_flood
from bench.flooder import start as start_flood
from datastore import MTurkDataHandler
from datastore.models import Message
from runner.budget import (
    BYTES_TEXT,
    COUNT_TEXT,
    CUT_OFF_TEXT,
    RATE_TEXT,
    REFUSALS_BEFORE_CUT_OFF,
)
from runner.live_socket import READ_AHEAD_FRAMES
from tests.faults.crowd import open_link
from tests.faults.processes import PAIR_CHAT, REPO, Runner
from tests.support.live_runner import UNMETERED, LiveRunner, Worker, task_with_config


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
    assignment = worker.config["assignment_id"]
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
    assignment = alice.config["assignment_id"]
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
    assert runner.handler.get_assignment_data(alice.config["assignment_id"])["status"] == "in_task"


EACH_PART = pytest.mark.parametrize(("key", "value", "texts", "refusal", "others"), [
    ("messages_per_second", 0.001, ["m"] * 20, RATE_TEXT, {}),  # the default burst of 20, then none
    # A burst refills at the run's rate: at the default 2 a second, a machine slow to handle
    # three frames gives one back before the third; at 0.001 none comes back meanwhile.
    ("message_burst", 2, ["m"] * 2, RATE_TEXT, {"messages_per_second": 0.001}),
    ("messages_per_assignment", 3, ["m"] * 3, COUNT_TEXT, {}),
    ("bytes_per_assignment", 100, ["x" * 50], BYTES_TEXT, {}),
])
"""Each part of the budget set (with `others` where it needs them), the messages it lets
through at once, and the refusal of one more."""


def assert_let_through_then_refused(alice: Worker, texts: list[str], refusal: str) -> None:
    for n, text in enumerate(texts):
        alice.say(text, cid=f"t{n}", wait_ack=False)
    alice.say("one more", cid="over", wait_ack=False)
    assert [answer(alice, f"t{n}")["type"] for n in range(len(texts))] == ["ack"] * len(texts)
    assert answer(alice, "over")["error"] == refusal


@EACH_PART
def test_each_budget_key_of_the_task_config_limits_its_runs(runners, tmp_path, key, value, texts, refusal, others):
    runner = runners(task_with_config(tmp_path, **{key: value, **others}))
    alice, _ = paired(runner)
    assert_let_through_then_refused(alice, texts, refusal)
    assert runner.handler.get_run_data(runner.run_id)["config"][key] == value


@EACH_PART
def test_each_budget_flag_of_runner_run_limits_the_run(store_url, tmp_path, key, value, texts, refusal, others):
    flags = [arg for name, given in {key: value, **others}.items() for arg in (f"--{name.replace('_', '-')}", str(given))]
    runner = Runner(tmp_path, os.environ.copy(), PAIR_CHAT, "--db", store_url, *flags)
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


FLOOD_BUDGET = {"messages_per_second": 10_000.0, "message_burst": 10_000, "messages_per_assignment": 10_000,
                "bytes_per_assignment": 512 * 1024}
"""The flood's run: the rate does not hold anyone back, so the flooder (bench/flooder.py:
messages of 15,000 characters, as fast as its socket takes them) has about 35 stored, one after
another as fast as the runner stores them, and is cut off by the refusals that follow; the
bytes, not a clock, decide how long the flood lasts. (bench/flood.py times a flood held back by
the rate instead.)"""
MOST_ROUND_TRIPS = 1000
"""Carol's round trips at most: a flood that is cut off lasts for a few hundred at the most, and
one that is never cut off fails here (its flooder does not exit) rather than running on."""


def stored_rows(store_url: str, worker: Worker) -> list[tuple[int, str]]:
    """(row id, client message id) of every message the store holds from `worker`, in the
    order it stored them: row ids are one sequence over every conversation of the store."""
    query = (select(Message.id, Message.client_msg_id)
             .where(Message.assignment_id == worker.config["assignment_id"]).order_by(Message.id))
    with MTurkDataHandler(db_url=store_url).engine.connect() as conn:
        return [(row_id, cid) for row_id, cid in conn.execute(query)]


def test_while_a_worker_floods_another_workers_messages_are_each_acked_and_stored_in_order_between_the_floods_own(
        store_url, tmp_path):
    """Fairness without a clock: from the moment the flood's partner has seen its messages until
    the flooder (cut off, then refused on its return) exits, Carol keeps talking, and every one
    of her messages is acked and stored in order, and some are stored between two of the
    flood's own. A runner that served nobody else while a socket floods it would store all of
    hers after the flood's last."""
    flags = [arg for key, value in FLOOD_BUDGET.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
    runner = Runner(tmp_path, os.environ.copy(), PAIR_CHAT, "-nc", "2", "--disconnect-timeout", "60",
                    "--db", store_url, *flags)
    workers = [open_link(runner.url, link) for link in runner.links(4)]
    flooder, partner, carol, _ = workers  # paired in the order they came: 1 with 2, 3 with 4
    replies: list[dict] = []
    try:
        for worker in workers:
            worker.wait_state("in_task")
        flood = start_flood(runner.url.replace("http", "ws", 1) + "/ws", flooder.config["token"])
        partner.wait_for(lambda f: f["type"] == "message" and is_flood(f["act"]["text"]))
        while flood.poll() is None and len(replies) < MOST_ROUND_TRIPS:  # the flood is on, or just cut off
            cid = f"during-{len(replies)}"
            carol.say(f"while flooded {len(replies)}", cid=cid, wait_ack=False)
            replies.append(answer(carol, cid))
        report = json.loads(flood.communicate(timeout=60)[0])
    finally:
        for worker in workers:
            worker.close()
        runner.stop()

    assert report["answer_on_return"] == {"type": "error", "error": CUT_OFF_TEXT, "fatal": True}
    handler = MTurkDataHandler(db_url=store_url)
    stored = [m for m in handler.get_messages(runner.run_id, "t_1") if is_flood(m["text"])]
    assert sum(len(json.dumps(m["text"])) for m in stored) <= FLOOD_BUDGET["bytes_per_assignment"]
    assert report["sent"] > len(stored)
    assert handler.get_assignment_data(flooder.config["assignment_id"])["status"] == "disconnect"

    sent = [f"during-{n}" for n in range(len(replies))]
    assert replies and [r["type"] for r in replies] == ["ack"] * len(replies), replies
    carols = stored_rows(store_url, carol)
    assert [cid for _, cid in carols] == sent
    assert [row_id for row_id, _ in carols] == [r["id"] for r in replies]
    floods = [row_id for row_id, _ in stored_rows(store_url, flooder)]
    assert len(floods) == len(stored)
    between = [row_id for row_id, _ in carols if floods[0] < row_id < floods[-1]]
    assert between, f"Carol's rows {[r for r, _ in carols]}, the flood's {floods}"


def test_a_page_that_sends_faster_than_the_runner_handles_its_frames_is_held_back_not_buffered(runners):
    """The runner reads a socket no further than READ_AHEAD_FRAMES ahead of the frames it has
    handled (and what its last read of 4 KiB brought): the rest waits in the page's own TCP
    buffers, not in the runner's memory."""
    runner = runners(**UNMETERED)  # every frame is stored: a write each, slower than the page
    alice, _ = paired(runner)
    session = runner.manager.sessions[alice.config["assignment_id"]]
    padding = "p" * 4000  # a frame a read: what a read brings is one frame, or two
    sender = threading.Thread(target=lambda: [alice.say(f"{n} {padding}", cid=f"f{n}", wait_ack=False)
                                              for n in range(500)])
    sender.start()
    queued = []
    while sender.is_alive():
        queued.append(len(session._ws.input_buffer))  # simple-websocket's frames parsed, not yet handled
        time.sleep(0.001)
    sender.join()
    answer(alice, "f499")
    assert max(queued) <= READ_AHEAD_FRAMES + 2
    assert len(stored_from(runner, alice)) == 500
