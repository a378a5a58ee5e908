"""Driving a ParlAI-MTurk task folder's run.py (parlai_compat) from a test: its main() in a
thread with the command line a user types, and its workers over the real websocket."""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.fakes.mturk_server import FakeMTurk
from tests.integration.test_parlai_compat import PARLAI_SCRIPT
from tests.support.live_runner import Worker, fetch


def open_link(url: str) -> Worker:
    page = fetch(url)
    assert page.status == 200, page.html
    return Worker(f"{urlsplit(url).scheme}://{urlsplit(url).netloc}", page.config)


def link_for(link: str, worker_id: str, assignment_id: str | None = None) -> str:
    """The local provider's link of the same HIT for another worker (their own assignment,
    `A-<worker>` unless `assignment_id` names another)."""
    parts = urlsplit(link)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(workerId=worker_id, assignmentId=assignment_id or f"A-{worker_id}")
    return parts._replace(query=urlencode(query)).geturl()


def wait_until(check: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)
    return found


@contextmanager
def run_py(main: Callable[[], None], argv: list[str], monkeypatch: pytest.MonkeyPatch,
           ) -> Iterator[threading.Event]:
    """`main()` of a run.py, run as `run.py ARGV...` in a thread; the event is set once it
    returned. At the end of the block, waits for it to return."""
    monkeypatch.setattr(sys, "argv", ["run.py", *argv])
    done = threading.Event()
    thread = threading.Thread(target=lambda: (main(), done.set()), daemon=True)
    thread.start()
    try:
        yield done
    finally:
        thread.join(30)


def printed_link(capsys: pytest.CaptureFixture[str]) -> str:
    """The first worker link the run.py printed (the local provider's)."""
    printed = ""

    def link() -> str | None:
        nonlocal printed
        printed += capsys.readouterr().out
        return next((line.split("worker link: ")[1] for line in printed.splitlines() if "worker link: " in line),
                    None)

    return str(wait_until(link))


def open_on_mturk(fake: FakeMTurk, server_url: str, run_id: str, hit_id: str, worker_id: str) -> tuple[str, Worker]:
    """The worker accepts the HIT on the fake MTurk and opens its page (as MTurk's frame
    does); answers their assignment id and their page."""
    assignment_id = fake.accept(hit_id, worker_id)
    query = urlencode({"assignmentId": assignment_id, "hitId": hit_id, "workerId": worker_id,
                       "turkSubmitTo": "https://workersandbox.mturk.com"})
    return assignment_id, open_link(f"{server_url}/task/{run_id}?{query}")


class RunPy:
    """A run.py's `main()` running in a thread as `python run.py *args` would, what it
    prints read through pytest's capsys."""

    def __init__(self, main: Callable[[], None], args: list[str], capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.capsys = capsys
        self.out = ""
        self.done = threading.Event()
        monkeypatch.setattr(sys, "argv", ["run.py", *args])
        self.thread = threading.Thread(target=lambda: (main(), self.done.set()), daemon=True)
        self.thread.start()

    def printed_after(self, prefix: str) -> list[str]:
        """The rest of every line printed so far that contains `prefix`."""
        self.out += self.capsys.readouterr().out
        return [line.split(prefix, 1)[1] for line in self.out.splitlines() if prefix in line]

    def wait_printed(self, prefix: str, count: int = 1) -> list[str]:
        """The rest of the first `count` lines containing `prefix`, once printed."""
        def printed() -> list[str] | None:
            found = self.printed_after(prefix)
            return found[:count] if len(found) >= count else None

        return wait_until(printed)

    def join(self, timeout: float = 30) -> bool:
        """Whether main() returned within `timeout` seconds."""
        self.thread.join(timeout)
        return self.done.is_set()


def parlai_analysis() -> dict[str, Any]:
    """ParlAI's analysis script run over the default store (PARLEY_DATABASE_URL): its
    globals, `pairings_by_conv_run_id` among them."""
    namespace: dict[str, Any] = {}
    exec(compile(PARLAI_SCRIPT, "parlai_analysis.py", "exec"), namespace)
    return namespace


def the_one_role(workers: list[Any]) -> None:
    """A run.py's assign_role_function for a task of one role, "Worker"."""
    workers[0].id = "Worker"


@contextmanager
def task_started(manager: Any, eligibility: Any, assign_roles: Callable[[list[Any]], None],
                 task_function: Callable[..., Any]) -> Iterator[threading.Thread]:
    """`manager.start_task(...)` on a thread of its own, as a run.py calls it after
    start_new_run and create_hits; at the end, run.py's `finally`: expire, shut down, join."""
    manager.start_new_run()
    manager.create_hits()
    thread = threading.Thread(target=manager.start_task, args=(eligibility, assign_roles, task_function),
                              daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        manager.expire_all_unassigned_hits()
        manager.shutdown()
        thread.join(30)
