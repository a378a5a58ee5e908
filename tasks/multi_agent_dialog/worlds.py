"""Multi-agent dialog: a round-robin chat between a local scripted agent and two workers.
The chat ends as soon as any message ends with `[DONE]`, or when a worker leaves (the runner
tells the other worker)."""
from __future__ import annotations

from typing import Any

from runner.agents import Act, Agent, ScriptedBot
from runner.worlds import MultiAgentDialogWorld

TURN_TIMEOUT_SECONDS = 5 * 60
DONE_MARK = "[DONE]"
LOCAL_AGENT_ID = "LocalAgent"
LOCAL_AGENT_LINES = [
    "Hello, both of you! Let's plan a picnic together. Where should we hold it?",
    "Sounds lovely. What should each of us bring?",
    "Good thinking. And what do we do if it rains?",
    f"That's a plan, then. Thank you both for chatting! {DONE_MARK}",
]


def says_done(act: Act) -> bool:
    return str(act.get("text") or "").rstrip().endswith(DONE_MARK)


class TaskWorld(MultiAgentDialogWorld):
    turn_timeout = TURN_TIMEOUT_SECONDS

    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        super().__init__(opt, [ScriptedBot(LOCAL_AGENT_ID, LOCAL_AGENT_LINES), *agents])
        self.ended_by: str | None = None
        self.messages = 0

    def ends_episode(self, act: Act) -> bool:
        self.messages += 1
        return says_done(act) or bool(act.get("episode_done"))

    def end_episode(self, outcome: str, speaker: Agent) -> None:
        super().end_episode(outcome, speaker)
        # A partner_disconnect comes from the worker who stayed, not from the one who left.
        self.ended_by = None if outcome == "partner_disconnect" else speaker.id

    def get_custom_task_data(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "ended_by": self.ended_by,
            "rounds": self.turn_index,
            "messages": self.messages,
        }
