"""Multi-agent dialog: a round-robin chat between a local human (a person at the runner,
playing LocalAgent) and two workers. It goes on until the local human sends a message that
ends with `[DONE]`; then each worker sends one final message, and the chat is over. A worker
who leaves ends it at once (the runner tells the other worker)."""
from __future__ import annotations

from typing import Any

from runner.agents import Act, Agent
from runner.worlds import MultiAgentDialogWorld, system_message

TURN_TIMEOUT_SECONDS = 5 * 60
DONE_MARK = "[DONE]"
LOCAL_AGENT_ID = "LocalAgent"
FINAL_MESSAGE_TEXT = f"{LOCAL_AGENT_ID} has ended the chat. Please send one final message to say goodbye."


def says_done(act: Act) -> bool:
    return str(act.get("text") or "").rstrip().endswith(DONE_MARK)


class TaskWorld(MultiAgentDialogWorld):
    turn_timeout = TURN_TIMEOUT_SECONDS

    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        # A person at the runner: at a link the runner prints, or at its terminal (--local-human).
        self.local = opt["local_humans"].join(LOCAL_AGENT_ID, via=opt["local_human"])
        super().__init__(opt, [self.local, *agents])
        self.workers = agents
        self.closing = False
        """The local human said [DONE]: the workers are sending their final messages."""
        self.ended_by: str | None = None
        self.messages = 0

    def parley(self) -> None:
        super().parley()  # one round: LocalAgent, then each worker
        if self.closing and not self.episode_over:
            self.end_episode("done", self.local)

    def ends_episode(self, act: Act) -> bool:
        self.messages += 1
        if act.get("id") == LOCAL_AGENT_ID and says_done(act) and not self.closing:
            self.closing = True
            notice = system_message(FINAL_MESSAGE_TEXT)
            for worker in self.workers:
                worker.observe(notice)
        return False

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
