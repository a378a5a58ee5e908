"""Driving a ParlAI-MTurk task folder's run.py (parlai_compat) from a test: its main() in a
thread with the command line a user types, what it prints, the worker pages it links to,
and ParlAI's analysis script over the store it filled."""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.test_parlai_compat import PARLAI_SCRIPT
from tests.support.live_runner import Worker, fetch


def open_link(url: str) -> Worker:
    """A worker's tab on the chat page at `url`, connected to its websocket."""
    page = fetch(url)
    assert page.status == 200, page.html
    return Worker(f"{urlsplit(url).scheme}://{urlsplit(url).netloc}", page.config)


def wait_until(check: Callable[[], Any], timeout: float = 15) -> Any:
    """What `check()` answers once it is truthy (polled), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)
    return found


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
