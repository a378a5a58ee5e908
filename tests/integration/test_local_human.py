"""A local human (runner/local_human.py) in `python -m runner run tasks/multi_agent_dialog`:
the person at the runner plays LocalAgent through the link the runner prints, a third page
on the run's chat server, or (`--local-human terminal`) by typing at the runner's terminal.
Either way the round robin waits for them, and they are no marketplace worker."""
from __future__ import annotations

import queue
import subprocess
import threading
import time

from datastore import MTurkDataHandler
from tests.integration.test_runner_process import RunnerProcess
from tests.support.live_runner import Worker, fetch

TASK = "tasks/multi_agent_dialog"
FINAL = "LocalAgent has ended the chat. Please send one final message to say goodbye."


class Terminal:
    """What the runner prints, line by line, as it prints it."""

    def __init__(self, runner: RunnerProcess) -> None:
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(runner.proc.stdout,), daemon=True).start()

    def _read(self, out) -> None:
        for line in out:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, wanted: str, timeout: float = 15) -> str:
        """The next printed line that contains `wanted` (lines before it are kept in `seen`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the runner did not print {wanted!r}; it printed {self.seen}") from None
            self.seen.append(line)
            if wanted in line:
                return line


def speakers(runner: RunnerProcess) -> tuple[Worker, Worker]:
    one, two = runner.join(0), runner.join(1)
    for worker in (one, two):
        worker.wait_for(lambda f: f["type"] == "turn" and f["agent_id"] == "LocalAgent")
    return one, two


def hears(worker: Worker, text: str) -> None:
    worker.wait_for(lambda f: f["type"] == "message" and f["act"].get("text") == text)


def finish(runner: RunnerProcess, *workers: Worker) -> None:
    """The workers submit and the run ends by itself (its stdout is the Terminal's to read)."""
    for worker in workers:
        worker.wait_state("done")
        worker.send_frame({"type": "done"})
        worker.wait_state("submitted")
    code = runner.proc.wait(timeout=20)
    assert code == 0, runner.proc.stderr.read()


def stored_lines(store_url: str, runner: RunnerProcess) -> list[tuple[str, str]]:
    full = MTurkDataHandler(db_url=store_url).get_full_conversation_data(runner.run_id, "t_1", False)
    return [(m["id"], m["text"]) for m in full["messages"]]


def test_the_runner_prints_the_local_humans_link_and_the_chat_waits_for_them_there(store_url, runner_process):
    runner = runner_process(store_url, TASK, "-nc", "1")
    printed = Terminal(runner)
    one, two = speakers(runner)
    line = printed.wait_for("is played by a local human: open ")
    assert line.startswith("LocalAgent of conversation t_1 is played by a local human: open ")
    link = line.rsplit(" ", 1)[1]
    assert link.startswith(f"{runner.url}/local/{runner.run_id}/")
    page = fetch(link)
    assert page.status == 200 and page.config["submit"] == {"kind": "none"}
    host = Worker(runner.url, page.config)

    host.say("Hello! Picnic by the lake? [DONE]")
    for worker in (one, two):
        hears(worker, "Hello! Picnic by the lake? [DONE]")
        hears(worker, FINAL)
    one.say("Lovely, bye!")
    two.say("See you!")
    host.wait_state("ended")
    finish(runner, one, two)
    host.close()
    assert stored_lines(store_url, runner) == [
        ("LocalAgent", "Hello! Picnic by the lake? [DONE]"), ("System", FINAL),
        ("Speaker1", "Lovely, bye!"), ("Speaker2", "See you!")]
    handler = MTurkDataHandler(db_url=store_url)
    assert {a["worker_id"] for a in handler.get_assignments_for_run(runner.run_id)} == {
        "local-worker-1", "local-worker-2"}


def test_with_local_human_terminal_the_local_human_types_at_the_runners_stdin(store_url, runner_process):
    runner = runner_process(store_url, TASK, "-nc", "1", "--local-human", "terminal", stdin=subprocess.PIPE)
    printed = Terminal(runner)
    one, two = speakers(runner)
    printed.wait_for("LocalAgent of conversation t_1 is played here")
    printed.wait_for("[your turn, LocalAgent]")

    runner.proc.stdin.write("Hi both, where shall we go?\n")
    runner.proc.stdin.flush()
    hears(one, "Hi both, where shall we go?")
    one.say("The lake!")
    assert printed.wait_for("Speaker1: ") == "Speaker1: The lake!"
    two.wait_for(lambda f: f["type"] == "turn" and f["agent_id"] == "Speaker2")  # the world waits on Speaker2
    runner.proc.stdin.write("Too early, wait for Speaker2\n")  # not LocalAgent's turn: refused
    runner.proc.stdin.flush()
    assert printed.wait_for("(not sent: ") == "(not sent: It is not your turn: wait for Speaker2.)"
    two.say("Agreed.")
    assert printed.wait_for("Speaker2: ") == "Speaker2: Agreed."
    printed.wait_for("[your turn, LocalAgent]")
    runner.proc.stdin.write("The lake it is. [DONE]\n")
    runner.proc.stdin.flush()
    hears(two, FINAL)
    one.say("Bye!")
    two.say("Bye bye!")
    printed.wait_for("The conversation is over. Thank you!")
    finish(runner, one, two)
    assert stored_lines(store_url, runner) == [
        ("LocalAgent", "Hi both, where shall we go?"), ("Speaker1", "The lake!"), ("Speaker2", "Agreed."),
        ("LocalAgent", "The lake it is. [DONE]"), ("System", FINAL),
        ("Speaker1", "Bye!"), ("Speaker2", "Bye bye!")]
