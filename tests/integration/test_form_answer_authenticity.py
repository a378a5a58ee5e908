"""How a worker composed a form's free-text answers, over the real websocket: the signals the
page sends for each text field are checked as a chat message's are and stored with the
answers, with what the checks found, field by field; signals for a field that is not free text
or not signals at all are refused, and a task that refuses pasting refuses pasted answers."""
from __future__ import annotations

import pytest

from tests.integration.test_message_authenticity import REFUSED_TEXT, signals
from tests.support.form_tasks import dialog_rating_copy, good_answers
from tests.support.live_runner import running

SUMMARY = "The assistant answered the question well."


@pytest.fixture
def runner(store_url):
    with running(store_url, "dialog_rating", 16) as live:
        yield live


def first_item(runner, worker_id: str = "W1"):
    worker = runner.join(worker_id)
    return worker, worker.wait_for(lambda f: f["type"] == "form")["items"][0]


def stored_answer(runner) -> dict:
    [row] = runner.handler.get_form_answers(runner.run_id)
    return row.as_dict()


def test_a_typed_free_text_answer_is_stored_with_its_signals_and_no_flags(runner):
    worker, item = first_item(runner)
    typed = {"summary": signals(SUMMARY)}
    assert worker.answer(item["item_id"], good_answers(item), signals=typed)["type"] == "ack"
    row = stored_answer(runner)
    assert (row["signals"], row["flags"]) == (typed, [])


def test_a_pasted_answer_and_one_sent_without_signals_are_flagged_field_by_field(runner):
    worker, item = first_item(runner)
    answers = {**good_answers(item), "comments": "Nothing else to add, thank you."}
    pasted = {"summary": signals(SUMMARY, keys=0, pasted_count=1, pasted_chars=len(SUMMARY))}
    assert worker.answer(item["item_id"], answers, signals=pasted)["type"] == "ack"
    row = stored_answer(runner)
    assert row["signals"] == pasted
    assert [(f["field"], f["flag"], f["detail"]) for f in row["flags"]] == [
        ("summary", "pasted", {"count": 1, "chars": len(SUMMARY)}), ("comments", "no_signals", {})]


def test_signals_for_a_field_that_is_not_free_text_are_refused(runner):
    worker, item = first_item(runner)
    answer = worker.answer(item["item_id"], good_answers(item), signals={"overall": signals("4")})
    assert answer["type"] == "error"
    assert answer["error"] == "Signals are kept for free-text answers only, not for overall."
    assert runner.handler.get_form_answers(runner.run_id) == []


@pytest.mark.parametrize(("sent", "error"), [
    ([signals(SUMMARY)], "an answer's signals must be an object of field name -> signals"),
    ({"summary": {"keys": 3}}, "signals.summary lacks compose_ms, chars, pasted_count"),
    ({"summary": signals(SUMMARY, keys=-1)}, "signals.summary.keys must be a whole number from 0 to"),
])
def test_an_answer_frame_whose_signals_are_not_signals_gets_an_error_and_changes_nothing(runner, sent, error):
    worker, item = first_item(runner)
    worker.send_frame({"type": "answer", "cid": "a1", "item_id": item["item_id"], "answers": good_answers(item),
                       "signals": sent})
    assert error in worker.wait_for(lambda f: f["type"] == "error")["error"]
    assert runner.handler.get_form_answers(runner.run_id) == []


def test_a_task_that_refuses_pasting_refuses_a_pasted_answer_in_its_words_and_stores_nothing(store_url, tmp_path):
    task = dialog_rating_copy(tmp_path, paste_policy="refuse", paste_refused_text=REFUSED_TEXT)
    with running(store_url, str(task), 16) as runner:
        worker, item = first_item(runner)
        pasted = {"summary": signals(SUMMARY, keys=0, pasted_count=1, pasted_chars=len(SUMMARY))}
        answer = worker.answer(item["item_id"], good_answers(item), signals=pasted)
        assert answer["type"] == "error" and answer["error"] == REFUSED_TEXT
        assert runner.handler.get_form_answers(runner.run_id) == []
        typed = {"summary": signals(SUMMARY)}
        assert worker.answer(item["item_id"], good_answers(item), signals=typed)["type"] == "ack"
        assert stored_answer(runner)["flags"] == []


def test_the_store_refuses_answer_flags_it_could_not_keep(runner):
    worker, item = first_item(runner)
    from datastore import InvalidValue

    with pytest.raises(InvalidValue, match="an answer's flag is a dict of field, flag and detail"):
        runner.handler.log_form_answer(runner.run_id, worker.config["assignment_id"], "W1", item["item_id"],
                                       good_answers(item), flags=[("summary", "pasted")])
    assert runner.handler.get_form_answers(runner.run_id) == []
