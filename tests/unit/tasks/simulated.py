"""Simulated workers for running task worlds without a browser: each replies from a script,
records what it observed, and can go away (a leave message) at a chosen turn."""
from __future__ import annotations

from typing import Any

from crowd.context import TaskContext
from runner.agents import Act, Agent, WorkerActions
from runner.tasks import Task, load_task, prepare_run
from runner.worlds import DISCONNECT_MESSAGE, World, is_leave


class ScriptExhausted(AssertionError):
    """The world asked a simulated worker to act more often than the test expected."""


class SimulatedHuman(WorkerActions, Agent):
    """Answers `act()` with the next script entry: a string is the message text, a dict is
    merged into the act (e.g. `{'text': ..., 'task_data': {...}}`). From act number
    `leave_at` on (0-based), answers `leave` instead, as a real worker's agent would. Its
    `WorkerActions` act through `context` when a test gives it one (`join`)."""

    def __init__(
        self,
        agent_id: str,
        script: list[str | dict[str, Any]] | None = None,
        *,
        worker_id: str | None = None,
        assignment_id: str | None = None,
        leave_at: int | None = None,
        leave: Act = DISCONNECT_MESSAGE,
    ) -> None:
        super().__init__(agent_id)
        self.worker_id = worker_id or f"W_{agent_id}"
        self.assignment_id = assignment_id or f"A_{agent_id}"
        self.script = list(script or [])
        self.leave_at = leave_at
        self.leave = leave
        self.acts: list[Act] = []

    def act(self, timeout: float | None = None) -> Act:
        if self.leave_at is not None and len(self.acts) >= self.leave_at:
            act = dict(self.leave)
        elif self.script:
            entry = self.script.pop(0)
            body = {"text": entry} if isinstance(entry, str) else dict(entry)
            act = {"id": self.id, "text": "", "episode_done": False, **body}
        else:
            raise ScriptExhausted(f"{self.id} was asked to act a {len(self.acts) + 1}th time")
        self.acts.append(act)
        return act

    @property
    def left(self) -> bool:
        return any(is_leave(act) for act in self.acts)

    def join(self, context: TaskContext) -> SimulatedHuman:
        """Take part in `context`'s run, as the runner's agents do: messages sent through the
        context arrive as system messages."""
        self.context = context.worker(self.worker_id, self.assignment_id,
                                      lambda text: self.observe({"id": "System", "text": text}))
        return self

    def texts(self) -> list[str]:
        """The text of everything this worker observed, in order."""
        return [str(act.get("text", "")) for act in self.observed]

    def task_data(self) -> dict[str, Any]:
        """The context pane at the end: every observed task_data merged in order."""
        merged: dict[str, Any] = {}
        for act in self.observed:
            merged.update(act.get("task_data") or {})
        return merged


def opt_for(task: Task, conversation_id: str = "conv_1", **extra: Any) -> dict[str, Any]:
    """A world's opt as the runner makes it: the task's option values (defaults), what its
    prepare_run gives, and the runner's own keys; `extra` wins."""
    return {**task.option_values, **prepare_run(task), "task_dir": str(task.path), "task_config": task.config,
            "run_id": "run_1", "conversation_id": conversation_id, **extra}


class SimulatedLocalHumans:
    """Stands in for the runner's `opt['local_humans']`: each agent id joins as the
    SimulatedHuman given for it, and the way it was asked to join is recorded."""

    def __init__(self, *humans: SimulatedHuman) -> None:
        self.humans = {human.id: human for human in humans}
        self.joined: list[tuple[str, str]] = []

    def join(self, agent_id: str, via: str = "link") -> SimulatedHuman:
        self.joined.append((agent_id, via))
        return self.humans[agent_id]


def build_world(name: str, agents: list[Agent], conversation_id: str = "conv_1", **opt: Any) -> World:
    task = load_task(name)
    assert [agent.id for agent in agents] == task.agent_ids
    return task.worlds.TaskWorld(opt_for(task, conversation_id, **opt), agents)


def run_world(world: World, agents: list[Agent], max_parleys: int = 100) -> tuple[dict[str, Any], int]:
    """Parley until the episode is done (failing past `max_parleys`), then shut the world
    down and answer (what it would save, how many parleys it took)."""
    parleys = 0
    while not world.episode_done():
        assert parleys < max_parleys, f"the world was still going after {max_parleys} parleys"
        world.parley()
        parleys += 1
    world.shutdown()
    return world.prep_save_data(agents), parleys
