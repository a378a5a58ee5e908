"""The built-in world of every form task: one worker answers the K items claimed for their
assignment, then submits as in a chat task.

`ItemDesk` is the runner's side of the items a worker's page shows with the form's fields:
the numbered "form" frame (kept up to date with what is answered, so a reconnect replays it
right) and the worker's answers, checked field by field and stored before they are acked.
`FormDesk` is the desk of one assignment's task items: it claims them, stores each answer as
a form answer, and gives back unanswered claims when the assignment ends without them
(runner.forms.onboarding has the desk of a form task's onboarding gold test)."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from crowd.base import Refused
from datastore import InvalidValue
from runner.agents import Act, Agent
from runner.forms.answers import validate_answers
from runner.forms.config import FormTask
from runner.forms.policy import POSITIONS_KEY
from runner.protocol import WorkerIdentity
from runner.worlds import World, is_leave

if TYPE_CHECKING:
    from datastore import MTurkDataHandler


class FormSession(Protocol):
    """What a desk needs of the worker's live session (runner.live.WorkerSession), named here
    so that runner.live, which holds a session's desk, need not be imported back."""

    @property
    def who(self) -> WorkerIdentity: ...

    @property
    def agent(self) -> Agent: ...

    @property
    def assignment_id(self) -> str: ...

    def push(self, frame: dict[str, Any]) -> dict[str, Any]: ...

    def deliver_to_agent(self, act: Act) -> None: ...

NO_ITEMS = "no_items"
log = logging.getLogger("parley.runner")
ANSWERS_REFUSED_TEXT = "Some answers need another look."


def gold_sentence(answered: int, correct: int, bar: float) -> str:
    return (f"Right on {correct} of {answered} gold items ({correct / answered:.0%}), below the task's "
            f"{bar:.0%}.")


@dataclass(frozen=True)
class AnswerComposition:
    """How a worker composed an item's free-text answers (signals by field name, as their
    page recorded them) and what the checks found in them ({"field", "flag", "detail"})."""

    signals: dict[str, Any] = field(default_factory=dict)
    flags: list[dict[str, Any]] = field(default_factory=list)


class AnswersRefused(Exception):
    """Answers that fail the field checks: {field name: sentence}; nothing was stored."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(ANSWERS_REFUSED_TEXT)
        self.problems = problems


class ItemDesk:
    """Shows items with the form's fields and takes the worker's answers to them; what an
    answer is stored as, and where, is the subclass's `_keep`."""

    def __init__(self, form: FormTask, session: FormSession) -> None:
        self.form, self.session = form, session
        self.items: dict[str, dict[str, Any]] = {}
        """Shown item id -> its data, in the order shown."""
        self.answered: set[str] = set()
        self._frame: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def open(self) -> bool:
        """Show the worker their items; False when there is none to give."""
        raise NotImplementedError

    def _show(self, items: dict[str, dict[str, Any]], answered: set[str]) -> None:
        assignment_id = self.session.who.assignment_id
        with self._lock:
            self.items, self.answered = items, answered & set(items)
            self._frame = self.session.push({
                "type": "form", "fields": self.form.fields, "answered": sorted(self.answered),
                "items": [{"item_id": item_id, "html": self.form.render(item_id, data, assignment_id),
                           "data": self.form.page_data(data)} for item_id, data in items.items()]})

    @property
    def complete(self) -> bool:
        with self._lock:
            return bool(self.items) and self.answered >= set(self.items)

    def store_answer(self, item_id: str, answers: dict[str, Any],
                     composition: AnswerComposition | None = None) -> bool:
        """Check and store the worker's answers to one of their items (and how the free-text
        ones were composed, where the store keeps it); True when they are new
        (False: the same answers again, already stored). Raises AnswersRefused for answers the
        fields refuse, Refused for an item that is not theirs or answers that differ from
        those stored; DatastoreError / database errors propagate (the page retries)."""
        data = self.items.get(item_id)
        if data is None:
            raise Refused("This item is not one of yours.")
        if problems := validate_answers(self.form.fields, answers, data):
            raise AnswersRefused(problems)
        if self.form.comparison is not None:  # which side the page showed first, as it drew them
            positions = self.form.comparison.positions(self.session.who.assignment_id, item_id)
            answers = {**answers, POSITIONS_KEY: positions}
        self._keep(item_id, answers, composition or AnswerComposition())
        with self._lock:
            new = item_id not in self.answered
            self.answered.add(item_id)
            if self._frame is not None:
                self._frame["answered"] = sorted(self.answered)
        if new:
            self._answered(item_id)
            # wakes the world, which ends once every item is answered
            self.session.deliver_to_agent({"id": self.session.agent.id, "text": "", "form_answer": item_id,
                                           "episode_done": False})
        return new

    def _keep(self, item_id: str, answers: dict[str, Any], composition: AnswerComposition) -> None:
        """Store checked answers (committed when this returns); the same answers again store
        nothing more. Raises Refused for other answers to an item already answered."""
        raise NotImplementedError

    def _answered(self, item_id: str) -> None:
        """What follows a new answer once it is stored (before the world hears of it)."""


class FormDesk(ItemDesk):
    def __init__(self, handler: MTurkDataHandler, run_id: str, form: FormTask, session: FormSession,
                 soft_block: Callable[[str], object]) -> None:
        super().__init__(form, session)
        self.handler, self.run_id = handler, run_id
        self._soft_block = soft_block
        """Keeps the worker out of the task, through the review service (audited, once)."""
        self.golds: set[str] = set()

    def open(self) -> bool:
        """Claim the assignment's items and show them; False when there is none to give."""
        who = self.session.who
        claimed = self.handler.claim_form_items(
            self.run_id, who.assignment_id, who.worker_id, self.form.items_per_assignment,
            self.form.annotations_per_item, self.form.gold_rate)
        if not claimed:
            return False
        answered = self.handler.get_form_answers(self.run_id, assignment_id=who.assignment_id)
        self.golds = {item.item_id for item in claimed if item.is_gold}
        self._show({item.item_id: item.data for item in claimed}, {row["item_id"] for row in answered})
        return True

    def _keep(self, item_id: str, answers: dict[str, Any], composition: AnswerComposition) -> None:
        who = self.session.who
        try:
            self.handler.log_form_answer(self.run_id, who.assignment_id, who.worker_id, item_id, answers,
                                         signals=composition.signals or None, flags=composition.flags)
        except InvalidValue as exc:
            raise Refused(str(exc)) from None

    def _answered(self, item_id: str) -> None:
        if item_id in self.golds:
            self.judge_golds()

    def falls_short(self) -> tuple[int, int] | None:
        """(golds answered, golds right) when the worker is below the task's bar, else None."""
        answered, correct = self.handler.gold_accuracy(self.run_id, self.session.who.worker_id)
        return (answered, correct) if self.form.gold.falls_short(answered, correct) else None

    def judge_golds(self) -> str | None:
        """Soft-block a worker whose golds fall below the task's bar, and answer why (None: not
        below). The review service blocks once however often this finds them short; a block
        that fails is logged and tried again at their next gold and when their world ends,
        since the answer that found them short is stored (and acked) either way."""
        if (record := self.falls_short()) is None:
            return None
        sentence = gold_sentence(*record, self.form.gold.min_accuracy or 0.0)
        try:
            self._soft_block(sentence)
        except Exception:
            log.exception("soft-blocking worker %s for their golds failed", self.session.who.worker_id)
        return sentence

    def release(self) -> None:
        """Give back the items this assignment claimed and did not answer."""
        self.handler.release_form_claims(self.session.assignment_id)


class DeskWorld(World):
    """Shows the desk's items, then waits on the worker until every one is answered or they
    leave. `outcome`: "done", "no_items", or how the worker left."""

    def __init__(self, opt: dict[str, Any], desk: ItemDesk) -> None:
        super().__init__(opt, [desk.session.agent])
        self.desk = desk
        self.outcome: str | None = None
        self._opened = False

    def parley(self) -> None:
        if not self._opened:
            self._opened = True
            if not self.desk.open():
                self._end(NO_ITEMS)
                return
        if self.desk.complete:
            self._end("done")
            return
        act = self.agents[0].act()
        if is_leave(act):
            self._end(act["leave"])

    def _end(self, outcome: str) -> None:
        self.outcome = outcome
        self.episode_over = True


class FormWorld(DeskWorld):
    """Claims the assignment's items and collects the answers to them."""

    desk: FormDesk

    def prep_save_data(self, agents: list[Any]) -> dict[str, Any]:
        """The outcome, and a review flag on the work of a worker whose golds fall short."""
        data: dict[str, Any] = {"custom_data": {"outcome": self.outcome}, "worker_data": {}}
        if self.desk.items and (sentence := self.desk.judge_golds()) is not None:
            data["worker_data"][self.desk.session.who.worker_id] = {"review_flag": sentence}
        return data

    def shutdown(self) -> None:
        if not self.desk.complete:  # left, stopped or failed: the items may go to someone else
            self.desk.release()
