"""validate_answers: the server's check of a worker's answers, field type by field type."""
from __future__ import annotations

import pytest

from runner.forms import REQUIRED_TEXT, validate_answers
from runner.forms.fields import check_fields

FIELDS = check_fields([
    {"name": "summary", "type": "text", "label": "Summary", "min_length": 3, "max_length": 10},
    {"name": "notes", "type": "long_text", "label": "Notes", "required": False},
    {"name": "topic", "type": "single_choice", "label": "Topic", "options": ["food", "travel"]},
    {"name": "tags", "type": "multiple_choice", "label": "Tags", "min_choices": 1, "max_choices": 2,
     "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}]},
    {"name": "quality", "type": "likert", "label": "Quality", "scale": 5},
    {"name": "score", "type": "slider", "label": "Score", "min": 0, "max": 1, "step": 0.25},
    {"name": "turns", "type": "turn_labels", "label": "Each turn", "options": ["ok", "bad"]},
])
ITEM = {"dialog": ["hi", "hello", "bye"]}
GOOD = {"summary": "fine chat", "topic": "food", "tags": ["a", "c"], "quality": 4, "score": 0.75,
        "turns": ["ok", "ok", "bad"]}


def test_good_answers_have_no_problem_and_an_optional_field_may_be_left_out():
    assert validate_answers(FIELDS, GOOD, ITEM) == {}
    assert validate_answers(FIELDS, {**GOOD, "notes": "  "}, ITEM) == {}


@pytest.mark.parametrize("name, value, expected", [
    ("summary", "ab", "Please write at least 3 characters (you wrote 2)."),
    ("summary", "  " + "x" * 11, "Please write at most 10 characters (you wrote 11)."),
    ("summary", 5, "This answer must be text."),
    ("topic", "sport", "Please choose one of the options."),
    ("topic", ["food"], "Please choose one of the options."),
    ("tags", ["a", "a"], "Please choose among the options, each at most once."),
    ("tags", ["a", "z"], "Please choose among the options, each at most once."),
    ("tags", ["a", "b", "c"], "Please choose between 1 and 2 options."),
    ("quality", 6, "Please choose a point of the scale, 1 to 5."),
    ("quality", True, "Please choose a point of the scale, 1 to 5."),
    ("quality", "3", "Please choose a point of the scale, 1 to 5."),
    ("score", 1.5, "Please choose a number from 0 to 1."),
    ("score", 0.3, "Please choose a number from 0 in steps of 0.25."),
    ("score", float("nan"), "Please choose a number from 0 to 1."),
    ("turns", ["ok", "ok"], "Please label each of the 3 turns."),
    ("turns", ["ok", "ok", "meh"], "Please label each turn with one of the options."),
])
def test_a_bad_answer_is_refused_with_a_sentence_for_its_field_only(name, value, expected):
    assert validate_answers(FIELDS, {**GOOD, name: value}, ITEM) == {name: expected}


@pytest.mark.parametrize("empty", [None, "", "   ", []])
def test_a_required_field_left_empty_is_required(empty):
    assert validate_answers(FIELDS, {**GOOD, "topic": empty}, ITEM) == {"topic": REQUIRED_TEXT}


def test_missing_answers_and_unknown_fields_are_each_named():
    problems = validate_answers(FIELDS, {"summary": "fine chat", "extra": 1}, ITEM)
    assert problems["extra"] == "This is not a question of this form."
    assert set(problems) == {"extra", "topic", "tags", "quality", "score", "turns"}
    assert validate_answers(FIELDS, ["not", "an", "object"], ITEM) == {
        "": "The answers must be an object of field names and values."}


def test_exact_choice_counts_are_worded_as_exact():
    exact = check_fields([{"name": "two", "type": "multiple_choice", "label": "Two", "options": ["a", "b", "c"],
                           "min_choices": 2, "max_choices": 2}])
    assert validate_answers(exact, {"two": ["a"]}, {}) == {"two": "Please choose exactly 2."}
