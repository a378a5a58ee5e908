"""A form task's config and items are checked when the task loads: each mistake is a
TaskError with a sentence, and a good config loads with its fields normalised."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.tasks import TaskError, available_tasks, load_task

FIELD = {"name": "rating", "type": "likert", "label": "How good?"}
ITEMS = [{"id": "a", "data": {"text": "one"}}, {"id": "b", "data": {"text": "two"}},
         {"id": "g", "data": {"text": "gold"}, "gold": {"rating": 5}}]


def make_task(tmp_path: Path, rows: Any = ITEMS, files: dict[str, str] | None = None, **config: Any) -> Path:
    folder = tmp_path / "formtask"
    folder.mkdir()
    (folder / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in rows), encoding="utf-8")
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    full = {"kind": "form", "fields": [FIELD], "items": "items.jsonl", **config}
    (folder / "task_config.py").write_text(f"task_config = {full!r}\n", encoding="utf-8")
    return folder


def test_a_form_task_loads_without_worlds_py_and_is_listed(tmp_path):
    task = load_task(make_task(tmp_path, items_per_assignment=2, annotations_per_item=3, gold_rate=0.5))
    assert task.is_form and task.worlds is None and not task.has_onboarding
    assert task.form.items[0] == {"item_id": "a", "data": {"text": "one"}, "gold": None}
    assert task.form.items[2]["gold"] == {"rating": 5}
    assert task.config["fields"] == [{**FIELD, "required": True, "scale": 5}]
    # 2 ordinary items x 3 answers, 1 of each assignment's 2 items a gold: 6 assignments
    assert task.form.conversations_needed() == 6
    assert available_tasks(tmp_path) == ["formtask"]


def test_items_without_ids_are_numbered_by_line_and_may_come_from_a_function(tmp_path):
    folder = make_task(tmp_path, rows=[{"data": {"text": "x"}}, {"data": {"text": "y"}}])
    assert [i["item_id"] for i in load_task(folder).form.items] == ["item-1", "item-2"]
    (folder / "task_config.py").write_text(
        "task_config = {'kind': 'form', 'fields': [{'name': 'r', 'type': 'likert', 'label': 'R'}],\n"
        "               'items': lambda: ({'id': str(n), 'data': {'n': str(n)}} for n in range(3))}\n")
    assert [i["item_id"] for i in load_task(folder).form.items] == ["0", "1", "2"]


def test_the_built_in_template_escapes_item_text_and_shows_a_dialog_as_turns(tmp_path):
    items = [{"id": "x", "data": {"text": "<script>alert(1)</script>",
                                  "dialog": [{"speaker": "A", "text": "hi & bye"}, "plain"]}}]
    html = (form := load_task(make_task(tmp_path, rows=items)).form).render("x", form.items[0]["data"])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count('class="parley-item__turn"') == 2 and "hi &amp; bye" in html


def test_a_task_template_renders_in_a_sandbox(tmp_path):
    folder = make_task(tmp_path, template="item.html",
                       files={"item.html": "<b>{{ item_id }}</b>: {{ item.text }}"})
    form = load_task(folder).form
    assert form.render("a", {"text": "<i>"}) == "<b>a</b>: &lt;i&gt;"


def test_a_template_that_reaches_into_python_fails_at_load_naming_the_item(tmp_path):
    folder = make_task(tmp_path, template="t.html", files={"t.html": "{{ item.update.__globals__ }}"})
    with pytest.raises(TaskError, match="the template fails on item 'a'"):
        load_task(folder)


@pytest.mark.parametrize("config, message", [
    ({"kind": "survey"}, "kind must be one of chat, form"),
    ({"fields": []}, "fields must be a non-empty list"),
    ({"fields": [{**FIELD, "name": "not valid"}]}, "field 1: the name must be an identifier"),
    ({"fields": [FIELD, FIELD]}, "field 'rating' is named twice"),
    ({"fields": [{**FIELD, "type": "colour"}]}, "the type must be one of text, long_text"),
    ({"fields": [{**FIELD, "options": ["a"]}]}, "a likert field takes no options"),
    ({"fields": [{**FIELD, "label": " "}]}, "the label must be text"),
    ({"fields": [{**FIELD, "required": "yes"}]}, "required must be True or False"),
    ({"fields": [{**FIELD, "scale": 4}]}, "scale must be 5 or 7"),
    ({"fields": [{**FIELD, "labels": ["a", "b"]}]}, "labels must be a list of 5 texts"),
    ({"fields": [{"name": "t", "type": "text", "label": "T", "min_length": 5, "max_length": 2}]},
     "min_length must be at most max_length"),
    ({"fields": [{"name": "t", "type": "long_text", "label": "T", "max_length": -1}]},
     "max_length must be a whole number"),
    ({"fields": [{"name": "c", "type": "single_choice", "label": "C"}]}, "options must be a non-empty list"),
    ({"fields": [{"name": "c", "type": "single_choice", "label": "C", "options": ["a", "a"]}]},
     "two options have the same value"),
    ({"fields": [{"name": "c", "type": "single_choice", "label": "C", "options": [{"value": "a"}]}]},
     "each option must be a text or"),
    ({"fields": [{"name": "m", "type": "multiple_choice", "label": "M", "options": ["a"], "max_choices": 2}]},
     "min_choices and max_choices must be"),
    ({"fields": [{"name": "s", "type": "slider", "label": "S", "max": 1}]}, "a slider needs min"),
    ({"fields": [{"name": "s", "type": "slider", "label": "S", "min": 1, "max": 1}]}, "min must be less than max"),
    ({"fields": [{"name": "s", "type": "slider", "label": "S", "min": 0, "max": 1, "step": 0}]},
     "step must be more than 0"),
    ({"fields": [{"name": "l", "type": "turn_labels", "label": "L", "options": ["a"]}]},
     "the field 'l' labels the turns of data['dialog'], which must be a list"),
    ({"items_per_assignment": 0}, "items_per_assignment must be a whole number, 1 or more"),
    ({"annotations_per_item": "2"}, "annotations_per_item must be a whole number, 1 or more"),
    ({"gold_rate": 1.5}, "gold_rate must be a fraction from 0 to 1"),
    ({"template": "missing.html"}, "template must name a file in the task folder"),
    ({"template": "../task_config.py"}, "template must name a file in the task folder"),
    ({"items": "nope.jsonl"}, "items: there is no file nope.jsonl in the task folder"),
    ({"items": None}, "items must name a JSONL file"),
    ({"agent_ids": ["A", "B"]}, "a form task has one worker per assignment"),
])
def test_a_bad_form_config_is_refused_with_a_sentence(tmp_path, config, message):
    with pytest.raises(TaskError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_task(make_task(tmp_path, **config))


@pytest.mark.parametrize("items, message", [
    ([], "items holds no item"),
    ([{"id": "a", "data": {}}, {"id": "a", "data": {}}], "the item id 'a' is used twice"),
    ([{"id": "", "data": {}}], "item 1: the id must be text of 1 to 64 characters"),
    ([{"id": "a", "data": "text"}], "item 'a': data must be an object"),
    ([{"id": "a", "data": {}, "extra": 1}], "item 1 must be an object with data"),
    ([{"id": "a", "data": {}}, {"id": "g", "data": {}, "gold": {"other": 1}}],
     "item 'g': gold names other, not a field"),
    ([{"id": "a", "data": {}}, {"id": "g", "data": {}, "gold": {"rating": 9}}],
     "item 'g': the gold answer of 'rating' is not one a worker could give"),
    ([{"id": "g", "data": {}, "gold": {"rating": 1}}], "every item is a gold item"),
])
def test_bad_items_are_refused_with_a_sentence(tmp_path, items, message):
    with pytest.raises(TaskError, match=message):
        load_task(make_task(tmp_path, rows=items))


def test_a_line_that_is_not_json_is_named(tmp_path):
    folder = make_task(tmp_path)
    (folder / "items.jsonl").write_text('{"data": {}}\n\n{nope\n', encoding="utf-8")
    with pytest.raises(TaskError, match="items.jsonl line 3 is not JSON"):
        load_task(folder)


def test_a_chat_task_may_not_carry_form_keys_and_still_needs_its_worlds(tmp_path):
    folder = tmp_path / "chat"
    folder.mkdir()
    (folder / "task_config.py").write_text("task_config = {'fields': []}\n")
    with pytest.raises(TaskError, match=r'fields is for form tasks \("kind": "form"\)'):
        load_task(folder)
    (folder / "task_config.py").write_text("task_config = {}\n")
    with pytest.raises(TaskError, match="has no worlds.py"):
        load_task(folder)


def test_a_form_task_with_a_worlds_py_is_refused(tmp_path):
    folder = make_task(tmp_path)
    (folder / "worlds.py").write_text("")
    with pytest.raises(TaskError, match="runs the built-in form world, so it has no worlds.py"):
        load_task(folder)
