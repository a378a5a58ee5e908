"""ParlAI-MTurk's worlds: `MTurkOnboardWorld`, `MTurkTaskWorld` and the `MTurkDataWorld`
they share, whose `prep_save_data` is what the store keeps with the conversation
(`custom_data`, and each worker's `worker_data`: their messages)."""
from __future__ import annotations

from typing import Any

from parlai_compat.mturk.core.agents import MTurkAgent


class MTurkDataWorld:
    """A world whose data is kept: `get_custom_task_data()` is the task's own part."""

    def prep_save_data(self, workers: list[Any]) -> dict[str, Any]:
        save_data: dict[str, Any] = {"custom_data": self.get_custom_task_data(), "worker_data": {}}
        for agent in workers:
            if isinstance(agent, MTurkAgent):
                save_data["worker_data"][agent.worker_id] = {
                    "worker_id": agent.worker_id,
                    "agent_id": agent.id,
                    "assignment_id": agent.assignment_id,
                    "messages": agent.get_messages(),
                    "given_feedback": agent.feedback,
                }
        return save_data

    def get_custom_task_data(self) -> Any:
        """What the task collected, e.g. {'context': ..., 'acts': [...]}; None by default."""
        return None


class _ParleyingWorld(MTurkDataWorld):
    def __init__(self, opt: dict[str, Any], mturk_agent: Any) -> None:
        self.opt = opt
        self.mturk_agent = mturk_agent
        self.episodeDone = False

    def parley(self) -> None:
        """One turn; ParlAI's default ends at once."""
        self.episodeDone = True

    def episode_done(self) -> bool:
        return self.episodeDone

    def shutdown(self) -> None:
        """Free the world's resources."""


class MTurkOnboardWorld(_ParleyingWorld):
    """Onboarding for one worker, run by the manager's onboard function."""


class MTurkTaskWorld(_ParleyingWorld):
    """The task's world, made by the run's task function with its workers."""

    def shutdown(self) -> None:
        agents = self.mturk_agent if isinstance(self.mturk_agent, list) else [self.mturk_agent]
        for agent in agents:
            agent.shutdown()

    def review_work(self) -> None:
        """Approve, reject or bonus the work programmatically (agent.approve_work() ...)."""
