"""What one worker may send on the live channel in one assignment, and the meter that holds
each worker to it.

A run's budget has four parts: a sustained rate with a burst (a token bucket), a number of
messages and a number of bytes per assignment. A message past any of them is refused with a
sentence for the worker and stored nowhere; a worker who sends REFUSALS_BEFORE_CUT_OFF such
messages in a row is cut off (the manager ends their assignment as a disconnect).

Each part is a task config key (`task_config.py`, defaulted in runner/tasks.py) and a flag of
`python -m runner run` with the same name in dashes; a flag wins over the task's config.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from crowd.base import Refused

REFUSALS_BEFORE_CUT_OFF = 10
"""Over-budget messages in a row (with none stored between them) that end a worker's task:
far more than a person sends after being told to stop, few enough that a script flooding the
socket is cut off within a moment."""


@dataclass(frozen=True)
class MessageBudget:
    messages_per_second: float = 2.0
    """Sustained rate: the bucket gains this many messages a second."""
    message_burst: int = 20
    """The bucket's size: messages a worker may send at once (a page re-sending after a reconnect)."""
    messages_per_assignment: int = 1000
    bytes_per_assignment: int = 1024 * 1024
    """The stored acts' size (UTF-8 JSON) summed over the assignment."""

    def as_config(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self, part: str) -> str:
        """The part of the budget a worker went over, as the store's note says it."""
        return {
            "rate": f"{self.messages_per_second:g} messages per second (burst {self.message_burst})",
            "count": f"{self.messages_per_assignment} messages per assignment",
            "bytes": f"{self.bytes_per_assignment} bytes per assignment",
        }[part]


BUDGET_KEYS = tuple(f.name for f in fields(MessageBudget))
WHOLE_NUMBER_KEYS = ("message_burst", "messages_per_assignment", "bytes_per_assignment")
DEFAULT_BUDGET = MessageBudget()


def budget_problem(key: str, value: Any) -> str | None:
    """What is wrong with `value` for budget `key` (to follow the key's or flag's name), or None."""
    if key in WHOLE_NUMBER_KEYS:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return "must be a whole number, 1 or more"
    elif isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return "must be a number more than 0"
    return None


def budget_for(task_config: Mapping[str, Any], overrides: Mapping[str, Any]) -> MessageBudget:
    """The run's budget: each part from `overrides` (the flags) unless None, else from the
    task's config (which holds the defaults for what the task does not set)."""
    chosen: dict[str, Any] = {key: overrides.get(key) if overrides.get(key) is not None
                              else task_config[key] for key in BUDGET_KEYS}
    return MessageBudget(**chosen)


RATE_TEXT = "You are sending messages too quickly. Please wait a moment, then send this one again."
COUNT_TEXT = "You have sent as many messages as this task allows, so this one was not sent."
BYTES_TEXT = "You have sent as much text as this task allows, so this one was not sent."
CUT_OFF_TEXT = "You kept sending messages past this task's limit, so the task has ended for you."


@dataclass(frozen=True)
class Refusal:
    """A message the budget does not let through: `text` for the worker, `part` of the budget
    it went over, and whether this refusal cuts the worker off."""

    text: str
    part: str
    cut_off: bool


class MessageMeter:
    """One worker's use of the run's budget over one assignment. Thread-safe: a page that
    reconnects can briefly have two sockets feeding it."""

    def __init__(self, budget: MessageBudget, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self._clock = clock
        self._tokens = float(budget.message_burst)
        self._filled_at = clock()
        self._messages = 0
        self._bytes = 0
        self._refused_in_a_row = 0
        self._lock = threading.Lock()

    def charge(self, size: int) -> Refusal | None:
        """Count a message of `size` bytes against the budget, or say why it may not be sent."""
        with self._lock:
            self._refill()
            if self._messages >= self.budget.messages_per_assignment:
                text, part = COUNT_TEXT, "count"
            elif self._bytes + size > self.budget.bytes_per_assignment:
                text, part = BYTES_TEXT, "bytes"
            elif self._tokens < 1:
                text, part = RATE_TEXT, "rate"
            else:
                self._tokens -= 1
                self._messages += 1
                self._bytes += size
                self._refused_in_a_row = 0
                return None
            self._refused_in_a_row += 1
            return Refusal(text, part, cut_off=self._refused_in_a_row >= REFUSALS_BEFORE_CUT_OFF)

    def refund(self, size: int) -> None:
        """A charged message that was not stored after all (stored before under the same
        client id, or the store failed): it does not count toward the assignment's totals."""
        with self._lock:
            self._messages -= 1
            self._bytes -= size

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.budget.message_burst),
                           self._tokens + (now - self._filled_at) * self.budget.messages_per_second)
        self._filled_at = now


class OverBudget(Refused):
    """A worker's message refused by the budget; the message is the sentence for the worker."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.text)
        self.refusal = refusal
