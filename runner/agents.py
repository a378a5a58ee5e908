"""Agents speak dicts: `observe(act)` receives a message, `act()` answers one.

`BotAgent` answers through a function; the human agent (`runner.live.HumanAgent`) answers
with what its worker types, or with a leave message when the worker goes away.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

Act = dict[str, Any]


class Agent:
    def __init__(self, agent_id: str) -> None:
        self.id = agent_id
        self.observed: list[Act] = []

    def observe(self, act: Act) -> None:
        self.observed.append(act)

    def act(self, timeout: float | None = None) -> Act:
        raise NotImplementedError


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


class ScriptedBot(BotAgent):
    """Says its lines in order, then `[DONE]` forever after (ending the episode)."""

    def __init__(self, agent_id: str, lines: list[str]) -> None:
        remaining = list(lines)

        def next_line(_: list[Act]) -> Act:
            if remaining:
                return {"text": remaining.pop(0)}
            return {"text": "[DONE]", "episode_done": True}

        super().__init__(agent_id, next_line)
