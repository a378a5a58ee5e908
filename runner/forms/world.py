"""The built-in world of every form task: one worker answers the K items claimed for their
assignment, then submits as in a chat task.

`FormDesk` is the runner's side of one assignment's form: it claims the items, shows them
(the numbered "form" frame, kept up to date with what is answered so a reconnect replays it
right), stores each answer once it passes the field checks (an ack means "in the store"),
and gives back unanswered claims when the assignment ends without them."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

from crowd.base import Refused
from datastore import InvalidValue
from runner.agents import Act, Agent
from runner.forms.answers import validate_answers
from runner.forms.config import FormTask
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
ANSWERS_REFUSED_TEXT = "Some answers need another look."


class AnswersRefused(Exception):
    """Answers that fail the field checks: {field name: sentence}; nothing was stored."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(ANSWERS_REFUSED_TEXT)
        self.problems = problems


class FormDesk:
    def __init__(self, handler: MTurkDataHandler, run_id: str, form: FormTask, session: FormSession) -> None:
        self.handler, self.run_id, self.form, self.session = handler, run_id, form, session
        self.items: dict[str, dict[str, Any]] = {}
        """Claimed item id -> its data, in claim order."""
        self.answered: set[str] = set()
        self._frame: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def open(self) -> bool:
        """Claim the assignment's items and show them; False when there is none to give."""
        who = self.session.who
        claimed = self.handler.claim_form_items(
            self.run_id, who.assignment_id, who.worker_id, self.form.items_per_assignment,
            self.form.annotations_per_item, self.form.gold_rate)
        if not claimed:
            return False
        answered = self.handler.get_form_answers(self.run_id, assignment_id=who.assignment_id)
        with self._lock:
            self.items = {item.item_id: item.data for item in claimed}
            self.answered = {row["item_id"] for row in answered} & set(self.items)
            self._frame = self.session.push({
                "type": "form", "fields": self.form.fields, "answered": sorted(self.answered),
                "items": [{"item_id": item_id, "html": self.form.render(item_id, data), "data": data}
                          for item_id, data in self.items.items()]})
        return True

    @property
    def complete(self) -> bool:
        with self._lock:
            return bool(self.items) and self.answered >= set(self.items)

    def store_answer(self, item_id: str, answers: dict[str, Any]) -> bool:
        """Check and store the worker's answers to one of their items; True when they are new
        (False: the same answers again, already stored). Raises AnswersRefused for answers the
        fields refuse, Refused for an item that is not theirs or answers that differ from
        those stored; DatastoreError / database errors propagate (the page retries)."""
        data = self.items.get(item_id)
        if data is None:
            raise Refused("This item is not one of yours.")
        if problems := validate_answers(self.form.fields, answers, data):
            raise AnswersRefused(problems)
        who = self.session.who
        try:
            self.handler.log_form_answer(self.run_id, who.assignment_id, who.worker_id, item_id, answers)
        except InvalidValue as exc:
            raise Refused(str(exc)) from None
        with self._lock:
            new = item_id not in self.answered
            self.answered.add(item_id)
            if self._frame is not None:
                self._frame["answered"] = sorted(self.answered)
        if new:  # wakes the world, which ends once every item is answered
            self.session.deliver_to_agent({"id": self.session.agent.id, "text": "", "form_answer": item_id,
                                           "episode_done": False})
        return new

    def release(self) -> None:
        """Give back the items this assignment claimed and did not answer."""
        self.handler.release_form_claims(self.session.assignment_id)


class FormWorld(World):
    """Claims the items, then waits on the worker until every one is answered or they leave.
    `outcome`: "done", "no_items", or how the worker left."""

    def __init__(self, opt: dict[str, Any], desk: FormDesk) -> None:
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

    def shutdown(self) -> None:
        if not self.desk.complete:  # left, stopped or failed: the items may go to someone else
            self.desk.release()
