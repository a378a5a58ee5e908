"""What the review race tests share: a provider with a marketplace's round trip (the local
provider taking 50 ms per call, counting what reached it: races only show when the call takes
time), review actions left as a process killed mid-call leaves them, and calls released
together by a barrier."""
from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from crowd.local.provider import LocalProvider
from crowd.review_rules import this_process
from datastore import MTurkDataHandler
from datastore.records import Record
from tests.support.builders import completed_conversation

ROUND_TRIP_SECONDS = 0.05
T = TypeVar("T")


class SlowProvider(LocalProvider):
    def __init__(self, round_trip: float = ROUND_TRIP_SECONDS) -> None:
        super().__init__()
        self.round_trip = round_trip
        self._lock = threading.Lock()

    def _did(self, action: str, **details: Any) -> dict[str, Any]:
        time.sleep(self.round_trip)
        with self._lock:
            return super()._did(action, **details)

    def reached(self, assignment_id: str) -> Counter[str]:
        """How many calls of each action reached the marketplace for this assignment."""
        with self._lock:
            return Counter(c["action"] for c in self.calls if c.get("assignment_id") == assignment_id)

    def bonus_tokens(self, assignment_id: str) -> set[str]:
        with self._lock:
            return {c["token"] for c in self.calls if c["action"] == "bonus" and c["assignment_id"] == assignment_id}


def dead_process() -> str:
    """An owner string for a process of this host that has exited."""
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{this_process().rpartition(':')[0]}:{child.pid}"


def interrupt(handler: MTurkDataHandler, assignment_id: str, *, owner: str, amount: str = "1.00") -> Record:
    """Leave a bonus claimed and pending, as a process killed mid-call leaves it."""
    row, created = handler.claim_review_action(
        "interrupted-token", "bonus", assignment_id=assignment_id, admit=lambda a, h: None,
        actor="alice", reason="Thanks", amount=amount, owner=owner)
    assert created
    return row


def rounds(handler: MTurkDataHandler, count: int) -> Iterator[tuple[str, str, str]]:
    """`count` finished conversations in one local run, one per round: (run, first worker's
    assignment, second worker's assignment), so each round races on fresh work."""
    run_id = None
    for n in range(count):
        built = completed_conversation(handler, run_id=run_id, provider="local", conversation_id=f"t_{n}",
                                       workers=(f"W{n}a", f"W{n}b"))
        run_id = built.run_id
        yield (run_id, *built.assignments)


def at_once(threads: int, call: Callable[[], T]) -> list[T]:
    """`call()` from `threads` threads released together by a barrier; answers their results."""
    results: list[T] = []
    barrier = threading.Barrier(threads)

    def run() -> None:
        barrier.wait()
        results.append(call())

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    assert len(results) == threads, "a call got an error instead of the first call's result"
    return results
