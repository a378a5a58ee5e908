"""The worlds module of the in-memory task an MTurkManager runs: Parley's TaskManager plays
its `TaskWorld` and `OnboardingWorld`, which hand the workers, wrapped as MTurkAgents, to the
run.py's task function and onboard function, and keep what those answer for the store."""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

from runner.agents import Agent
from runner.worlds import OnboardingWorld as ParleyOnboardingWorld
from runner.worlds import World

if TYPE_CHECKING:
    from parlai_compat.mturk.core.mturk_manager import MTurkManager


def _saved(result: Any) -> dict[str, Any]:
    """What a task or onboard function answered, as the store keeps world data: the dict
    `prep_save_data` made, or a bare custom value."""
    if isinstance(result, dict) and set(result) <= {"custom_data", "worker_data"}:
        return {"custom_data": result.get("custom_data"), "worker_data": result.get("worker_data") or {}}
    return {"custom_data": result, "worker_data": {}}


def worlds_for(manager: MTurkManager, name: str) -> ModuleType:
    """A worlds module for the task `name` run by `manager`; its OnboardingWorld is there
    only while the manager has an onboard function (`set_onboard_function`)."""
    module = ModuleType(f"parlai_compat_{name}_worlds")

    class TaskWorld(World):
        """One conversation: the task function runs it whole in one parley."""

        def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
            super().__init__(opt, agents)
            self.saved: dict[str, Any] = {"custom_data": None, "worker_data": {}}

        def parley(self) -> None:
            try:
                workers = [manager.agent_for(agent) for agent in self.agents]
                assert manager.task_function is not None  # pairing waits for start_task
                self.saved = _saved(manager.task_function(manager, manager.opt, workers))
            finally:
                self.episode_over = True

        def prep_save_data(self, agents: list[Agent]) -> dict[str, Any]:
            return self.saved

    class OnboardingWorld(ParleyOnboardingWorld):
        """A worker's onboarding: the onboard function with their MTurkAgent."""

        def __init__(self, opt: dict[str, Any], agent: Agent) -> None:
            super().__init__(opt, agent)
            self.saved: dict[str, Any] = {"custom_data": None, "worker_data": {}}

        def parley(self) -> None:
            try:
                onboard = manager.onboard_function
                if onboard is not None:
                    self.saved = _saved(onboard(manager.agent_for(self.agent)))
            finally:
                self.episode_over = True

        def prep_save_data(self, agents: list[Agent]) -> dict[str, Any]:
            return self.saved

    module.TaskWorld = TaskWorld  # type: ignore[attr-defined]
    module.OnboardingWorldClass = OnboardingWorld  # type: ignore[attr-defined]
    return module


def set_onboarding(module: ModuleType, on: bool) -> None:
    """Give the module its OnboardingWorld (workers are onboarded first) or take it away."""
    if on:
        module.OnboardingWorld = module.OnboardingWorldClass  # type: ignore[attr-defined]
    elif hasattr(module, "OnboardingWorld"):
        del module.OnboardingWorld
