"""Agents speak dicts: `observe(act)` receives a message, `act()` answers one.

`BotAgent` answers through a function; the human agent (`runner.live.HumanAgent`) answers
with what its worker types, or with a leave message when the worker goes away.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crowd.context import WorkerContext
    from crowd.review import ReviewResult

Act = dict[str, Any]


class Agent:
    def __init__(self, agent_id: str) -> None:
        self.id = agent_id
        self.observed: list[Act] = []

    def observe(self, act: Act) -> None:
        self.observed.append(act)

    def act(self, timeout: float | None = None) -> Act:
        raise NotImplementedError


class WorkerActions:
    """ParlAI's agent methods for acting on a human's worker, through the task context
    (`crowd/context.py`: audited, idempotent, and verdicts and bonuses asked during the
    conversation are carried out once the worker's task ends, answering None)."""

    context: WorkerContext | None = None
    """Set by the runner when the agent joins a run."""

    def approve_work(self, feedback: str | None = None) -> ReviewResult | None:
        return self._context().approve_work(feedback)

    def reject_work(self, reason: str) -> ReviewResult | None:
        return self._context().reject_work(reason)

    def pay_bonus(self, amount: int | float | str, reason: str) -> ReviewResult | None:
        return self._context().pay_bonus(amount, reason)

    def soft_block_worker(self, reason: str) -> ReviewResult:
        return self._context().soft_block(reason)

    soft_block = soft_block_worker

    def grant_qualification(self, name: str, value: int = 1, reason: str = "granted by the task") -> ReviewResult:
        return self._context().grant_qualification(name, value, reason)

    def send_message(self, text: str) -> None:
        self._context().send_message(text)

    def message_flags(self) -> list[dict[str, Any]]:
        """The authenticity flags of this worker's messages in the run (WorkerContext's)."""
        return self._context().message_flags()

    def _context(self) -> WorkerContext:
        if self.context is None:
            raise RuntimeError("this agent is not part of a run, so it cannot act on its worker")
        return self.context


class BotAgent(Agent):
    """A bot: `respond(observations)` gets everything observed since its last act
    and returns the text (or the whole act) of its answer."""

    def __init__(self, agent_id: str, respond: Callable[[list[Act]], str | Act]) -> None:
        super().__init__(agent_id)
        self._respond = respond
        self._unanswered: list[Act] = []

    def observe(self, act: Act) -> None:
        super().observe(act)
        self._unanswered.append(act)

    def act(self, timeout: float | None = None) -> Act:
        answer = self._respond(self._unanswered)
        self._unanswered = []
        act: Act = {"text": answer} if isinstance(answer, str) else dict(answer)
        act["id"] = self.id
        act.setdefault("episode_done", False)
        return act

