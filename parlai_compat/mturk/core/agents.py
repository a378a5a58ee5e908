"""ParlAI-MTurk's agent: `MTurkAgent` wraps the runner's human agent (runner/live.py) of one
worker's assignment, and the three leave messages a world checks `act['text']` against,
which are the texts of Parley's own leave acts, so `runner.worlds.is_leave(act)` holds too."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crowd.context import ACTOR
from runner.live import HumanAgent
from runner.worlds import DISCONNECT_MESSAGE, is_leave
from runner.worlds import RETURN_MESSAGE as PARLEY_RETURN
from runner.worlds import TIMEOUT_MESSAGE as PARLEY_TIMEOUT

if TYPE_CHECKING:
    from crowd.context import TaskContext
    from crowd.review import ReviewResult
    from parlai_compat.mturk.core.mturk_manager import MTurkManager

MTURK_DISCONNECT_MESSAGE: str = DISCONNECT_MESSAGE["text"]
RETURN_MESSAGE: str = PARLEY_RETURN["text"]
TIMEOUT_MESSAGE: str = PARLEY_TIMEOUT["text"]

BLOCK_QUALIFICATION = "block_qualification"
"""The opt key ParlAI's soft blocks name by default: its value is the qualification."""

_UNASSIGNED = object()


class MTurkAgent:
    """One worker on one assignment, as ParlAI's worlds see them. Acting on the worker
    (approve, reject, bonus, blocks) goes through the run's task context, like a native
    world's agent: audited, idempotent, and verdicts asked during the task carried out once
    the worker's task ends."""

    def __init__(self, human: HumanAgent, hit_id: str, manager: MTurkManager) -> None:
        self.human, self.hit_id, self.manager = human, hit_id, manager
        self.feedback: Any = None
        self.messages: list[dict[str, Any]] = []
        self._role: Any = _UNASSIGNED

    # Who ----------------------------------------------------------------------------------

    @property
    def id(self) -> str | None:
        """The worker's role (agent id). An `assign_role_function` sets it; None there
        returns the worker to the waiting pool."""
        return self.human.id if self._role is _UNASSIGNED else self._role

    @id.setter
    def id(self, role: str | None) -> None:
        self._role = role

    def take_role(self) -> str | None:
        """The role an `assign_role_function` just gave (the runner then pairs by it)."""
        role, self._role = self.id, _UNASSIGNED
        return role

    @property
    def worker_id(self) -> str:
        return self.human.worker_id

    @property
    def assignment_id(self) -> str:
        return self.human.assignment_id

    @property
    def disconnected(self) -> bool:
        return self.human.session.left == "disconnect"

    @property
    def hit_is_returned(self) -> bool:
        return self.human.session.left == "returned"

    @property
    def hit_is_abandoned(self) -> bool:
        return self.human.session.left in ("disconnect", "timeout")

    # Speaking -----------------------------------------------------------------------------

    def observe(self, act: dict[str, Any]) -> None:
        self.messages.append(act)
        self.human.observe(act)

    def act(self, timeout: float | None = None, blocking: bool = True) -> dict[str, Any] | None:
        """The worker's next message, or a leave act (its text one of the three messages).
        When another worker left the conversation (or the run was stopped), ParlAI's agent
        answers MTURK_DISCONNECT_MESSAGE, which is what a world checks for: so does this one.
        `blocking=False` answers at once, None when the worker has sent nothing yet (ParlAI's
        polling form; the worker can send unasked only in a task with `free_chat` True)."""
        act = self.human.act(timeout) if blocking else self.human.poll()
        if act is None:
            return None
        if not is_leave(act):
            self.messages.append(act)
        elif act["text"] not in (MTURK_DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE):
            act["text"] = MTURK_DISCONNECT_MESSAGE
        return act

    def get_messages(self) -> list[dict[str, Any]]:
        """Every message this worker saw or sent, in order (what prep_save_data keeps)."""
        return list(self.messages)

    def shutdown(self, timeout: float | None = None, direct_submit: bool = False) -> None:
        """Nothing to do: the runner ends the worker's page when their world ends."""

    # Acting on the worker -----------------------------------------------------------------

    def approve_work(self) -> ReviewResult | None:
        return self.human.approve_work()

    def reject_work(self, reason: str = "unspecified") -> ReviewResult | None:
        return self.human.reject_work(reason)

    def pay_bonus(self, bonus_amount: float | str, reason: str = "unspecified") -> ReviewResult | None:
        return self.human.pay_bonus(bonus_amount, reason)

    def block_worker(self, reason: str = "unspecified") -> ReviewResult:
        """ParlAI's block is the marketplace's own (hard) block of the worker."""
        task = self._task()
        return task.review.hard_block(self.worker_id, run_id=task.run_id, actor=ACTOR, reason=reason)

    def soft_block_worker(self, qual: str = BLOCK_QUALIFICATION) -> ReviewResult:
        """Block the worker from this task: the run's block qualification (which
        `--block-qualification` names), or with another opt key (or qualification name) that
        qualification."""
        if qual == BLOCK_QUALIFICATION:
            return self.human.soft_block_worker("soft-blocked by the task's world")
        task = self._task()
        return task.review.soft_block(self.worker_id, run_id=task.run_id, actor=ACTOR,
                                      reason="soft-blocked by the task's world",
                                      qualification_name=self.manager.qualification_for(qual))

    def _task(self) -> TaskContext:
        if self.human.context is None:
            raise RuntimeError("this agent is not part of a run, so it cannot act on its worker")
        return self.human.context.task
