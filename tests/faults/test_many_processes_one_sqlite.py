"""Three programs on one store for two minutes, as in production on one machine: a runner
whose workers chat, the reviewer's webapp polled like an open dashboard and live monitor,
and an analysis script writing and reading through `MTurkDataHandler`.

On SQLite they share one file, which is the point: WAL, busy_timeout and BEGIN IMMEDIATE
must keep every writer queued instead of failing with "database is locked". It proves no
process ever sees a locking error (not in any stderr, no HTTP 5xx, no retry frame to a
worker, no error in the script), and that at the end the store holds exactly what was
acked to the workers and exactly what the script wrote. On PostgreSQL the same load runs
on one database. PARLEY_FAULT_SECONDS shortens the two minutes while iterating locally.
"""
from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter

import pytest
import requests

from tests.faults.crowd import acks_of, assignment_of, in_parallel, open_link, pairs_by_conversation
from tests.faults.processes import PAIR_CHAT, Runner, Webapp
from tests.support.builders import accept
from tests.support.live_runner import UNMETERED_FLAGS, Worker
from tests.support.store_load import Slot, client_msg_id, run_processes, soak_process

FAULT_SECONDS = float(os.environ.get("PARLEY_FAULT_SECONDS", "120"))
PAIRS = 6
THINK_SECONDS = 0.02
"""A worker's pause between messages: brisk typing, not a tight loop."""
SCRIPT_THREADS = 4
PASSWORD = "many processes"
LOCKED = re.compile(r"database (table )?is locked", re.I)


class Pair(threading.Thread):
    """Two workers chatting in turns, each message re-sent until acked (as the page does
    after a retry error), until `deadline`; then Alice says bye and both submit."""

    def __init__(self, alice: Worker, bob: Worker, deadline: float) -> None:
        super().__init__(daemon=True)
        self.alice, self.bob, self.deadline = alice, bob, deadline
        self.retries = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            turn = 0
            while time.monotonic() < self.deadline:
                turn += 1
                for worker in (self.alice, self.bob):
                    self.say_until_stored(worker, f"m{turn}", f"{assignment_of(worker)} turn {turn}")
                time.sleep(THINK_SECONDS)
            self.say_until_stored(self.alice, "bye", "bye")
            for worker in (self.alice, self.bob):
                worker.wait_state("done", timeout=60)
                worker.send_frame({"type": "done"})
                worker.wait_state("submitted", timeout=60)
        except BaseException as exc:
            self.failure = exc

    def say_until_stored(self, worker: Worker, cid: str, text: str) -> None:
        while True:
            seen = len(worker.frames)
            worker.say(text, cid=cid, wait_ack=False)
            answer = worker.wait_for(lambda f: f.get("cid") == cid and f["type"] in ("ack", "error"),
                                     timeout=60, after=seen)
            if answer["type"] == "ack":
                return
            assert answer.get("retry") is True, answer
            self.retries += 1


class Dashboard(threading.Thread):
    """A reviewer's open dashboard: logs in, then reads the JSON twins over and over."""

    def __init__(self, url: str, paths: list[str], stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.paths, self.stop = url, paths, stop
        self.statuses: Counter[int] = Counter()
        self.server_errors: list[str] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            http = requests.Session()
            login = http.get(f"{self.url}/login", timeout=30).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
            answer = http.post(f"{self.url}/login", data={"password": PASSWORD, "csrf_token": csrf},
                               allow_redirects=False, timeout=30)
            assert answer.status_code == 302, answer.text[:300]
            while not self.stop.is_set():
                for path in self.paths:
                    response = http.get(self.url + path, timeout=60)
                    self.statuses[response.status_code] += 1
                    if response.status_code >= 500:
                        self.server_errors.append(f"{path}: {response.status_code} {response.text[:300]}")
                self.stop.wait(0.05)
        except BaseException as exc:
            self.failure = exc


def script_slots(handler, run_id: str) -> list[Slot]:
    """The script's writer threads: each its own in-task assignment, two per conversation."""
    slots = []
    for n in range(SCRIPT_THREADS):
        worker_id = f"SCRIPT{n}"
        assignment_id = accept(handler, run_id, worker_id, n)
        conversation_id = f"s_{n % 2}"
        handler.log_waiting(worker_id, assignment_id)
        handler.log_start_task(worker_id, assignment_id, conversation_id, agent_id=f"script_{n}")
        slots.append(Slot(worker_id, assignment_id, f"script_{n}", conversation_id))
    return slots


@pytest.mark.slow
def test_a_runner_a_webapp_and_a_script_share_one_store_without_a_lock_error_or_a_lost_row(
        store_url, handler, tmp_path):
    env = {**os.environ, "PARLEY_ADMIN_PASSWORD": PASSWORD, "PARLEY_CONFIG": str(tmp_path / "webapp.json")}
    script_run = handler.log_new_run(2, "analysis_script", provider="local")
    slots = script_slots(handler, script_run)
    runner = Runner(tmp_path, env, PAIR_CHAT, "-nc", str(PAIRS), "--db", store_url, *UNMETERED_FLAGS)
    webapp = Webapp(tmp_path, env, "--db", store_url)
    run_id = runner.run_id
    workers: list[Worker] = []
    script: dict[str, object] = {}
    stop_polling = threading.Event()
    started = time.monotonic()
    try:
        workers = in_parallel(lambda link: open_link(runner.url, link), runner.links(2 * PAIRS))
        for worker in workers:
            worker.wait_state("in_task")
        pairs = pairs_by_conversation(handler, run_id, workers)
        assert len(pairs) == PAIRS

        def run_script() -> None:
            try:
                script["reports"] = run_processes(soak_process, [(store_url, script_run, slots, FAULT_SECONDS)],
                                                  timeout=FAULT_SECONDS + 300)
            except BaseException as exc:
                script["failure"] = exc

        script_thread = threading.Thread(target=run_script, daemon=True)
        script_thread.start()
        deadline = time.monotonic() + FAULT_SECONDS
        chats = [Pair(pair["Alice"], pair["Bob"], deadline) for pair in pairs.values()]
        paths = ["/index.json", f"/runs/{run_id}.json", "/live.json", f"/runs/{script_run}.json",
                 f"/runs/{run_id}/conversations/t_1.json?limit=50"]
        dashboards = [Dashboard(webapp.url, paths, stop_polling), Dashboard(webapp.url, paths[:3], stop_polling)]
        for thread in (*chats, *dashboards):
            thread.start()
        for chat in chats:
            chat.join(timeout=FAULT_SECONDS + 120)
            assert chat.failure is None, repr(chat.failure)
        assert runner.wait(timeout=60) == 0, runner.stderr[-3000:]
        script_thread.join(timeout=FAULT_SECONDS + 300)
        stop_polling.set()
        for dashboard in dashboards:
            dashboard.join(timeout=90)
            assert dashboard.failure is None, repr(dashboard.failure)
    finally:
        stop_polling.set()
        runner.stop()
        webapp.stop()
        for worker in workers:
            worker.close()
    elapsed = time.monotonic() - started

    # Nobody saw the store refuse: no locking error anywhere, no 5xx, no retry asked of a page.
    assert "failure" not in script, script.get("failure")
    [report] = script["reports"]
    errors = [e for tally in report["tallies"] for e in tally.errors]
    assert errors == [], errors[:5]
    for program in (runner, webapp):
        assert not LOCKED.search(program.stderr), f"{program.name}: {LOCKED.search(program.stderr)}"
        assert "Traceback" not in program.stderr, program.stderr[-3000:]
    statuses = sum((d.statuses for d in dashboards), Counter())
    assert [e for d in dashboards for e in d.server_errors] == []
    assert set(statuses) == {200} and statuses[200] > 0, statuses
    assert sum(chat.retries for chat in chats) == 0
    assert [f for w in workers for f in w.frames if f["type"] == "error"] == []
    assert webapp.proc.returncode == 0 and "conversations 6/6 done" in runner.stderr

    # Exact rows: what the runner acked is stored, once each, and nothing else of the workers';
    # every message the script wrote is there once.
    acked = {(assignment_of(w), cid) for w in workers for cid in acks_of(w)}
    stored = Counter((m["assignment_id"], m["message_id"]) for c in pairs
                     for m in handler.get_messages(run_id, c) if m["assignment_id"])
    assert set(stored) == acked and set(stored.values()) == {1}
    written = {(t.assignment_id, client_msg_id(t.assignment_id, seq))
               for t in report["tallies"] for seq in range(1, t.unique_writes + 1)}
    script_rows = Counter((m["assignment_id"], m["message_id"]) for c in ("s_0", "s_1")
                          for m in handler.get_messages(script_run, c))
    assert set(script_rows) == written and set(script_rows.values()) == {1}
    assert all(t.unique_writes > 0 and t.resends > 0 and t.reads > 0 for t in report["tallies"])
    assert handler.get_run_data(run_id)["status"] == "completed"
    assert {a["status"] for a in handler.get_assignments_for_run(run_id)} == {"submitted"}
    print(f"\none store, 3 processes, {FAULT_SECONDS:.0f} s ({elapsed:.0f} s in all): {len(acked)} worker "
          f"messages acked and stored in {PAIRS} conversations, {len(written)} script messages "
          f"({sum(t.resends for t in report['tallies'])} re-sends, {sum(t.reads for t in report['tallies'])} "
          f"reads), {statuses[200]} dashboard reads, 0 lock errors")
