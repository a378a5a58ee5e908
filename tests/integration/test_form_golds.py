"""Gold items hold workers to a bar: a worker whose golds fall below the task's
gold_min_accuracy (after gold_min_answers of them) is soft-blocked once, through the review
service (audited; on MTurk their qualification keeps them from the task's HITs), cannot take
more of the task, and their work is flagged in the review queue."""
from __future__ import annotations

from typing import Any

from datastore.review_queue import QueueFilter
from datastore.states import ReviewAction, ReviewOutcome
from tests.fakes.mturk_server import ActionRefused, FakeMTurk
from tests.integration.test_runner_refusals import refused
from tests.integration.test_task_context_live import actions, mturk
from tests.support.form_tasks import dialog_rating_copy, good_answers
from tests.support.mturk import work

GOLD_RIGHT = {"gold-capital": "yes", "gold-offtopic": "no"}
"""Each gold's known on_topic answer (tasks/dialog_rating/items.jsonl)."""
GOLD_WRONG = {"gold-capital": "no", "gold-offtopic": "yes"}
BAR = "Right on 0 of 2 gold items (0%), below the task's 60%."


def strict_task(tmp_path):
    """Three items an assignment, two of them golds; below 60% after 2 golds is blocked."""
    return dialog_rating_copy(tmp_path, item_ids=["weather", "recipe", "gold-capital", "gold-offtopic"],
                              items_per_assignment=3, gold_rate=0.67, gold_min_answers=2,
                              gold_min_accuracy=0.6)


def answer_all(worker, wrong_golds: bool) -> None:
    form = worker.wait_for(lambda f: f["type"] == "form")
    for item in form["items"]:
        answers: dict[str, Any] = good_answers(item)
        if item["item_id"] in GOLD_RIGHT:
            answers["on_topic"] = (GOLD_WRONG if wrong_golds else GOLD_RIGHT)[item["item_id"]]
        assert worker.answer(item["item_id"], answers)["type"] == "ack"
    worker.wait_state("done")
    worker.send_frame({"type": "done"})
    worker.wait_state("submitted")


def test_a_worker_below_the_gold_bar_is_soft_blocked_once_refused_next_time_and_flagged(start, tmp_path):
    runner = start(str(strict_task(tmp_path)), num_conversations=2)
    answer_all(runner.join("W1", assignment_id="A1"), wrong_golds=True)
    h = runner.handler
    assert h.gold_accuracy(runner.run_id, "W1") == (2, 0)
    assert actions(h, "W1") == [(ReviewAction.SOFT_BLOCK, ReviewOutcome.SUCCEEDED, "world")]
    [block] = h.get_blocks_for_worker("W1")
    assert block["kind"] == "soft" and block["reason"] == BAR
    refused(runner, "W1", "A2", "You are not able to work on this task.")
    flagged = h.review_queue(runner.run_id, QueueFilter(flagged=True))["unit"]
    assert flagged["assignment_id"] == "A1"
    assert BAR in str(flagged)


def test_a_worker_right_on_the_golds_is_neither_blocked_nor_flagged(start, tmp_path):
    runner = start(str(strict_task(tmp_path)), num_conversations=2)
    answer_all(runner.join("W1", assignment_id="A1"), wrong_golds=False)
    h = runner.handler
    assert h.gold_accuracy(runner.run_id, "W1") == (2, 2)
    assert actions(h, "W1") == [] and h.get_blocks_for_worker("W1") == []
    assert h.review_queue(runner.run_id, QueueFilter(flagged=True))["unit"] is None


def test_on_mturk_a_worker_below_the_gold_bar_gets_the_block_qualification_and_no_more_hits(start, tmp_path):
    qualification = "parley_dialog_rating_block"
    with FakeMTurk() as fake:
        runner = start(str(strict_task(tmp_path)), provider=mturk(fake, block_qualification=qualification),
                       num_conversations=2)
        _, worker = work(runner, fake, "AWORKERGOLD", runner.provider.hit_ids[0])
        answer_all(worker, wrong_golds=True)
        assert actions(runner.handler, "AWORKERGOLD") == [
            (ReviewAction.SOFT_BLOCK, ReviewOutcome.SUCCEEDED, "world")]
        try:
            fake.accept(runner.provider.hit_ids[1], "AWORKERGOLD")
        except ActionRefused as exc:
            assert "does not meet the qualification requirements" in str(exc)
        else:
            raise AssertionError("a blocked worker accepted another HIT of the task")
