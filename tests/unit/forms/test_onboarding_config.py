"""A form task's `onboarding` (a gold test before a worker's items) is checked when the task
loads: its items load as the task's do, each must have a gold, and every mistake is a
TaskError with a sentence."""
from __future__ import annotations

import json
import re

import pytest

from runner.tasks import TaskError, load_task
from tests.unit.forms.test_form_config import make_task
from tests.unit.forms.test_form_policy import COMPARED, PAIRS

TESTS = [{"id": "t1", "data": {"text": "great"}, "gold": {"rating": 5}},
         {"id": "t2", "data": {"text": "awful"}, "gold": {"rating": 1}}]


def test_a_form_task_with_onboarding_items_has_onboarding_and_a_bar_of_one_by_default(tmp_path):
    task = load_task(make_task(tmp_path, onboarding={"items": TESTS}))
    assert task.has_onboarding
    test = task.form.onboarding
    assert [item["item_id"] for item in test.items] == ["t1", "t2"]
    assert test.items[0]["gold"] == {"rating": 5} and test.min_accuracy == 1.0
    assert [test.passes(right) for right in (0, 1, 2)] == [False, False, True]
    # the task's own items are untouched: the onboarding ones are never claimed as task items
    assert [item["item_id"] for item in task.form.items] == ["a", "b", "g"]


def test_onboarding_items_may_come_from_a_jsonl_file_of_the_task_and_min_accuracy_sets_the_bar(tmp_path):
    lines = "".join(json.dumps(item) + "\n" for item in TESTS)
    task = load_task(make_task(tmp_path, files={"intro.jsonl": lines},
                               onboarding={"items": "intro.jsonl", "min_accuracy": 0.5}))
    test = task.form.onboarding
    assert [item["item_id"] for item in test.items] == ["t1", "t2"]
    assert [test.passes(right) for right in (0, 1, 2)] == [False, True, True]


def test_a_form_task_without_onboarding_has_none(tmp_path):
    task = load_task(make_task(tmp_path))
    assert not task.has_onboarding and task.form.onboarding is None


@pytest.mark.parametrize("onboarding, message", [
    (TESTS, 'onboarding must be {"items": gold items, "min_accuracy": a fraction (optional)}'),
    ({"min_accuracy": 0.5}, 'onboarding must be {"items": gold items'),
    ({"items": TESTS, "pass_mark": 1}, 'onboarding must be {"items": gold items'),
    ({"items": "missing.jsonl"}, "onboarding items: there is no file missing.jsonl in the task folder"),
    ({"items": None}, "onboarding items must name a JSONL file"),
    ({"items": []}, "onboarding items holds no item"),
    ({"items": [TESTS[0], {"id": "t2", "data": {"text": "x"}}]},
     "onboarding item 't2' has no gold: every onboarding item needs known answers"),
    ({"items": [{"id": "t1", "data": {}, "gold": {"rating": 9}}]},
     "onboarding item 't1': the gold answer of 'rating' is not one a worker could give"),
    ({"items": [{"id": "t1", "data": {}, "gold": {"colour": "red"}}]},
     "onboarding item 't1': gold names colour, not a field"),
    ({"items": [TESTS[0], TESTS[0]]}, "the onboarding item id 't1' is used twice"),
    ({"items": [{"id": "a", "data": {}, "gold": {"rating": 2}}]},
     "onboarding item 'a' has the id of a task item; give it another"),
    ({"items": TESTS, "min_accuracy": 0}, "onboarding: min_accuracy must be a fraction above 0 and at most 1"),
    ({"items": TESTS, "min_accuracy": 1.5}, "onboarding: min_accuracy must be a fraction above 0"),
    ({"items": TESTS, "min_accuracy": True}, "onboarding: min_accuracy must be a fraction above 0"),
])
def test_a_bad_onboarding_is_refused_with_a_sentence(tmp_path, onboarding, message):
    with pytest.raises(TaskError, match=re.escape(message)):
        load_task(make_task(tmp_path, onboarding=onboarding))


def test_an_onboarding_items_function_that_fails_is_named(tmp_path):
    folder = make_task(tmp_path)
    with open(folder / "task_config.py", "a", encoding="utf-8") as source:
        source.write("task_config['onboarding'] = {'items': lambda: 1 / 0}\n")
    with pytest.raises(TaskError, match="the onboarding items function failed: ZeroDivisionError"):
        load_task(folder)


def test_a_template_that_fails_on_an_onboarding_item_fails_at_load(tmp_path):
    folder = make_task(tmp_path, template="t.html", files={"t.html": "{{ item.text.upper() }}"},
                       onboarding={"items": [{"id": "t1", "data": {"text": 3}, "gold": {"rating": 5}}]})
    with pytest.raises(TaskError, match="the template fails on item 't1'"):
        load_task(folder)


def test_a_chat_task_may_not_carry_a_form_onboarding(tmp_path):
    folder = tmp_path / "chat"
    folder.mkdir()
    (folder / "task_config.py").write_text(f"task_config = {{'onboarding': {{'items': {TESTS!r}}}}}\n")
    with pytest.raises(TaskError, match=r'onboarding is for form tasks \("kind": "form"\)'):
        load_task(folder)


def test_in_a_compared_form_each_onboarding_item_must_name_the_model_of_each_side(tmp_path):
    folder = make_task(tmp_path, rows=PAIRS, **COMPARED, onboarding={
        "items": [{"id": "t1", "data": {"a": {"model": "bot A"}, "b": {}}, "gold": {"winner": "a"}}]})
    with pytest.raises(TaskError, match=re.escape("item 't1': data['b'] must be an object naming its model")):
        load_task(folder)
