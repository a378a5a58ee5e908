"""A form task end to end over real websockets: the form frame, answers checked field by
field before anything is stored, store-then-ack, replay after a reconnect, claims given back
when a worker leaves, and a run that ends once every item has its N answers."""
from __future__ import annotations

import pytest

from runner.forms.world import ANSWERS_REFUSED_TEXT
from runner.manager import FORM_DONE_TEXT
from tests.support.form_tasks import dialog_rating_copy, good_answers
from tests.support.live_runner import running


@pytest.fixture
def runner(store_url):
    with running(store_url, "dialog_rating", 16) as live:
        yield live


def form_of(worker):
    return worker.wait_for(lambda f: f["type"] == "form")


def test_a_worker_gets_two_items_one_of_them_a_gold_with_the_fields_and_the_page_knows_it_is_a_form(runner):
    worker = runner.join("W1")
    assert worker.config["kind"] == "form"
    form = form_of(worker)
    ids = [item["item_id"] for item in form["items"]]
    assert len(ids) == 2 and sum(i.startswith("gold-") for i in ids) == 1
    assert [f["name"] for f in form["fields"]] == [
        "turns", "overall", "on_topic", "problems", "engaging", "summary", "comments"]
    assert form["answered"] == []
    item = form["items"][0]
    assert 'class="parley-item__turn"' in item["html"] and "dialog" in item["data"]
    assert "gold" not in item


def test_a_bad_answer_gets_each_fields_sentence_and_nothing_is_stored(runner):
    worker = runner.join("W1")
    item = form_of(worker)["items"][0]
    bad = {**good_answers(item), "summary": "short", "overall": 9, "turns": ["good"]}
    del bad["on_topic"]
    error = worker.answer(item["item_id"], bad)
    assert error["type"] == "error" and error["error"] == ANSWERS_REFUSED_TEXT
    assert error["fields"] == {
        "summary": "Please write at least 10 characters (you wrote 5).",
        "overall": "Please choose a point of the scale, 1 to 5.",
        "on_topic": "This answer is required.",
        "turns": f"Please label each of the {len(item['data']['dialog'])} turns."}
    assert runner.handler.get_form_answers(runner.run_id) == []


def test_a_good_answer_is_acked_only_once_stored_and_the_same_answer_again_is_acked_once_more(runner):
    worker = runner.join("W1")
    item = form_of(worker)["items"][0]
    ack = worker.answer(item["item_id"], good_answers(item), cid="a1")
    assert ack == {"type": "ack", "cid": "a1", "item_id": item["item_id"]}
    stored = runner.handler.get_form_answers(runner.run_id)
    assert [(r["item_id"], r["worker_id"], r["answers"]) for r in stored] == [
        (item["item_id"], "W1", good_answers(item))]
    assert worker.answer(item["item_id"], good_answers(item), cid="a1")["type"] == "ack"
    changed = worker.answer(item["item_id"], {**good_answers(item), "overall": 1})
    assert changed["type"] == "error" and "fields" not in changed
    assert len(runner.handler.get_form_answers(runner.run_id)) == 1


def test_an_item_that_is_not_the_workers_is_refused(runner):
    worker = runner.join("W1")
    form_of(worker)
    error = worker.answer("not-mine", {"summary": "anything at all"})
    assert error["type"] == "error" and error["error"] == "This item is not one of yours."


def test_a_reloaded_page_gets_the_form_again_with_what_is_answered(runner):
    worker = runner.join("W1")
    item = form_of(worker)["items"][0]
    worker.answer(item["item_id"], good_answers(item))
    worker.close()
    worker.frames.clear()
    worker.connect(last_seq=0)
    assert form_of(worker)["answered"] == [item["item_id"]]


def test_once_every_item_is_answered_the_worker_submits(runner):
    worker = runner.join("W1")
    for item in form_of(worker)["items"]:
        assert worker.answer(item["item_id"], good_answers(item))["type"] == "ack"
    assert worker.wait_state("done")["text"] == FORM_DONE_TEXT
    worker.send_frame({"type": "done"})
    worker.wait_state("submitted")
    golds = [r for r in runner.handler.get_form_answers(runner.run_id) if r["is_gold"]]
    assert len(golds) == 1 and golds[0]["gold_correct"] == (golds[0]["item_id"] == "gold-capital")


def test_a_worker_who_leaves_gives_back_their_items_to_the_next_worker(store_url, tmp_path):
    task = dialog_rating_copy(tmp_path, item_ids=["weather", "recipe"], items_per_assignment=1,
                              annotations_per_item=1, gold_rate=0)
    with running(store_url, task, 3) as runner:
        first = runner.join("W1")
        left_behind = form_of(first)["items"][0]["item_id"]
        first.send_frame({"type": "return"})
        first.wait_state("returned")
        second = runner.join("W2")
        assert form_of(second)["items"][0]["item_id"] == left_behind


def test_a_form_run_ends_once_every_item_has_its_answers_whatever_its_target(store_url, tmp_path):
    task = dialog_rating_copy(tmp_path, item_ids=["weather", "recipe"], items_per_assignment=2,
                              annotations_per_item=1, gold_rate=0)
    with running(store_url, task, 5) as runner:
        worker = runner.join("W1")
        for item in form_of(worker)["items"]:
            worker.answer(item["item_id"], good_answers(item))
        worker.wait_state("done")
        worker.send_frame({"type": "done"})
        worker.wait_state("submitted")
        assert runner.manager.wait(15)
        assert runner.handler.get_run_data(runner.run_id)["status"] == "completed"
        assert runner.manager.progress()["completed"] == 1


def test_a_worker_with_nothing_left_to_answer_is_told_so(store_url, tmp_path):
    task = dialog_rating_copy(tmp_path, item_ids=["weather"], annotations_per_item=1, gold_rate=0)
    with running(store_url, task, 3) as runner:
        first = runner.join("W1")
        form_of(first)
        second = runner.join("W2")
        assert "no more items for you" in second.wait_state("done")["text"]


def test_the_parlai_style_reader_of_a_workers_view_holds_their_answers(runner):
    """get_conversation_data(run, conversation, worker, is_sandbox)['data'] gains form_answers
    for a form task's worker (an analysis script reading ParlAI's shape finds them there)."""
    worker = runner.join("W1")
    items = form_of(worker)["items"]
    for item in items:
        assert worker.answer(item["item_id"], good_answers(item))["type"] == "ack"
    worker.wait_state("done")
    h = runner.handler
    [pairing] = h.get_pairings_for_run(runner.run_id)
    view = h.get_conversation_data(runner.run_id, pairing["conversation_id"], "W1", False)["data"]
    assert [a["item_id"] for a in view["form_answers"]] == [i["item_id"] for i in items]
    assert view["form_answers"] == [dict(a) for a in h.get_form_answers(runner.run_id, worker_id="W1")]
    assert view["messages"] == []


def test_a_chat_workers_view_has_no_form_answers(start):
    runner = start(num_conversations=1)
    alice, bob = runner.join("W1"), runner.join("W2")
    alice.wait_state("in_task")
    [pairing, _] = runner.handler.get_pairings_for_run(runner.run_id)
    view = runner.handler.get_conversation_data(runner.run_id, pairing["conversation_id"], pairing["worker_id"],
                                                False)
    assert "form_answers" not in view["data"]
    bob.close()
