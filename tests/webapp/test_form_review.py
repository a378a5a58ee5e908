"""The review pages of a form run: each item of an assignment as its worker saw it (the
task's own template, or the item's data when the task cannot be loaded), the worker's
answers by field label, golds marked right or wrong, all escaped; the JSON twin holds the
same as data; and the review actions work on form assignments as on any other."""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass

import pytest

from tests.integration.test_message_authenticity import signals
from tests.support.builders import completed_conversation
from tests.support.form_tasks import dialog_rating_copy, good_answers
from tests.support.live_runner import LiveRunner

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
HOSTILE_ITEM = {"id": "hostile", "data": {"topic": SCRIPT, "dialog": [
    {"speaker": "User", "text": IMG}, {"speaker": "Assistant", "text": "Fine, thanks."}]}}


@dataclass
class FormRun:
    run_id: str
    task_dir: str
    conversations: dict[str, str]
    """worker id -> their conversation id."""
    assignments: dict[str, str]
    """worker id -> their assignment id."""
    shown: dict[str, list[str]]
    """worker id -> the item ids their page showed, in its order."""


@pytest.fixture
def form_run(store_url, tmp_path):
    """A finished form run: W1 answered a hostile item (markup in its data, and in their
    answers) and got the gold wrong, their page sending no record of how they wrote; W2
    answered another item and got the gold right, typing their summaries."""
    task = dialog_rating_copy(tmp_path, item_ids=["weather", "gold-capital"], items_per_assignment=2,
                              annotations_per_item=1, gold_rate=0.5)
    with open(task / "items.jsonl", "r+", encoding="utf-8") as items:
        lines = items.read()
        items.seek(0)
        items.write(json.dumps(HOSTILE_ITEM) + "\n" + lines)
    runner = LiveRunner(store_url, str(task), num_conversations=2)
    shown = {}
    try:
        for worker_id, on_topic in (("W1", "no"), ("W2", "yes")):
            worker = runner.join(worker_id)
            items = worker.wait_for(lambda f: f["type"] == "form")["items"]
            shown[worker_id] = [item["item_id"] for item in items]
            for item in items:
                answers = {**good_answers(item), "on_topic": on_topic}
                if item["item_id"] == "hostile":
                    answers.update(summary=SCRIPT, comments=IMG)
                typed = {"summary": signals(answers["summary"])} if worker_id == "W2" else None
                assert worker.answer(item["item_id"], answers, signals=typed)["type"] == "ack"
            worker.wait_state("done")
            worker.send_frame({"type": "done"})
            worker.wait_state("submitted")
        assert runner.manager.wait(15)
    finally:
        runner.stop()
    pairings = runner.handler.get_pairings_for_run(runner.run_id)
    return FormRun(runner.run_id, str(task), {p["worker_id"]: p["conversation_id"] for p in pairings},
                   {p["worker_id"]: p["assignment_id"] for p in pairings}, shown)


def page_of(client, run: FormRun, worker_id: str, twin: bool = False):
    path = f"/runs/{run.run_id}/conversations/{run.conversations[worker_id]}" + (".json" if twin else "")
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json() if twin else response.get_data(as_text=True)


def item_html(html: str, item_id: str) -> str:
    """The part of a review page that shows one item and its answers."""
    start = html.find(f'data-item-id="{item_id}"')
    assert start >= 0, f"no item {item_id} on the page"
    ends = [i for i in (html.find('<li class="form-item', start), html.find("</section>", start)) if i >= 0]
    return html[start:min(ends)]


def test_each_item_is_shown_with_the_tasks_template_and_the_answers_by_field_label(client, form_run):
    html = page_of(client, form_run, "W2")
    assert re.findall(r'data-item-id="([^"]+)"', html) == form_run.shown["W2"]
    assert sorted(form_run.shown["W2"]) == ["gold-capital", "weather"]
    weather = item_html(html, "weather")
    assert 'class="parley-item__turn"' in weather and "Will it rain in Paris tomorrow?" in weather
    assert "How good was the assistant overall?" in weather and "4 · Good" in weather
    assert "Did the assistant answer what the user asked?" in weather
    assert re.search(r'data-field="problems"><ol class="form-item__list"><li>Unclear</li></ol>', weather)
    assert re.search(r'data-field="turns"><ol class="form-item__list">(<li>Good</li>){3}</ol>', weather)
    assert re.search(r'data-field="comments"><span class="muted">—</span>', weather)  # left empty
    assert "data-gold" not in weather and "No messages." not in html


def test_each_free_text_answer_is_badged_as_a_chat_message_is(client, form_run):
    typed = item_html(page_of(client, form_run, "W2"), "weather")
    assert re.search(r'data-field="summary">.*?data-flag="typed"', typed)
    assert "data-flag=\"no_signals\"" not in typed
    unrecorded = item_html(page_of(client, form_run, "W1"), "hostile")
    assert re.search(r'data-field="summary">.*?data-flag="no_signals" title="[^"]*">no composition record<', unrecorded)
    assert re.search(r'data-field="comments">.*?data-flag="no_signals"', unrecorded)
    assert not re.search(r'data-field="overall">[^<]*<[^>]*>[^<]*<span class="badges"', unrecorded)
    [worker] = page_of(client, form_run, "W1", twin=True)["conversation"]["workers"]
    hostile = next(item for item in worker["form"]["items"] if item["item_id"] == "hostile")
    summary = next(f for f in hostile["shown"] if f["name"] == "summary")
    assert [b["flag"] for b in summary["badges"]] == ["no_signals"]


def test_a_gold_is_marked_right_or_wrong_with_the_known_answer_beside_the_one_given(client, form_run):
    wrong = item_html(page_of(client, form_run, "W1"), "gold-capital")
    assert 'data-gold="wrong"' in wrong and "gold: wrong" in wrong
    assert re.search(r'data-field="on_topic"><span class="text">No</span> <span class="form-item__expected '
                     r'form-item__expected--wrong">wrong: expected <span class="text">Yes</span>', wrong)
    right = item_html(page_of(client, form_run, "W2"), "gold-capital")
    assert 'data-gold="right"' in right and "right: expected" in right


def test_markup_in_items_and_answers_is_shown_as_text(client, form_run):
    html = page_of(client, form_run, "W1")
    hostile = item_html(html, "hostile")
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    assert not re.search(r"<[a-z]+[^>]* on[a-z]+=", html)  # no tag carries an event handler
    assert hostile.count("&lt;script&gt;window.__pwned=1&lt;/script&gt;") == 2  # the item's topic, the summary
    assert hostile.count("&lt;img src=x onerror=") == 2  # a turn of the dialog, the comments


def test_the_twin_holds_the_items_answers_and_fields_as_data(client, form_run):
    conversation = page_of(client, form_run, "W1", twin=True)["conversation"]
    [worker] = conversation["workers"]
    form = worker["form"]
    assert [f["name"] for f in form["fields"]] == [
        "turns", "overall", "on_topic", "problems", "engaging", "summary", "comments"]
    items = {item["item_id"]: item for item in form["items"]}
    assert set(items) == {"hostile", "gold-capital"}
    hostile, gold = items["hostile"], items["gold-capital"]
    assert hostile["data"] == HOSTILE_ITEM["data"] and hostile["state"] == "answered"
    assert hostile["answers"] == {**good_answers({"data": HOSTILE_ITEM["data"]}), "on_topic": "no",
                                  "summary": SCRIPT, "comments": IMG}
    assert (hostile["is_gold"], hostile["gold"], hostile["gold_correct"]) == (False, None, None)
    assert "&lt;script&gt;" in hostile["html"] and SCRIPT not in hostile["html"]
    assert (gold["is_gold"], gold["gold"], gold["gold_correct"]) == (True, {"on_topic": "yes"}, False)
    on_topic = next(f for f in gold["shown"] if f["name"] == "on_topic")
    assert on_topic == {"name": "on_topic", "label": "Did the assistant answer what the user asked?",
                        "value": "No", "expected": "Yes", "right": False, "badges": []}


def test_without_the_task_folder_the_items_data_is_shown_escaped_and_answers_by_field_name(client, form_run):
    shutil.rmtree(form_run.task_dir)
    html = page_of(client, form_run, "W1")
    hostile = item_html(html, "hostile")
    assert "parley-item__turn" not in hostile and '<dl class="fields">' in hostile
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in hostile and "<script>window" not in html
    assert "<dt>summary</dt>" in hostile and "Did the assistant" not in hostile
    form = page_of(client, form_run, "W1", twin=True)["conversation"]["workers"][0]["form"]
    assert sorted((f["name"], f["label"]) for f in form["fields"]) == [
        (name, name) for name in sorted(("turns", "overall", "on_topic", "problems", "engaging", "summary",
                                         "comments"))]
    assert {item["html"] for item in form["items"]} == {None}


def test_an_edited_template_is_used_on_the_next_page(client, form_run, tmp_path):
    assert "parley-item__turn" in item_html(page_of(client, form_run, "W2"), "weather")
    with open(f"{form_run.task_dir}/task_config.py", "a", encoding="utf-8") as config:
        config.write('\ntask_config["template"] = "item.html"\n')
    with open(f"{form_run.task_dir}/item.html", "w", encoding="utf-8") as template:
        template.write('<p class="edited">{{ item.topic }} ({{ item_id }})</p>')
    weather = item_html(page_of(client, form_run, "W2"), "weather")
    assert '<p class="edited">Asking about the weather (weather)</p>' in weather


def test_the_review_queue_shows_the_answers_too(client, form_run):
    html = client.get(f"/runs/{form_run.run_id}/queue?worker=W1").get_data(as_text=True)
    hostile = item_html(html, "hostile")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in hostile and "4 · Good" in hostile
    assert "<script>window" not in html


def post(client, path, **body):
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf})


def test_approve_reject_bonus_and_blocks_work_on_form_assignments(client, handler, form_run):
    a1, a2 = form_run.assignments["W1"], form_run.assignments["W2"]
    assert post(client, f"/assignments/{a2}/approve").status_code == 200
    assert post(client, f"/assignments/{a2}/bonus", amount="0.30", reason="Careful labels").status_code == 200
    assert post(client, f"/assignments/{a1}/reject", reason="The gold dialog was on topic.").status_code == 200
    assert post(client, f"/assignments/{a1}/soft_block", reason="Missed the gold").status_code == 200
    assert post(client, f"/assignments/{a1}/hard_block", reason="Missed the gold").status_code == 200
    assert (handler.get_assignment_data(a1)["status"], handler.get_assignment_data(a2)["status"]) == (
        "rejected", "approved")
    assert handler.get_worker_assignment_pairing("W2", a2)["bonus_paid"]
    assert [a["action"] for a in handler.get_review_actions(assignment_id=a1)] == ["reject"]
    assert sorted(b["kind"] for b in handler.get_blocks_for_worker("W1")) == ["hard", "soft"]
    assert handler.get_qualification("parley_dialog_rating_block", False) is not None
    html = page_of(client, form_run, "W1")
    assert "The gold dialog was on topic." in html and 'data-gold="wrong"' in html


def test_an_item_left_unanswered_by_a_worker_who_returned_is_shown_as_given_back(client, store_url, tmp_path):
    task = dialog_rating_copy(tmp_path, item_ids=["weather", "recipe"], items_per_assignment=2,
                              annotations_per_item=1, gold_rate=0)
    runner = LiveRunner(store_url, str(task), num_conversations=2)
    try:
        worker = runner.join("W1")
        answered, left = worker.wait_for(lambda f: f["type"] == "form")["items"]
        assert worker.answer(answered["item_id"], good_answers(answered))["type"] == "ack"
        worker.send_frame({"type": "return"})
        worker.wait_state("returned")
    finally:
        runner.stop()
    [pairing] = runner.handler.get_pairings_for_run(runner.run_id)
    html = client.get(f"/runs/{runner.run_id}/conversations/{pairing['conversation_id']}").get_data(as_text=True)
    assert "The assistant answered the question well." in item_html(html, answered["item_id"])
    unanswered = item_html(html, left["item_id"])
    assert "not answered: given back when the assignment ended" in unanswered
    assert "form-item__answers" not in unanswered and "parley-item__turn" in unanswered


def test_a_chat_conversation_has_no_form(client, handler):
    built = completed_conversation(handler, provider="local")
    conversation = client.get(f"/runs/{built.run_id}/conversations/{built.conversation_id}.json").get_json()
    assert [w["form"] for w in conversation["conversation"]["workers"]] == [None, None]
    html = client.get(f"/runs/{built.run_id}/conversations/{built.conversation_id}").get_data(as_text=True)
    assert "form-item" not in html and "Asker says 0" in html
