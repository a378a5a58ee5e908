"""A launch the provider refuses (over the budget, the marketplace said no) leaves no run in
the store when nothing of it is left on the marketplace; otherwise the run is kept, failed."""
from __future__ import annotations

import pytest

from crowd.base import OutcomeUnknown, Refused
from crowd.local.provider import LocalProvider
from crowd.options import RunOptions
from runner.manager import TaskManager
from runner.tasks import load_task
from tests.support.mturk import PAIR_CHAT


class RefusingProvider(LocalProvider):
    """Puts up `made` HITs, then refuses the launch; `takes_back`: its cleanup disposes them."""

    def __init__(self, made: int, takes_back: bool, refusal: type[Refused] = Refused) -> None:
        super().__init__()
        self.made, self.takes_back, self.refusal = made, takes_back, refusal

    def launch(self, count: int) -> list[str]:
        if self.made:
            super().launch(self.made)
        raise self.refusal("the marketplace refused the launch")

    def cleanup(self) -> None:
        if self.takes_back:
            super().cleanup()


def start(handler, provider) -> TaskManager:
    manager = TaskManager(load_task(PAIR_CHAT), handler, provider, RunOptions(num_conversations=1))
    with pytest.raises(Refused, match="the marketplace refused the launch"):
        manager.start()
    assert manager.finished.is_set()
    return manager


@pytest.mark.parametrize("made", [0, 2])
def test_a_refused_launch_that_left_nothing_on_the_marketplace_leaves_no_run(handler, made):
    manager = start(handler, RefusingProvider(made, takes_back=True))
    assert handler.get_all_run_data() == []
    assert handler.get_run_data(manager.run_id) is None and handler.get_hits_for_run(manager.run_id) == []


def test_a_refused_launch_whose_hits_are_still_up_keeps_the_run_ended_as_failed(handler):
    manager = start(handler, RefusingProvider(2, takes_back=False))
    assert handler.get_run_data(manager.run_id)["status"] == "failed"
    assert {h["hit_status"] for h in handler.get_hits_for_run(manager.run_id)} == {"Assignable"}


def test_a_launch_whose_answer_was_lost_keeps_the_run_ended_as_failed(handler):
    """The marketplace may have made something the run does not know of; the run's id names it."""
    manager = start(handler, RefusingProvider(0, takes_back=True, refusal=OutcomeUnknown))
    assert handler.get_run_data(manager.run_id)["status"] == "failed"
