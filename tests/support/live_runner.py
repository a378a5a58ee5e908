"""Drive a real runner the way browsers do: load the task page over HTTP, then talk the
websocket protocol with a real websocket client (simple-websocket)."""
from __future__ import annotations

import contextlib
import json
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import simple_websocket
from wsproto.utilities import LocalProtocolError

from crowd.base import Provider
from crowd.local.provider import LocalProvider
from crowd.options import RunOptions
from datastore import MTurkDataHandler
from runner.manager import TaskManager
from runner.server import RunnerServer, create_runner_app
from runner.tasks import load_task

TEST_TASKS = Path(__file__).resolve().parent / "tasks"
UNMETERED = {"messages_per_second": 1e6, "message_burst": 10**6, "messages_per_assignment": 10**6,
             "bytes_per_assignment": 2**40}
"""A budget no test's workers reach, for tests whose workers send faster and more than people
can (the fuzzer, streams into a runner about to be killed); tests/integration/test_runner_budgets.py
tests the budget itself."""
UNMETERED_FLAGS = [arg for key, value in UNMETERED.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
CONFIG = re.compile(r'<script id="parley-config" type="application/json">(.*?)</script>', re.S)


@dataclass
class Page:
    status: int
    html: str

    @property
    def config(self) -> dict[str, Any]:
        match = CONFIG.search(self.html)
        assert match, f"no chat config in page ({self.status}): {self.html[:300]}"
        return json.loads(match.group(1))


def fetch(url: str) -> Page:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return Page(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return Page(error.code, error.read().decode())


class LiveRunner:
    """A TaskManager plus its chat server on a free local port."""

    def __init__(self, store_url: str, task: str, provider: Provider | None = None, **options: Any) -> None:
        path = TEST_TASKS / task if (TEST_TASKS / task).is_dir() else task
        self.handler = MTurkDataHandler(db_url=store_url)
        self.provider = provider or LocalProvider()
        self.manager = TaskManager(load_task(path), self.handler, self.provider,
                                   RunOptions(**{"disconnect_timeout": 5.0, **options}))
        self.app = create_runner_app(self.manager, secret="test-secret")
        self.server = RunnerServer(self.app)
        self.manager.base_url = self.server.url
        settings = getattr(self.provider, "settings", None)
        if settings is not None:  # a marketplace's HITs point at this server
            settings.public_url = self.server.url
        self.server.start()
        self.run_id = self.manager.start()
        self._links = 0
        self.workers: list[Worker] = []

    def link(self, worker_id: str, assignment_id: str | None = None, hit_id: str | None = None) -> str:
        self._links += 1
        hit_id = hit_id or self.provider.hit_ids[(self._links - 1) % len(self.provider.hit_ids)]
        return self.provider.link(hit_id, worker_id, assignment_id or f"A-{worker_id}-{self._links}")

    def join(self, worker_id: str, **kwargs: Any) -> Worker:
        return self.open(self.link(worker_id, **kwargs))

    def open(self, url: str) -> Worker:
        """Open a chat page link in a new tab (a Worker) that this runner closes at the end."""
        page = fetch(url)
        assert page.status == 200, page.html
        worker = Worker(self.server.url, page.config)
        self.workers.append(worker)
        return worker

    def local_human_link(self, role: str = "LocalAgent") -> str:
        """The link the run gives the person at the runner playing `role`, once their world
        has asked for them: a page on the same chat server as the workers'."""
        deadline = time.monotonic() + 15
        while not (links := [link for link in self.manager.local_humans.links() if link["role"] == role]):
            assert time.monotonic() < deadline, f"no local human link for {role} within 15 s"
            time.sleep(0.05)
        [link] = links
        assert link["url"].startswith(f"{self.server.url}/local/{self.run_id}/")
        return link["url"]

    def local_human(self, role: str = "LocalAgent") -> Worker:
        """The person at the runner playing `role`, at their link (a tab this runner closes)."""
        return self.open(self.local_human_link(role))

    def stop(self) -> None:
        for worker in self.workers:
            worker.close()
        if not self.manager.finished.is_set():
            self.manager.shutdown()
        # A run already ending on a world's thread (waiting for its last workers to submit)
        # stops waiting now; let it finish before the test's store is dropped under it.
        assert self.manager.wait(30), "the run did not end within 30 s of being stopped"
        self.server.stop()


class Worker:
    """One browser tab: a websocket that collects every frame the server sends."""

    def __init__(self, base_url: str, config: dict[str, Any], last_seq: int = 0) -> None:
        self.base_url, self.config = base_url, config
        self.frames: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._cids = 0
        self._turn_used_at = 0
        """Frames before this index say nothing about the turn: this tab has sent since."""
        self.heartbeats = True
        self.connect(last_seq)

    def connect(self, last_seq: int | None = None) -> None:
        seq = self.last_seq if last_seq is None else last_seq
        self.ws = simple_websocket.Client(self.base_url.replace("http", "ws", 1) + "/ws")
        self.send_frame({"type": "hello", "token": self.config["token"], "last_seq": seq})
        self._reader = threading.Thread(target=self._read, args=(self.ws,), daemon=True)
        self._reader.start()
        threading.Thread(target=self._beat, args=(self.ws,), daemon=True).start()

    def _beat(self, ws: simple_websocket.Client) -> None:
        """Heartbeats, as the chat page sends them, while this socket is open."""
        while self.heartbeats and ws.connected:
            try:
                ws.send(json.dumps({"type": "heartbeat"}))
            except (simple_websocket.ConnectionClosed, OSError, LocalProtocolError):  # closing, or closed
                return
            time.sleep(0.5)

    def _read(self, ws: simple_websocket.Client) -> None:
        try:
            while True:
                raw = ws.receive()
                with self._changed:
                    self.frames.append(json.loads(raw))
                    self._changed.notify_all()
        except (simple_websocket.ConnectionClosed, OSError):
            pass

    def send_frame(self, frame: dict[str, Any] | str) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def say(self, text: str, cid: str | None = None, task_data: dict[str, Any] | None = None,
            wait_ack: bool = True, signals: dict[str, int] | None = None) -> str:
        """Send a message, as the page does: in a task that takes turns, once it is this
        worker's turn (unless `wait_ack` is False: a stream that sends regardless); with
        `signals`, the composition signals the page would record (runner/authenticity.py)."""
        if cid is None:
            self._cids += 1
            cid = f"c{self._cids}"
        act: dict[str, Any] = {"text": text}
        if task_data is not None:
            act["task_data"] = task_data
        if signals is not None:
            act["signals"] = signals
        if wait_ack and not self.config.get("free_chat", True):
            self.wait_turn()
        with self._changed:
            self._turn_used_at = len(self.frames)
        self.send_frame({"type": "message", "cid": cid, "act": act})
        if wait_ack:
            self.wait_for(lambda f: f["type"] in ("ack", "error") and f.get("cid") == cid)
        return cid

    def answer(self, item_id: str, answers: dict[str, Any], cid: str | None = None,
               signals: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send a form task's answers to one item (with how free-text ones were composed, if
        `signals`); answers the server's ack or error."""
        if cid is None:
            self._cids += 1
            cid = f"c{self._cids}"
        frame = {"type": "answer", "cid": cid, "item_id": item_id, "answers": answers}
        self.send_frame(frame if signals is None else {**frame, "signals": signals})
        return self.wait_for(lambda f: f["type"] in ("ack", "error") and f.get("cid") == cid)

    def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout: float = 15,
                 after: int = 0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for frame in self.frames[after:]:
                    if match(frame):
                        return frame
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching frame within {timeout}s; got {self.frames}")
                self._changed.wait(left)

    def wait_turn(self, timeout: float = 15) -> dict[str, Any]:
        """Wait until the newest turn frame since this tab last sent says it is our turn."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                turns = [f for f in self.frames[self._turn_used_at:] if f["type"] == "turn"]
                if turns and turns[-1]["yours"]:
                    return turns[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"not our turn within {timeout}s; got {self.frames[-20:]}")
                self._changed.wait(left)

    def wait_state(self, state: str, timeout: float = 15) -> dict[str, Any]:
        return self.wait_for(lambda f: f["type"] in ("state", "welcome") and f.get("state") == state, timeout)

    def texts(self) -> list[str]:
        return [f["act"].get("text") for f in self.frames if f["type"] == "message"]

    @property
    def last_seq(self) -> int:
        return max((f.get("seq", 0) for f in self.frames), default=0)

    def close(self) -> None:
        """Close this tab's socket (simple-websocket's threads would otherwise keep the
        test process alive). Closing a closed tab does nothing, even when the peer died and
        the reader thread closed the socket between the check and the send (EBADF)."""
        with contextlib.suppress(simple_websocket.ConnectionClosed, OSError):
            self.ws.close()
        self._reader.join(timeout=5)


@contextlib.contextmanager
def running(store_url: str, task: Any, conversations: int = 1) -> Iterator[LiveRunner]:
    """A runner of `task` (a name or a folder) for `conversations`, stopped at the end."""
    live = LiveRunner(store_url, str(task), num_conversations=conversations)
    try:
        yield live
    finally:
        live.stop()


def task_with_config(folder: Path, **config: Any) -> Path:
    """A copy of the test task pair_chat in `folder`, named budgeted_chat, with `config`
    added to its task_config."""
    task = folder / "budgeted_chat"
    shutil.copytree(TEST_TASKS / "pair_chat", task)
    with open(task / "task_config.py", "a") as file:
        file.write(f"\ntask_config.update({config!r})\n")
    return task


def page_url(runner: LiveRunner, **params: str) -> str:
    return f"{runner.server.url}/task/{runner.run_id}?{urlencode(params)}"


def chat_pair_to_the_end(alice: Worker, bob: Worker, greeting: str, greeted: bool = True,
                         greeting_signals: dict[str, int] | None = None) -> None:
    """Two chat workers talk (greeting, sent with `greeting_signals` if given, "hi", "bye"),
    press done and are submitted.

    When the world greets each worker first (pair_chat's "You are ..."), both read their
    greeting before anyone talks: a worker who spoke the moment they were paired could be
    stored before their partner's greeting was sent."""
    for worker in (alice, bob) if greeted else ():
        worker.wait_for(lambda f: f["type"] == "message" and f["act"].get("id") == "System")
    alice.say(greeting, signals=greeting_signals)
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == greeting)
    bob.say("hi")
    alice.say("bye")
    for worker in (alice, bob):
        worker.wait_state("done")
        worker.send_frame({"type": "done"})
        worker.wait_state("submitted")
