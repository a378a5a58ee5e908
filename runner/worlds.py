"""The world contract task authors write against, ParlAI style.

A world holds agents; each `parley()` is one turn; `episode_done()` says when it is over.
Human agents' `act()` may answer one of the *leave messages* below instead of a message
from the worker, and every world must still be able to finish when that happens.

Everything a human sends or observes is stored by the runner, once per act: an act keeps
its `message_id`, so forward the act you received rather than a rebuilt copy of it.
"""
from __future__ import annotations

from typing import Any

from runner.agents import Agent

Act = dict[str, Any]


def _leave(kind: str, text: str) -> Act:
    return {"id": "SYSTEM", "text": text, "episode_done": True, "leave": kind}


DISCONNECT_MESSAGE = _leave("disconnect", "[DISCONNECT]")
"""The worker closed the page or went silent past the disconnect timeout."""
RETURN_MESSAGE = _leave("returned", "[RETURNED]")
"""The worker returned the task (gave it back to the marketplace)."""
TIMEOUT_MESSAGE = _leave("timeout", "[TIMEOUT]")
"""The worker did not answer within the `act(timeout=...)` the world asked for."""
PARTNER_DISCONNECT_MESSAGE = _leave("partner_disconnect", "[PARTNER_DISCONNECT]")
"""Another human in this conversation left; this worker is still here."""
INTERRUPTED_MESSAGE = _leave("interrupted", "[INTERRUPTED]")
"""The run was stopped with this worker mid-task; their work so far is kept for review."""

LEAVE_KINDS = frozenset(m["leave"] for m in (
    DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE, PARTNER_DISCONNECT_MESSAGE, INTERRUPTED_MESSAGE))


def system_message(text: str, **task_data: Any) -> Act:
    """A message from the world itself ('System'); `task_data` goes to the context pane."""
    act: Act = {"id": "System", "text": text, "episode_done": False}
    if task_data:
        act["task_data"] = task_data
    return act


def is_leave(act: Act | None) -> bool:
    """True for any of the leave messages (a copy counts too)."""
    return act is not None and act.get("id") == "SYSTEM" and act.get("leave") in LEAVE_KINDS


class World:
    """Base class of onboarding and task worlds."""

    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        self.opt = opt
        self.agents = agents
        self.turn_index = 0
        self.episode_over = False

    def parley(self) -> None:
        """One turn. Subclasses override it; they set `self.episode_over` when done."""
        raise NotImplementedError

    def episode_done(self) -> bool:
        return self.episode_over

    def shutdown(self) -> None:
        """Called once when the world is over, however it ended."""

    def get_custom_task_data(self) -> dict[str, Any] | None:
        """Anything the task wants kept with the conversation (saved as `custom_data`)."""
        return None

    def prep_save_data(self, agents: list[Agent]) -> dict[str, Any]:
        """What to store with the conversation: `custom_data`, and per worker `worker_data`."""
        return {"custom_data": self.get_custom_task_data(), "worker_data": {}}

    def review_work(self) -> None:
        """Called after saving; a place to approve, reject or bonus automatically."""


class OnboardingWorld(World):
    """A world one worker goes through before the task. Set `self.passed = False` to
    fail them: they are soft-blocked from the task and told so."""

    def __init__(self, opt: dict[str, Any], agent: Agent) -> None:
        super().__init__(opt, [agent])
        self.agent = agent
        self.passed: bool | None = True


class MultiAgentDialogWorld(World):
    """Round-robin chat: each agent acts in turn and every other agent observes.

    The episode ends when `ends_episode(act)` says so (by default: the act has
    `episode_done`) or when a human leaves; a leave message is not passed on, since the
    runner tells the others itself. `end_episode` records how it ended (`self.outcome`).
    """

    turn_timeout: float | None = None
    """Seconds each human has to answer; None waits as long as they stay connected."""

    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        super().__init__(opt, agents)
        self.outcome: str | None = None

    def parley(self) -> None:
        for speaker in self.agents:
            act = speaker.act(timeout=self.turn_timeout)
            if is_leave(act):
                self.end_episode(act["leave"], speaker)
                break
            for listener in self.agents:
                if listener is not speaker:
                    listener.observe(act)
            if self.ends_episode(act):
                self.end_episode("done", speaker)
                break
        self.turn_index += 1

    def ends_episode(self, act: Act) -> bool:
        return bool(act.get("episode_done"))

    def end_episode(self, outcome: str, speaker: Agent) -> None:
        self.outcome = outcome
        self.episode_over = True
