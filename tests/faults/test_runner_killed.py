"""A runner on (fake) MTurk killed with SIGKILL in the middle of 50 live conversations.

100 workers accept HITs on the fake MTurk, open their chat pages and are paired; a few
finish their conversation and submit on MTurk; the rest stream messages from several
threads without waiting for acks, as fast typists on slow links do, and the runner is
killed mid-stream. Afterwards every message the runner acked is in the store exactly once,
every assignment is in a state the state machine knows and can still move on from, and the
next runner (`--expire-orphans`) expires the dead run's HITs, marks it stopped and records
what was submitted on MTurk while nobody was listening.
"""
from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter, defaultdict
from urllib.parse import urlencode

import pytest
import simple_websocket

from datastore import MTurkDataHandler
from datastore.states import ASSIGNMENT_TRANSITIONS, FINAL, AssignmentStatus
from tests.fakes.mturk_server import FakeMTurk
from tests.faults.crowd import acks_of, assignment_of, in_parallel, open_link, pairs_by_conversation
from tests.faults.processes import PAIR_CHAT, Runner
from tests.support.live_runner import UNMETERED_FLAGS, Worker, chat_pair_to_the_end

WORKERS = 100
CONVERSATIONS = WORKERS // 2
FINISHING = 3
"""Conversations that end, and whose workers submit on MTurk, before the kill."""
SENDER_THREADS = 8
ROUND_PAUSE = 0.05
"""Seconds each sender thread waits between rounds over its workers."""
RESEND_EVERY = 10
"""Every 10th frame re-sends an earlier client id, as a page does after a reconnect."""
ACKS_BEFORE_KILL = 1500


@pytest.fixture
def fake():
    with FakeMTurk() as mturk:
        yield mturk


@pytest.fixture
def env(fake):
    return {**os.environ, "AWS_ACCESS_KEY_ID": "fake", "AWS_SECRET_ACCESS_KEY": "fake",
            "PARLEY_MTURK_ENDPOINT": fake.url}


def mturk_args(store_url: str, *args: str) -> list[str]:
    return [PAIR_CHAT, *args, "--provider", "mturk", "--public-url", "http://127.0.0.1:9", "--db", store_url]


def open_chat_page(runner: Runner, fake: FakeMTurk, hit_id: str, worker_id: str) -> Worker:
    """The worker accepts the HIT on MTurk, and MTurk's frame opens the chat page."""
    assignment_id = fake.accept(hit_id, worker_id)
    query = urlencode({"assignmentId": assignment_id, "hitId": hit_id, "workerId": worker_id,
                       "turkSubmitTo": "https://workersandbox.mturk.com"})
    return open_link(runner.url, f"{runner.url}/task/{runner.run_id}?{query}")


class Stream:
    """Sender threads, each sending for its share of the workers in rounds, never waiting
    for an ack; `sent[assignment][cid]` is the text sent under each client id."""

    def __init__(self, workers: list[Worker]) -> None:
        self.sent: dict[str, dict[str, str]] = defaultdict(dict)
        self.stop = threading.Event()
        shares = [workers[n::SENDER_THREADS] for n in range(SENDER_THREADS)]
        self.threads = [threading.Thread(target=self._send, args=(share,), daemon=True) for share in shares]
        for thread in self.threads:
            thread.start()

    def _send(self, share: list[Worker]) -> None:
        live, frame = list(share), 0
        while live and not self.stop.is_set():
            frame += 1
            for worker in list(live):
                sent = self.sent[assignment_of(worker)]
                if frame % RESEND_EVERY == 0:
                    cid = list(sent)[len(sent) // 2]
                else:
                    cid = f"m{frame}"
                    sent[cid] = f"{assignment_of(worker)} says {frame}"
                try:
                    worker.say(sent[cid], cid=cid, wait_ack=False)
                except (simple_websocket.ConnectionClosed, OSError):  # the runner is gone, and its sockets
                    live.remove(worker)
            self.stop.wait(ROUND_PAUSE)

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)


def can_still_move_on(status: str) -> bool:
    """Final, or some path of allowed changes leads to submitted (what reconciliation does)."""
    seen, todo = set(), [AssignmentStatus(status)]
    while todo:
        current = todo.pop()
        if current == AssignmentStatus.SUBMITTED:
            return True
        seen.add(current)
        todo += [s for s in ASSIGNMENT_TRANSITIONS[current] if s not in seen]
    return status in FINAL


def test_a_runner_killed_mid_stream_keeps_every_acked_message_once_and_the_next_runner_cleans_up(
        store_url, fake, env, tmp_path):
    started = time.monotonic()
    runner = Runner(tmp_path, env, *mturk_args(store_url, "-nc", str(CONVERSATIONS), "-r", "0.50",
                                              "--max-connections", "0", *UNMETERED_FLAGS))
    workers: list[Worker] = []
    try:
        hits = sorted(h for h, hit in fake.hits.items() if hit["RequesterAnnotation"] == runner.run_id)
        assert len(hits) == 2 * WORKERS  # a spare HIT per worker, as oTree does
        workers = in_parallel(lambda n: open_chat_page(runner, fake, hits[n], f"AFAULTWORKER{n:03d}"),
                              range(WORKERS))
        for worker in workers:
            worker.wait_state("in_task", timeout=30)

        handler = MTurkDataHandler(db_url=store_url)
        pairs = pairs_by_conversation(handler, runner.run_id, workers)
        assert len(pairs) == CONVERSATIONS and all(len(p) == 2 for p in pairs.values())

        finishing = sorted(pairs)[:FINISHING]
        submitted = []
        for conversation_id in finishing:
            alice, bob = pairs[conversation_id]["Alice"], pairs[conversation_id]["Bob"]
            chat_pair_to_the_end(alice, bob, f"hello in {conversation_id}")
            for worker in (alice, bob):  # the page's externalSubmit, on MTurk
                fake.submit(assignment_of(worker), {"done": "yes"})
                submitted.append(assignment_of(worker))

        streaming = [w for c in sorted(pairs) if c not in finishing for w in pairs[c].values()]
        for worker in streaming:
            worker.heartbeats = False  # their messages keep them seen; one thread writes each socket
        stream = Stream(streaming)
        deadline = time.monotonic() + 40
        while sum(len(acks_of(w)) for w in streaming) < ACKS_BEFORE_KILL:
            assert time.monotonic() < deadline, "the runner acked too few messages to kill it mid-stream"
            time.sleep(0.05)
        assert all(thread.is_alive() for thread in stream.threads), "every sender is still sending"
        runner.kill()
        stream.join()
    finally:
        runner.kill()
        for worker in workers:
            worker.close()
    killed_at = time.monotonic()

    # Every acked message is stored, once, with what was sent under its client id.
    acked = {assignment_of(w): acks_of(w) for w in streaming}
    stored = [m for c in pairs for m in handler.get_messages(runner.run_id, c) if m["assignment_id"]]
    copies = Counter((m["assignment_id"], m["message_id"]) for m in stored)
    assert [key for key, n in copies.items() if n > 1] == [], "a client id stored twice"
    texts = {(m["assignment_id"], m["message_id"]): m["text"] for m in stored}
    lost = [(a, cid) for a, acks in acked.items() for cid in acks if (a, cid) not in texts]
    assert lost == [], f"acked but not in the store: {lost[:10]} ({len(lost)} in all)"
    assert all(texts[(a, cid)] == stream.sent[a][cid] for a, acks in acked.items() for cid in acks)
    n_acked = sum(len(acks) for acks in acked.values())
    n_sent = sum(len(sent) for sent in stream.sent.values())
    assert n_acked >= ACKS_BEFORE_KILL and n_sent > n_acked, "the kill came mid-stream, with messages unacked"

    # Every assignment is in a status the state machine knows, from which the run can go on.
    run_id = runner.run_id
    statuses = {a["assignment_id"]: a["status"] for a in handler.get_assignments_for_run(run_id)}
    assert len(statuses) == WORKERS
    assert all(s in AssignmentStatus._value2member_map_ and can_still_move_on(s) for s in statuses.values())
    assert {a: s for a, s in statuses.items() if s != "in_task"} == dict.fromkeys(submitted, "completed")
    assert handler.get_run_data(run_id)["status"] == "running"  # nobody closed it

    second = Runner(tmp_path, env, *mturk_args(store_url, "-nc", "1", "-r", "0.50", "--expire-orphans"),
                    name="next-runner")
    second.stop()  # its own run is not the point: the dead one was cleaned up before it launched
    cleaned = re.search(rf"^  {re.escape(run_id)}: expired (\d+) HIT\(s\), recorded (\d+) submitted", second.stdout, re.M)
    assert cleaned and cleaned.group(2) == str(len(submitted)), second.stdout
    assert handler.get_run_data(run_id)["status"] == "stopped"
    assert not [h for h in hits if fake.hits[h]["HITStatus"] == "Assignable"], "every HIT of the dead run expired"
    for assignment_id in submitted:
        row = handler.get_assignment_data(assignment_id)
        assert (row["status"], row["run_id"]) == ("submitted", run_id)
        assert row["worker_id"] == fake.assignments[assignment_id]["WorkerId"]
    print(f"\nkilled runner: {WORKERS} workers in {CONVERSATIONS} conversations, {n_sent} messages sent, "
          f"{n_acked} acked before SIGKILL, {len(stored)} worker messages stored, "
          f"{cleaned.group(1)} HITs expired by the next runner; killed after {killed_at - started:.1f} s, "
          f"{time.monotonic() - started:.1f} s in all")
