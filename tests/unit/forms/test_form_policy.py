"""A form task's gold bar and comparison: checked when the task loads (a sentence for each
mistake), and what they do: who falls short, and which side each page shows first."""
from __future__ import annotations

import pytest

from runner.forms.policy import Comparison, GoldPolicy
from runner.tasks import TaskError, load_task
from tests.unit.forms.test_form_config import FIELD, make_task

CHOICE = {"name": "winner", "type": "single_choice", "label": "Who?", "options": ["a", "b"]}
PAIRS = [{"id": f"p{n}", "data": {"a": {"model": "bot A", "turns": []}, "b": {"model": "bot B", "turns": []}}}
         for n in range(3)]
COMPARED = {"fields": [CHOICE], "comparison": {"field": "winner", "sides": ["a", "b"]}}


def test_the_gold_bar_loads_into_the_run_config(tmp_path):
    task = load_task(make_task(tmp_path, gold_rate=0.5, gold_min_answers=4, gold_min_accuracy=0.8))
    assert task.form.gold == GoldPolicy(4, 0.8)
    config = task.form.as_run_config()
    assert (config["gold_min_answers"], config["gold_min_accuracy"], config["comparison"]) == (4, 0.8, None)
    assert config["fields"] == task.config["fields"]


def test_without_a_bar_golds_block_nobody():
    assert not GoldPolicy(1, None).falls_short(10, 0)


@pytest.mark.parametrize(("answered", "correct", "short"), [(2, 0, False), (3, 1, True), (3, 2, False), (4, 2, True)])
def test_a_worker_falls_short_only_after_enough_golds_and_below_the_bar(answered, correct, short):
    assert GoldPolicy(3, 0.6).falls_short(answered, correct) is short


@pytest.mark.parametrize(("config", "says"), [
    ({"gold_min_answers": 0, "gold_rate": 0.5}, "gold_min_answers must be a whole number, 1 or more"),
    ({"gold_min_accuracy": 1.5, "gold_rate": 0.5}, "gold_min_accuracy must be a fraction above 0 and at most 1"),
    ({"gold_min_accuracy": 0.5}, "gold_min_accuracy needs gold items and a gold_rate above 0"),
    ({"gold_min_answers": 2, "gold_rate": 0.5}, "so it needs gold_min_accuracy"),
])
def test_a_bad_gold_bar_is_refused_with_a_sentence(tmp_path, config, says):
    with pytest.raises(TaskError, match=says):
        load_task(make_task(tmp_path, **config))


def test_a_comparison_loads_and_each_assignment_sees_the_sides_in_its_own_drawn_order(tmp_path):
    task = load_task(make_task(tmp_path, rows=PAIRS, **COMPARED))
    compared = task.form.comparison
    assert compared == Comparison("winner", ("a", "b"))
    orders = {tuple(compared.positions(f"A{n}", "p0")) for n in range(40)}
    assert orders == {("a", "b"), ("b", "a")}  # both orders are drawn
    assert compared.positions("A7", "p1") == compared.positions("A7", "p1")  # the same on a reload
    assert task.form.as_run_config()["comparison"] == {"field": "winner", "sides": ["a", "b"]}


@pytest.mark.parametrize(("config", "says"), [
    ({"comparison": {"field": "winner"}}, "comparison must be"),
    ({"comparison": {"field": "winner", "sides": ["a", "a"]}}, "sides must be two different item data keys"),
    ({"comparison": {"field": "rating", "sides": ["a", "b"]}}, "'rating' is not a single-choice field"),
    ({"fields": [{**CHOICE, "options": ["a", "c"]}]}, "the options of 'winner' must be the sides"),
    ({"fields": [CHOICE, {**FIELD, "name": "positions"}]}, "no field may have that name"),
])
def test_a_bad_comparison_is_refused_with_a_sentence(tmp_path, config, says):
    with pytest.raises(TaskError, match=says):
        load_task(make_task(tmp_path, rows=PAIRS, **{**COMPARED, "fields": [CHOICE, FIELD], **config}))


def test_a_compared_item_must_name_the_model_of_each_side(tmp_path):
    rows = [{"id": "p0", "data": {"a": {"model": "bot A"}, "b": {"turns": []}}}]
    with pytest.raises(TaskError, match=r"item 'p0': data\['b'\] must be an object naming its model"):
        load_task(make_task(tmp_path, rows=rows, **COMPARED))
