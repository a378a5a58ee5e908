"""A form task's onboarding as a gold test: before their items, a worker answers the task's
onboarding items with the form's fields, on the same page and through the same checks as
task items; their answers are scored against the known ones, which never leave the runner,
and the worker passes when right / total reaches the task's `min_accuracy`.

Each answer is stored, before it is acked, as a message of the worker's onboarding
conversation (`task_data`: the item, the answers and whether they were right); the verdict
and every answer go to the onboarding result when the last item is answered."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from crowd.base import Refused
from datastore.forms import gold_correct, same_json
from runner.agents import Act
from runner.forms.config import FormTask, Onboarding
from runner.forms.world import AnswerComposition, DeskWorld, FormSession, ItemDesk

ANSWERED_OTHERWISE_TEXT = "You answered this item already, with other answers; the first answers are kept."


class OnboardingDesk(ItemDesk):
    """The onboarding items of one assignment, and the worker's scored answers to them."""

    def __init__(self, form: FormTask, session: FormSession, keep: Callable[[Act], object]) -> None:
        super().__init__(form, session)
        assert form.onboarding is not None
        self.test: Onboarding = form.onboarding
        self._store = keep
        """Stores a message of the worker in their onboarding conversation (committed when it returns)."""
        self.results: dict[str, dict[str, Any]] = {}
        """Item id -> {"answers", "correct"} of each item answered, once stored."""
        self._keeping = threading.Lock()

    def open(self) -> bool:
        self._show({item["item_id"]: item["data"] for item in self.test.items}, set(self.results))
        return True

    def _keep(self, item_id: str, answers: dict[str, Any], composition: AnswerComposition) -> None:
        """An onboarding test's answers are kept in its messages' task_data, with how any
        free-text answer was composed (`answer_signals`, `answer_flags`)."""
        with self._keeping:  # one item's answers are stored once, the first answers kept
            earlier = self.results.get(item_id)
            if earlier is not None:
                if not same_json(earlier["answers"], answers):
                    raise Refused(ANSWERED_OTHERWISE_TEXT)
                return
            gold = next(item["gold"] for item in self.test.items if item["item_id"] == item_id)
            result = {"answers": answers, "correct": gold_correct(gold, answers)}
            kept = {"answer_signals": composition.signals, "answer_flags": composition.flags} if composition.signals else {}
            self._store({"id": self.session.agent.id, "text": "", "episode_done": False,
                         "task_data": {"onboarding_item": item_id, **result, **kept}})
            self.results[item_id] = result

    @property
    def right(self) -> int:
        return sum(result["correct"] for result in self.results.values())

    def summary(self) -> dict[str, Any]:
        """What the onboarding result keeps: every answer with whether it was right, and the score."""
        return {"items": dict(self.results), "right": self.right, "total": len(self.test.items),
                "min_accuracy": self.test.min_accuracy}


class OnboardingFormWorld(DeskWorld):
    """Plays a form task's onboarding: done once every onboarding item is answered, when
    `passed` says whether the worker reached the bar (None while they have not finished,
    as for a chat task's OnboardingWorld that sets nothing)."""

    desk: OnboardingDesk

    def __init__(self, opt: dict[str, Any], desk: OnboardingDesk) -> None:
        super().__init__(opt, desk)
        self.passed: bool | None = None

    def _end(self, outcome: str) -> None:
        super()._end(outcome)
        if outcome == "done":
            self.passed = self.desk.test.passes(self.desk.right)

    def prep_save_data(self, agents: list[Any]) -> dict[str, Any]:
        return {"custom_data": self.desk.summary(), "worker_data": {}}
