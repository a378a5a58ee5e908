"""A form task's onboarding is a gold test, over real websockets: before their items a worker
answers the onboarding items with the form's fields (the page never learns the known
answers), each answer checked field by field and stored before it is acked; a worker who
reaches the bar goes on to the task's items, one who does not is soft-blocked once, their
assignment expired, and refused next time."""
from __future__ import annotations

import json
from typing import Any

from datastore.states import ReviewAction, ReviewOutcome
from runner.forms.onboarding import ANSWERED_OTHERWISE_TEXT
from runner.forms.world import ANSWERS_REFUSED_TEXT
from tests.integration.test_runner_refusals import refused
from tests.integration.test_task_context_live import actions
from tests.support.form_tasks import dialog_rating_copy, good_answers

DIALOG = [{"speaker": "User", "text": "What is the capital of Italy?"},
          {"speaker": "Assistant", "text": "Rome."}]
INTRO = [{"id": "intro-capital", "data": {"topic": "A capital", "dialog": DIALOG}, "gold": {"on_topic": "yes"}},
         {"id": "intro-offtopic", "data": {"topic": "Off topic", "dialog": DIALOG}, "gold": {"on_topic": "no"}}]
RIGHT = {"intro-capital": "yes", "intro-offtopic": "no"}
TASK_ITEMS = ["weather", "recipe"]


def onboarded_task(tmp_path, **onboarding: Any):
    """dialog_rating with two ordinary items, one an assignment, and the INTRO gold test."""
    return dialog_rating_copy(tmp_path, item_ids=TASK_ITEMS, items_per_assignment=1, annotations_per_item=1,
                              gold_rate=0, onboarding={"items": INTRO, **onboarding})


def answers_to(item: dict[str, Any], on_topic: str) -> dict[str, Any]:
    return {**good_answers(item), "on_topic": on_topic}


def onboarding_form(worker) -> dict[str, Any]:
    worker.wait_state("onboarding")
    return worker.wait_for(lambda f: f["type"] == "form")


def answer_onboarding(worker, wrong: tuple[str, ...] = ()) -> dict[str, Any]:
    """Answer every onboarding item, right except those in `wrong`; answers the form frame."""
    form = onboarding_form(worker)
    for item in form["items"]:
        right = RIGHT[item["item_id"]]
        given = ("no" if right == "yes" else "yes") if item["item_id"] in wrong else right
        assert worker.answer(item["item_id"], answers_to(item, given))["type"] == "ack"
    return form


def onboarding_messages(runner, assignment_id: str) -> list[dict[str, Any]]:
    return [m["task_data"] for m in runner.handler.get_messages(runner.run_id, f"o_{assignment_id}")]


def test_the_onboarding_items_come_in_a_form_frame_that_never_tells_the_known_answers(start, tmp_path):
    runner = start(str(onboarded_task(tmp_path)), num_conversations=2)
    assert runner.manager.task.has_onboarding
    form = onboarding_form(runner.join("W1", assignment_id="A1"))
    assert [item["item_id"] for item in form["items"]] == ["intro-capital", "intro-offtopic"]
    assert [f["name"] for f in form["fields"]][:3] == ["turns", "overall", "on_topic"]
    assert form["answered"] == [] and "parley-item__turn" in form["items"][0]["html"]
    assert set(form["items"][0]) == {"item_id", "html", "data"}
    assert "gold" not in json.dumps(form) and "correct" not in json.dumps(form)


def test_a_worker_right_on_the_onboarding_golds_passes_and_gets_the_tasks_items(start, tmp_path):
    runner = start(str(onboarded_task(tmp_path)), num_conversations=2)
    worker = runner.join("W1", assignment_id="A1")
    intro = answer_onboarding(worker)
    task_form = worker.wait_for(lambda f: f["type"] == "form" and f["seq"] > intro["seq"])
    assert worker.wait_state("in_task")
    [item] = task_form["items"]
    assert item["item_id"] in TASK_ITEMS
    assert worker.answer(item["item_id"], good_answers(item))["type"] == "ack"
    worker.wait_state("done")
    h = runner.handler
    result = h.get_onboarding_data("A1")
    assert result["passed"] in (True, 1)
    assert result["answers"] == {
        "items": {item["item_id"]: {"answers": answers_to(item, RIGHT[item["item_id"]]), "correct": True}
                  for item in intro["items"]},
        "right": 2, "total": 2, "min_accuracy": 1.0}
    assert actions(h, "W1") == [] and h.get_blocks_for_worker("W1") == []
    # the onboarding answers are not form answers of the run: only the task item's is
    assert [r["item_id"] for r in h.get_form_answers(runner.run_id)] == [item["item_id"]]


def test_a_worker_wrong_on_an_onboarding_gold_is_soft_blocked_once_expired_and_refused_next_time(start, tmp_path):
    runner = start(str(onboarded_task(tmp_path)), num_conversations=2)
    worker = runner.join("W1", assignment_id="A1")
    answer_onboarding(worker, wrong=("intro-offtopic",))
    assert "did not qualify" in worker.wait_state("expired")["text"]
    h = runner.handler
    assert h.get_assignment_data("A1")["status"] == "expired"
    result = h.get_onboarding_data("A1")
    assert result["passed"] in (False, 0)
    assert (result["answers"]["right"], result["answers"]["total"]) == (1, 2)
    assert result["answers"]["items"]["intro-offtopic"]["correct"] is False
    assert actions(h, "W1") == [(ReviewAction.SOFT_BLOCK, ReviewOutcome.SUCCEEDED, "runner")]
    [block] = h.get_blocks_for_worker("W1")
    assert block["kind"] == "soft"
    assert h.get_qualification("parley_dialog_rating_block", False)["id"] == block["qualification_id"]
    assert h.get_form_answers(runner.run_id) == []  # no task item was claimed for them
    assert not [f for f in worker.frames if f["type"] == "form" and f["items"][0]["item_id"] in TASK_ITEMS]
    refused(runner, "W1", "A2", "You are not able to work on this task.")


def test_min_accuracy_lets_a_worker_pass_with_fewer_golds_right(start, tmp_path):
    runner = start(str(onboarded_task(tmp_path, min_accuracy=0.5)), num_conversations=2)
    worker = runner.join("W1", assignment_id="A1")
    answer_onboarding(worker, wrong=("intro-offtopic",))
    worker.wait_state("in_task")
    result = runner.handler.get_onboarding_data("A1")
    assert result["passed"] in (True, 1) and result["answers"]["right"] == 1
    assert runner.handler.get_blocks_for_worker("W1") == []


def test_an_invalid_onboarding_answer_gets_each_fields_sentence_and_nothing_is_stored(start, tmp_path):
    runner = start(str(onboarded_task(tmp_path)), num_conversations=2)
    worker = runner.join("W1", assignment_id="A1")
    item = onboarding_form(worker)["items"][0]
    bad = {**answers_to(item, "yes"), "summary": "short", "turns": ["good"]}
    error = worker.answer(item["item_id"], bad)
    assert error["type"] == "error" and error["error"] == ANSWERS_REFUSED_TEXT
    assert error["fields"] == {"summary": "Please write at least 10 characters (you wrote 5).",
                               "turns": "Please label each of the 2 turns."}
    assert onboarding_messages(runner, "A1") == []
    assert worker.answer(item["item_id"], answers_to(item, "yes"))["type"] == "ack"
    assert len(onboarding_messages(runner, "A1")) == 1


def test_an_acked_onboarding_answer_is_in_the_store_once_and_the_first_answers_are_kept(start, tmp_path):
    runner = start(str(onboarded_task(tmp_path)), num_conversations=2)
    worker = runner.join("W1", assignment_id="A1")
    item = onboarding_form(worker)["items"][0]
    assert worker.answer(item["item_id"], answers_to(item, "yes"), cid="o1") == {
        "type": "ack", "cid": "o1", "item_id": item["item_id"]}
    stored = {"onboarding_item": item["item_id"], "answers": answers_to(item, "yes"), "correct": True}
    assert onboarding_messages(runner, "A1") == [stored]
    [message] = runner.handler.get_messages(runner.run_id, "o_A1")
    assert (message["worker_id"], message["assignment_id"]) == ("W1", "A1")
    assert runner.handler.get_onboarding_data("A1") is None  # not finished: one item to go
    assert worker.answer(item["item_id"], answers_to(item, "yes"), cid="o1")["type"] == "ack"
    changed = worker.answer(item["item_id"], answers_to(item, "no"))
    assert changed["type"] == "error" and changed["error"] == ANSWERED_OTHERWISE_TEXT and "fields" not in changed
    assert onboarding_messages(runner, "A1") == [stored]


def test_during_onboarding_a_task_item_is_not_the_workers_to_answer(start, tmp_path):
    runner = start(str(onboarded_task(tmp_path)), num_conversations=2)
    worker = runner.join("W1", assignment_id="A1")
    onboarding_form(worker)
    error = worker.answer("weather", {"summary": "anything at all"})
    assert error["type"] == "error" and error["error"] == "This item is not one of yours."
    assert onboarding_messages(runner, "A1") == [] and runner.handler.get_form_answers(runner.run_id) == []


def test_each_assignment_of_a_worker_takes_the_onboarding_as_in_a_chat_task(start, tmp_path):
    runner = start(str(onboarded_task(tmp_path)), num_conversations=2)
    first = runner.join("W1", assignment_id="A1")
    answer_onboarding(first)
    item = first.wait_for(lambda f: f["type"] == "form" and f["items"][0]["item_id"] in TASK_ITEMS)["items"][0]
    first.answer(item["item_id"], good_answers(item))
    first.wait_state("done")
    first.send_frame({"type": "done"})
    first.wait_state("submitted")
    second = runner.join("W1", assignment_id="A2")
    assert [i["item_id"] for i in onboarding_form(second)["items"]] == ["intro-capital", "intro-offtopic"]
