"""`python -m runner` as its own process: a whole run through the CLI, bad arguments, and
the promise that an ack means "in the database" even when the process is killed with
SIGKILL right after sending it."""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from datastore import MTurkDataHandler
from tests.support.live_runner import UNMETERED_FLAGS, Worker, chat_pair_to_the_end, fetch

REPO = Path(__file__).resolve().parents[2]
PAIR_CHAT = "tests/support/tasks/pair_chat"


class RunnerProcess:
    """`python -m runner run ...` in a subprocess, with the links it prints (`links` of them:
    the task's humans times its conversations)."""

    def __init__(self, store_url: str, *args: str, links: int = 2, stdin: int | None = None) -> None:
        """`links`: the worker links the run prints (its HITs); `stdin`: subprocess.PIPE to
        type at the runner's terminal (`self.proc.stdin`)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "run", *args, "--port", "0", "--db", store_url],
            cwd=REPO, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        header = self.proc.stdout.readline()
        match = re.match(r"Run (\S+): .* Chat server at (\S+)", header)
        assert match, header + self.proc.stderr.read()
        self.run_id, self.url = match.groups()
        self.links = []
        for _ in range(links):
            line = self.proc.stdout.readline()
            assert line.strip().startswith("worker link: "), line
            self.links.append(line.split("worker link: ", 1)[1].strip())

    def join(self, n: int) -> Worker:
        page = fetch(self.links[n])
        assert page.status == 200, page.html
        return Worker(self.url, page.config)

    def finish(self, timeout: float = 20) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)


@pytest.fixture
def processes():
    started = []
    yield lambda *args: started.append(RunnerProcess(*args)) or started[-1]
    for process in started:
        process.kill()


def test_host_is_the_address_the_chat_server_listens_on_and_its_links_name(store_url, processes):
    runner = processes(store_url, PAIR_CHAT, "-nc", "1", "--host", "127.0.0.2")
    assert runner.url.startswith("http://127.0.0.2:")
    assert all(link.startswith(runner.url + "/task/") for link in runner.links)
    assert fetch(runner.url + "/healthz").status == 200
    port = int(runner.url.rsplit(":", 1)[1])
    with pytest.raises(OSError):  # not on the default address
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_run_from_the_command_line_collects_its_conversation_and_exits_0(store_url, processes):
    runner = processes(store_url, PAIR_CHAT, "-nc", "1", "-r", "0.50")
    alice, bob = runner.join(0), runner.join(1)
    alice.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "You are Alice.")
    chat_pair_to_the_end(alice, bob, "hello from the CLI run")
    code, out, err = runner.finish()
    assert code == 0, err
    assert "conversations 1/1 done" in err
    handler = MTurkDataHandler(db_url=store_url)
    run = handler.get_run_data(runner.run_id)
    assert (run["status"], run["taskname"], run["provider"]) == ("completed", "pair_chat", "local")
    assert run["reward_cents"] == 50  # -r 0.50
    texts = [m["text"] for m in handler.get_full_conversation_data(runner.run_id, "t_1", False)["messages"]]
    assert texts == ["You are Alice.", "You are Bob.", "hello from the CLI run", "hi", "bye"]
    assert {h["hit_status"] for h in handler.get_hits_for_run(runner.run_id)} == {"Disposed"}


def test_sigterm_stops_the_run_expires_its_hits_and_exits_1(store_url, processes):
    runner = processes(store_url, PAIR_CHAT, "-nc", "1")
    alice = runner.join(0)
    alice.wait_state("waiting")
    runner.proc.send_signal(signal.SIGTERM)
    alice.wait_state("expired")
    code, _, err = runner.finish()
    assert code == 1
    assert "stopped before it had all its conversations" in err
    handler = MTurkDataHandler(db_url=store_url)
    assert handler.get_run_data(runner.run_id)["status"] == "stopped"
    assert {h["hit_status"] for h in handler.get_hits_for_run(runner.run_id)} == {"Disposed"}
    assert handler.get_assignments_for_run(runner.run_id)[0]["status"] == "expired"


def test_sigterm_with_workers_mid_task_leaves_them_interrupted_for_review(store_url, processes):
    runner = processes(store_url, PAIR_CHAT, "-nc", "1")
    alice, bob = runner.join(0), runner.join(1)
    alice.wait_state("in_task")
    bob.wait_state("in_task")
    runner.proc.send_signal(signal.SIGTERM)
    code, _, _ = runner.finish()
    assert code == 1
    handler = MTurkDataHandler(db_url=store_url)
    assert [a["status"] for a in handler.get_assignments_for_run(runner.run_id)] == ["interrupted"] * 2
    assert alice.wait_state("done")["text"].startswith("This task was stopped before your conversation ended.")


def test_every_acked_message_survives_sigkill_right_after_its_ack(store_url, processes):
    runner = processes(store_url, PAIR_CHAT, "-nc", "1", *UNMETERED_FLAGS)  # 200 messages at once
    alice, bob = runner.join(0), runner.join(1)
    alice.wait_state("in_task")
    bob.wait_state("in_task")
    killed = threading.Event()

    def kill_at_the_20th_ack() -> None:
        alice.wait_for(lambda f: f["type"] == "ack" and f["cid"] == "m20", timeout=30)
        os.kill(runner.proc.pid, signal.SIGKILL)
        killed.set()

    killer = threading.Thread(target=kill_at_the_20th_ack)
    killer.start()
    for n in range(1, 201):
        try:
            alice.say(f"message {n}", cid=f"m{n}", wait_ack=False)
        except Exception:  # the socket went down with the process
            break
    killer.join(timeout=40)
    assert killed.is_set()
    runner.proc.wait(timeout=10)
    acked = {f["cid"]: f["id"] for f in list(alice.frames) if f["type"] == "ack"}
    assert len(acked) >= 20
    handler = MTurkDataHandler(db_url=store_url)
    stored = {m["message_id"]: m for m in handler.get_messages(runner.run_id, "t_1")}
    missing = [cid for cid in acked if cid not in stored]
    assert missing == [], f"acked but not stored: {missing}"
    assert all(stored[cid]["text"] == f"message {cid[1:]}" for cid in acked)
    # The page would resend what it had not seen acked; the store keeps each message once.
    assignment = runner.links[0].split("assignmentId=")[1].split("&")[0]
    for cid in ["m1", "m20", *acked]:
        again = handler.log_message(runner.run_id, "t_1", "Alice", {"text": "resent"},
                                    worker_id="local-worker-1", assignment_id=assignment, client_msg_id=cid)
        assert not again.created and again.id == acked[cid]
    texts = [m["text"] for m in handler.get_messages(runner.run_id, "t_1")]
    assert "resent" not in texts
    assert len(texts) == len(set(texts))


@pytest.mark.parametrize(("args", "sentence"), [
    (["run", "no_such_task"], "there is no task 'no_such_task'"),
    (["run", "tests/support/tasks/pair_chat", "-nc", "-1"], "--num-conversations must be 1 or more"),
    (["run", "tests/support/tasks/pair_chat", "-nc", "0"], "--num-conversations must be 1 or more"),
    (["run", "tests/support/tasks/pair_chat", "-r", "ten"], "--reward: 'ten' is not an amount of dollars"),
    (["run", "tests/support/tasks/pair_chat", "-r", "-1"], "--reward: '-1' is negative"),
    (["run", "tests/support/tasks/pair_chat", "--port", "-1"], "--port must be a port number from 0"),
    (["run", "tests/support/tasks/pair_chat", "--port", "65536"], "--port must be a port number from 0"),
    (["run", "tests/support/tasks/pair_chat", "--disconnect-timeout", "nan"], "--disconnect-timeout must be more than 0"),
    (["run", "tests/support/tasks/pair_chat", "--disconnect-timeout", "inf"], "--disconnect-timeout must be more than 0"),
    (["run", "tests/support/tasks/pair_chat", "--provider", "mturk"], "--public-url is required with --provider mturk"),
    (["run", "tests/support/tasks/pair_chat", "--provider", "mturk", "--public-url", "https://x.example"],
     "--reward must be at least $0.01 on MTurk (it was $0.00)"),
    (["run", "tests/support/tasks/pair_chat", "--provider", "mturk", "--live", "--public-url", "https://x.example",
      "-r", "1"], "--budget is required with --live"),
    (["run", "tests/support/tasks/pair_chat", "--provider", "mturk", "--live", "--public-url", "https://x.example",
      "-r", "1", "--budget", "-5"], "--budget: '-5' is negative"),
    (["run", "tests/support/tasks/pair_chat", "--provider", "mturk", "--live", "--public-url", "http://x.example",
      "--budget", "5"], "--public-url must start with https:// for --live"),
    (["run", "tests/support/tasks/pair_chat", "--provider", "mturk", "--live", "--public-url", "https://x.example",
      "--budget", "0.50", "-r", "1"], "the estimate $4.80 is over the budget $0.50; nothing was launched"),
    (["bonus", "--assignment", "nope", "--amount", "1", "--reason", "x"], "there is no assignment 'nope'"),
    (["hits", "list", "--run", "nope"], "there is no run 'nope'"),
    (["run", "tests/support/tasks/pair_chat", "--disconnect-timeout", "0"], "--disconnect-timeout must be more than 0"),
    (["run", "tests/support/tasks/pair_chat", "--messages-per-second", "0"],
     "--messages-per-second must be a number more than 0"),
    (["run", "tests/support/tasks/pair_chat", "--messages-per-second", "nan"],
     "--messages-per-second must be a number more than 0"),
    (["run", "tests/support/tasks/pair_chat", "--message-burst", "0"], "--message-burst must be a whole number, 1 or more"),
    (["run", "tests/support/tasks/pair_chat", "--messages-per-assignment", "-5"],
     "--messages-per-assignment must be a whole number, 1 or more"),
    (["run", "tests/support/tasks/pair_chat", "--bytes-per-assignment", "0"],
     "--bytes-per-assignment must be a whole number, 1 or more"),
    (["run", "tests/support/tasks/pair_chat", "--message-burst", "2.5"], "argument --message-burst: invalid int value"),
    (["run", "tests/support/tasks/pair_chat", "--header-timeout", "0"],
     "--header-timeout must be a number of seconds more than 0"),
    (["run", "tests/support/tasks/pair_chat", "--header-timeout", "inf"],
     "--header-timeout must be a number of seconds more than 0"),
    (["run", "tests/support/tasks/pair_chat", "--max-http-connections", "0"], "--max-http-connections must be 1 or more"),
    (["run"], "the following arguments are required: task"),
    (["launch"], "invalid choice: 'launch'"),
])
def test_bad_arguments_exit_2_with_one_sentence_and_create_no_run(store_url, args, sentence):
    db = ["--db", store_url] if len(args) > 1 else []
    result = subprocess.run([sys.executable, "-m", "runner", *args, *db],
                            cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "LIVE" not in result.stdout or "--live" in args  # the sandbox is the default
    assert MTurkDataHandler(db_url=store_url).get_all_run_data() == []


def test_tasks_lists_the_example_tasks_chat_and_form():
    result = subprocess.run([sys.executable, "-m", "runner", "tasks"], cwd=REPO,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout.split() == ["custom_frontend_demo", "dealnodeal", "dialog_rating", "model_evaluator",
                                     "multi_agent_dialog", "pairwise_dialog_eval", "qa_data_collection",
                                     "qualification_flow_example"]


def test_a_busy_port_exits_2_with_one_sentence_and_creates_no_run(store_url):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "runner", "run", PAIR_CHAT, "--port", str(port),
                                 "--db", store_url], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"python -m runner: error: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert MTurkDataHandler(db_url=store_url).get_all_run_data() == []
