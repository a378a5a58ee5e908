"""The store side of form tasks (datastore/forms.py): a form run's items, the allocator that
hands them to workers' assignments (N distinct workers an item, never one item twice to a
worker, golds mixed in), the answers with their gold scoring, and the readers. On SQLite and
on PostgreSQL (the suite runs on both), races included."""
from __future__ import annotations

import queue
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from datastore import InvalidValue, MTurkDataHandler, NotFound
from datastore.forms import FormItem, same_json
from tests.support.builders import accept
from tests.support.review_races import at_once


def items(*ids: str, gold: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Items to register: one per id, its data naming it; those in `gold` with those answers."""
    return [{"item_id": item_id, "data": {"text": f"The text of {item_id}."},
             "gold": (gold or {}).get(item_id)} for item_id in ids]


@dataclass
class FormRun:
    """A local run with form items, and workers' assignments made the way the runner makes them."""

    handler: MTurkDataHandler
    run_id: str
    made: int = 0
    assignments: dict[str, str] = field(default_factory=dict)
    """assignment id -> worker id"""

    def assignment(self, worker_id: str) -> str:
        self.made += 1
        assignment_id = accept(self.handler, self.run_id, worker_id, self.made)
        self.assignments[assignment_id] = worker_id
        return assignment_id

    def claim(self, assignment_id: str, count: int = 2, n: int = 2, gold_rate: float = 0.0) -> list[str]:
        """Claim for the assignment; answers the item ids handed."""
        claimed = self.handler.claim_form_items(self.run_id, assignment_id, self.assignments[assignment_id],
                                                count, n, gold_rate)
        return [item.item_id for item in claimed]

    def answer(self, assignment_id: str, item_id: str, answers: dict[str, Any] | None = None) -> Any:
        return self.handler.log_form_answer(self.run_id, assignment_id, self.assignments[assignment_id],
                                            item_id, answers if answers is not None else {"label": "yes"})

    def answers_per_item(self) -> dict[str, list[str]]:
        """item id -> the workers who answered it, in order."""
        answered: dict[str, list[str]] = {}
        for row in self.handler.get_form_answers(self.run_id):
            answered.setdefault(row["item_id"], []).append(row["worker_id"])
        return answered


@pytest.fixture
def form_run(handler) -> FormRun:
    return FormRun(handler, handler.log_new_run(5, "rate_sentences", provider="local"))


def with_items(form_run: FormRun, *ids: str, gold: dict[str, dict[str, Any]] | None = None) -> FormRun:
    form_run.handler.register_form_items(form_run.run_id, items(*ids, gold=gold))
    return form_run


# Registering items -------------------------------------------------------------------------

def test_registered_items_read_back_in_the_order_given_golds_marked_and_without_their_answers(form_run):
    handler, run_id = form_run.handler, form_run.run_id

    added = handler.register_form_items(run_id, items("b", "a", "g", gold={"g": {"label": "no"}}))

    assert added == 3
    rows = handler.get_form_items(run_id)
    assert [row.as_dict() for row in rows] == [
        {"item_id": "b", "position": 0, "data": {"text": "The text of b."}, "is_gold": False, "answers": 0},
        {"item_id": "a", "position": 1, "data": {"text": "The text of a."}, "is_gold": False, "answers": 0},
        {"item_id": "g", "position": 2, "data": {"text": "The text of g."}, "is_gold": True, "answers": 0},
    ]


def test_registering_the_same_items_again_writes_nothing_and_new_ones_go_after_the_others(form_run):
    handler, run_id = with_items(form_run, "a", "b").handler, form_run.run_id

    assert handler.register_form_items(run_id, items("a", "b")) == 0
    changed = [{"item_id": "a", "data": {"text": "changed"}, "gold": None}]
    assert handler.register_form_items(run_id, changed + items("c")) == 1

    rows = handler.get_form_items(run_id)
    assert [(row["item_id"], row["position"]) for row in rows] == [("a", 0), ("b", 1), ("c", 2)]
    assert rows[0]["data"] == {"text": "The text of a."}  # the item as first registered


@pytest.mark.parametrize("bad, message", [
    (items("a", "b", "a"), "form item 4: the item id 'a' is given twice"),
    ([{"item_id": "a"}], "form item 2 is not a dict with the keys item_id, data and optionally gold"),
    ([{"id": "a", "data": {}}], "form item 2 is not a dict with the keys"),
    ([{"item_id": "a", "data": {}, "gold": None, "extra": 1}], "form item 2 is not a dict with the keys"),
    ([{"item_id": "", "data": {}}], "form item 2: an item id is text of 1 to 64 characters, not ''"),
    ([{"item_id": "x" * 65, "data": {}}], "an item id is text of 1 to 64 characters"),
    ([{"item_id": 7, "data": {}}], "an item id is text of 1 to 64 characters, not 7"),
    ([{"item_id": "a", "data": ["not", "a", "dict"]}], "form item 'a': its data is a dict, not list"),
    ([{"item_id": "a", "data": {}, "gold": {}}], "form item 'a': a gold is a dict of field name -> known answer"),
    ([{"item_id": "a", "data": {"when": object()}}], "form item 'a''s data cannot be stored as JSON"),
    ({"item_id": "a", "data": {}}, "form items are given as a list of {item_id, data, gold} dicts"),
])
def test_items_that_cannot_be_stored_are_refused_with_a_sentence_and_nothing_is_written(form_run, bad, message):
    handler, run_id = form_run.handler, form_run.run_id

    with pytest.raises(InvalidValue, match=re.escape(message)):
        handler.register_form_items(run_id, items("ok") + bad if isinstance(bad, list) else bad)

    assert handler.get_form_items(run_id) == []


def test_items_of_a_run_that_does_not_exist_are_refused(handler):
    with pytest.raises(NotFound, match="there is no run 'nope'"):
        handler.register_form_items("nope", items("a"))


# The allocator ------------------------------------------------------------------------------

def test_a_claim_hands_the_items_with_the_fewest_answers_first_then_in_the_runs_order(form_run):
    with_items(form_run, "i1", "i2", "i3", "i4")
    first, second = form_run.assignment("W1"), form_run.assignment("W2")

    assert sorted(form_run.claim(first, count=2)) == ["i1", "i2"]
    assert sorted(form_run.claim(second, count=3)) == ["i1", "i3", "i4"]


def test_a_claim_answers_the_items_data_but_never_a_golds_known_answers(form_run):
    with_items(form_run, "i1", "g1", gold={"g1": {"label": "no"}})
    assignment_id = form_run.assignment("W1")

    claimed = form_run.handler.claim_form_items(form_run.run_id, assignment_id, "W1", 2, 1, gold_rate=0.5)

    assert sorted(claimed, key=lambda item: item.item_id) == [
        FormItem("g1", {"text": "The text of g1."}, True), FormItem("i1", {"text": "The text of i1."}, False)]
    assert not hasattr(claimed[0], "gold")


def test_an_assignment_that_claims_again_gets_the_same_items_in_the_same_order_and_no_new_ones(form_run):
    with_items(form_run, *(f"i{n}" for n in range(10)))
    assignment_id = form_run.assignment("W1")

    first = form_run.claim(assignment_id, count=5)
    again = form_run.claim(assignment_id, count=8)

    assert again == first and len(first) == 5
    assert sum(row["item_id"] in first for row in form_run.handler.get_form_items(form_run.run_id)) == 5
    assert len(form_run.claim(form_run.assignment("W2"), count=10, n=1)) == 5  # the other five


def test_the_items_of_an_assignment_come_shuffled_by_its_id_so_golds_have_no_fixed_place(form_run):
    gold_ids = [f"g{n}" for n in range(5)]
    with_items(form_run, *(f"i{n}" for n in range(40)), *gold_ids,
               gold={g: {"label": "no"} for g in gold_ids})

    places = set()
    for n in range(8):
        claimed = form_run.claim(form_run.assignment(f"W{n}"), count=5, n=8, gold_rate=0.2)
        assert sum(item_id in gold_ids for item_id in claimed) == 1
        places.add(next(place for place, item_id in enumerate(claimed) if item_id in gold_ids))

    assert len(places) > 1


def test_a_worker_is_never_handed_an_item_twice_even_in_another_assignment(form_run):
    with_items(form_run, "i1", "i2", "i3")
    first = form_run.assignment("W1")
    for item_id in form_run.claim(first, count=2, n=3):
        form_run.answer(first, item_id)
    form_run.handler.release_form_claims(first)

    assert form_run.claim(form_run.assignment("W1"), count=2, n=3) == ["i3"]
    assert form_run.claim(form_run.assignment("W1"), count=2, n=3) == []


def test_three_workers_two_items_each_until_every_item_has_two_answers_from_different_workers(form_run):
    with_items(form_run, "i1", "i2", "i3")
    workers = ["W1", "W2", "W3"]

    rounds = 0
    while True:
        handed = 0
        for worker_id in workers:
            assignment_id = form_run.assignment(worker_id)
            for item_id in form_run.claim(assignment_id, count=2, n=2):
                form_run.answer(assignment_id, item_id)
                handed += 1
        rounds += 1
        if not handed:
            break

    assert rounds == 2  # one round handed everything; the next found nothing left
    answered = form_run.answers_per_item()
    assert sorted(answered) == ["i1", "i2", "i3"]
    for workers_of_item in answered.values():
        assert len(workers_of_item) == 2 and len(set(workers_of_item)) == 2
    assert form_run.handler.form_progress(form_run.run_id, 2) == {"items": 3, "complete": 3, "answers": 6}


def test_an_item_held_by_an_open_claim_is_not_handed_past_n_until_its_claim_is_released(form_run):
    with_items(form_run, "i1", "i2")
    first = form_run.assignment("W1")
    assert form_run.claim(first, count=1, n=1) == ["i1"]

    assert form_run.claim(form_run.assignment("W2"), count=1, n=1) == ["i2"]
    assert form_run.claim(form_run.assignment("W3"), count=1, n=1) == []

    assert form_run.handler.release_form_claims(first) == 1
    assert form_run.claim(form_run.assignment("W3"), count=1, n=1) == ["i1"]
    assert form_run.claim(form_run.assignment("W1"), count=1, n=1) == []  # W1 had it once


def test_released_items_are_no_longer_the_assignments_and_its_answered_ones_stay_answered(form_run):
    with_items(form_run, "i1", "i2")
    assignment_id = form_run.assignment("W1")
    claimed = form_run.claim(assignment_id, count=2, n=1)
    form_run.answer(assignment_id, claimed[0])

    assert form_run.handler.release_form_claims(assignment_id) == 1
    assert form_run.handler.release_form_claims(assignment_id) == 0

    assert form_run.claim(assignment_id, count=2, n=1) == [claimed[0]]
    with pytest.raises(InvalidValue, match=f"item '{claimed[1]}' was released from assignment "
                                           f"'{assignment_id}' when it ended"):
        form_run.answer(assignment_id, claimed[1])
    assert [row["item_id"] for row in form_run.handler.get_form_answers(form_run.run_id)] == [claimed[0]]


def test_releasing_the_claims_of_an_unknown_assignment_is_refused(form_run):
    with pytest.raises(NotFound, match="there is no assignment 'nope'"):
        form_run.handler.release_form_claims("nope")


@pytest.mark.parametrize("count, rate, golds", [(4, 0.25, 1), (4, 0.1, 1), (4, 0.5, 2), (3, 0.5, 2), (2, 1.0, 2)])
def test_golds_are_mixed_in_at_the_gold_rate_and_at_least_one(form_run, count, rate, golds):
    gold_ids = ("g1", "g2", "g3")
    with_items(form_run, "i1", "i2", "i3", "i4", *gold_ids, gold={g: {"label": "no"} for g in gold_ids})

    claimed = form_run.claim(form_run.assignment("W1"), count=count, n=1, gold_rate=rate)

    assert len(claimed) == count
    assert sum(item_id in gold_ids for item_id in claimed) == golds


def test_golds_go_to_every_worker_but_never_twice_to_one_and_never_without_work_to_annotate(form_run):
    with_items(form_run, "i1", "i2", "i3", "g1", gold={"g1": {"label": "no"}})

    assert "g1" in form_run.claim(form_run.assignment("W1"), count=2, n=1, gold_rate=0.5)
    assert "g1" in form_run.claim(form_run.assignment("W2"), count=2, n=1, gold_rate=0.5)
    assert form_run.claim(form_run.assignment("W1"), count=2, n=1, gold_rate=0.5) == ["i3"]
    assert form_run.claim(form_run.assignment("W3"), count=2, n=1, gold_rate=0.5) == []


def test_with_no_golds_in_the_run_a_gold_rate_hands_only_items_to_annotate(form_run):
    with_items(form_run, "i1", "i2")
    assert sorted(form_run.claim(form_run.assignment("W1"), count=2, n=1, gold_rate=0.5)) == ["i1", "i2"]


@pytest.mark.parametrize("count, n, rate, message", [
    (0, 1, 0.0, "the number of items to claim is a whole number, 1 or more, not 0"),
    (True, 1, 0.0, "the number of items to claim is a whole number, 1 or more, not True"),
    (2, 0, 0.0, "the number of annotations per item is a whole number, 1 or more, not 0"),
    (2, 1, 1.5, "the gold rate is a fraction from 0 to 1, not 1.5"),
    (2, 1, "0.5", "the gold rate is a fraction from 0 to 1, not '0.5'"),
])
def test_a_claim_with_bad_numbers_is_refused_and_hands_nothing(form_run, count, n, rate, message):
    with_items(form_run, "i1")
    assignment_id = form_run.assignment("W1")
    with pytest.raises(InvalidValue, match=message):
        form_run.handler.claim_form_items(form_run.run_id, assignment_id, "W1", count, n, rate)
    assert form_run.claim(assignment_id, count=1, n=1) == ["i1"]  # nothing was claimed before


def test_a_claim_for_someone_elses_assignment_or_another_runs_is_refused(form_run):
    with_items(form_run, "i1")
    handler, run_id = form_run.handler, form_run.run_id
    assignment_id = form_run.assignment("W1")
    other_run = handler.log_new_run(1, "other", provider="local")

    with pytest.raises(InvalidValue, match=f"assignment '{assignment_id}' belongs to worker 'W1', not 'W2'"):
        handler.claim_form_items(run_id, assignment_id, "W2", 1, 1)
    with pytest.raises(InvalidValue, match=f"assignment '{assignment_id}' is of run '{run_id}', not '{other_run}'"):
        handler.claim_form_items(other_run, assignment_id, "W1", 1, 1)
    with pytest.raises(NotFound, match="there is no assignment 'nope'"):
        handler.claim_form_items(run_id, "nope", "W1", 1, 1)
    with pytest.raises(NotFound, match="there is no run 'nope'"):
        handler.claim_form_items("nope", assignment_id, "W1", 1, 1)
    assert form_run.claim(assignment_id, count=1, n=1) == ["i1"]


# Answers -------------------------------------------------------------------------------------

def test_an_answer_is_stored_and_marks_its_item_answered(form_run, clock):
    with_items(form_run, "i1")
    assignment_id = form_run.assignment("W1")
    form_run.claim(assignment_id, count=1, n=1)

    stored = form_run.answer(assignment_id, "i1", {"label": "yes", "tags": ["a", "b"], "score": 4})

    assert (stored.created, stored.item_id, stored.worker_id, stored.is_gold, stored.gold_correct) == (
        True, "i1", "W1", False, None)
    assert stored.answered_at == clock.now
    rows = form_run.handler.get_form_answers(form_run.run_id)
    assert [row.as_dict() for row in rows] == [{
        "id": stored.id, "run_id": form_run.run_id, "item_id": "i1", "assignment_id": assignment_id,
        "worker_id": "W1", "answers": {"label": "yes", "tags": ["a", "b"], "score": 4}, "is_gold": False,
        "gold_correct": None, "answered_at": clock.now, "signals": None, "flags": []}]
    assert form_run.handler.get_form_items(form_run.run_id)[0]["answers"] == 1


def test_the_same_answer_again_answers_the_stored_row_and_stores_nothing_new(form_run):
    with_items(form_run, "i1")
    assignment_id = form_run.assignment("W1")
    form_run.claim(assignment_id, count=1, n=1)
    first = form_run.answer(assignment_id, "i1", {"label": "yes", "score": 3})

    again = form_run.answer(assignment_id, "i1", {"score": 3.0, "label": "yes"})

    assert again.created is False
    assert (again.id, again.answers, again.answered_at) == (first.id, first.answers, first.answered_at)
    assert len(form_run.handler.get_form_answers(form_run.run_id)) == 1


def test_other_answers_to_an_answered_item_are_refused_and_the_first_ones_kept(form_run):
    with_items(form_run, "i1")
    assignment_id = form_run.assignment("W1")
    form_run.claim(assignment_id, count=1, n=1)
    form_run.answer(assignment_id, "i1", {"label": "yes"})

    with pytest.raises(InvalidValue, match=f"item 'i1' was already answered in assignment '{assignment_id}', "
                                           "with other answers; the first answers are kept"):
        form_run.answer(assignment_id, "i1", {"label": "no"})

    assert [row["answers"] for row in form_run.handler.get_form_answers(form_run.run_id)] == [{"label": "yes"}]


def test_an_answer_to_an_item_the_assignment_was_not_handed_is_refused_and_nothing_stored(form_run):
    with_items(form_run, "i1", "i2")
    handler, run_id = form_run.handler, form_run.run_id
    first, second = form_run.assignment("W1"), form_run.assignment("W2")
    form_run.claim(first, count=1, n=1)  # i1

    with pytest.raises(InvalidValue, match=f"item 'i2' of run '{run_id}' was not handed to assignment '{first}'"):
        form_run.answer(first, "i2")
    with pytest.raises(InvalidValue, match=f"item 'i1' of run '{run_id}' was not handed to assignment '{second}'"):
        form_run.answer(second, "i1")
    with pytest.raises(InvalidValue, match="was not handed to assignment"):
        form_run.answer(first, "no-such-item")
    with pytest.raises(InvalidValue, match=f"assignment '{first}' belongs to worker 'W1', not 'W2'"):
        handler.log_form_answer(run_id, first, "W2", "i1", {"label": "yes"})

    assert handler.get_form_answers(run_id) == []
    assert form_run.claim(second, count=1, n=1) == ["i2"]  # i1 is still W1's open claim


@pytest.mark.parametrize("answers, message", [
    (["yes"], "a form's answers are a dict of field name -> value"),
    ({"label": float("nan")}, "the answers cannot be stored as JSON"),
    ({"label": {1, 2}}, "the answers cannot be stored as JSON"),
])
def test_answers_that_cannot_be_stored_are_refused_and_the_item_stays_open(form_run, answers, message):
    with_items(form_run, "i1")
    assignment_id = form_run.assignment("W1")
    form_run.claim(assignment_id, count=1, n=1)

    with pytest.raises(InvalidValue, match=message):
        form_run.answer(assignment_id, "i1", answers)

    assert form_run.answer(assignment_id, "i1", {"label": "yes"}).created


# Golds ---------------------------------------------------------------------------------------

GOLD = {"label": "positive", "score": 3, "tags": ["a", "b"]}


@pytest.mark.parametrize("answers, correct", [
    ({"label": "positive", "score": 3, "tags": ["a", "b"]}, True),
    ({"label": "positive", "score": 3.0, "tags": ["a", "b"], "note": "an extra field"}, True),
    ({"label": "positive", "score": 3, "tags": ["b", "a"]}, False),
    ({"label": "positive", "score": 3}, False),
    ({"label": "negative", "score": 3, "tags": ["a", "b"]}, False),
    ({"label": "positive", "score": "3", "tags": ["a", "b"]}, False),
])
def test_a_gold_answer_is_correct_when_every_known_answer_is_given_as_the_same_json_value(
        form_run, answers, correct):
    with_items(form_run, "g1", gold={"g1": GOLD})
    assignment_id = form_run.assignment("W1")
    assert form_run.claim(assignment_id, count=1, n=1, gold_rate=1.0) == ["g1"]

    stored = form_run.answer(assignment_id, "g1", answers)

    assert (stored.is_gold, stored.gold_correct) == (True, correct)
    assert form_run.handler.gold_accuracy(form_run.run_id, "W1") == (1, int(correct))


def test_true_is_not_the_json_value_1_but_3_is_3_point_0():
    assert same_json({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not same_json(True, 1) and not same_json(0, False) and not same_json(None, False)
    assert not same_json({"a": 1}, {"a": 1, "b": None})


def test_gold_accuracy_counts_a_workers_gold_answers_and_the_right_ones_in_one_run(form_run):
    gold_ids = ("g1", "g2", "g3")
    with_items(form_run, *gold_ids, gold={g: {"label": "yes"} for g in gold_ids})
    for worker_id, labels in (("W1", ("yes", "no", "yes")), ("W2", ("yes", "yes", "yes"))):
        assignment_id = form_run.assignment(worker_id)
        claimed = form_run.claim(assignment_id, count=3, n=1, gold_rate=1.0)
        for item_id, label in zip(sorted(claimed), labels):
            form_run.answer(assignment_id, item_id, {"label": label})

    assert form_run.handler.gold_accuracy(form_run.run_id, "W1") == (3, 2)
    assert form_run.handler.gold_accuracy(form_run.run_id, "W2") == (3, 3)
    assert form_run.handler.gold_accuracy(form_run.run_id, "W3") == (0, 0)
    other_run = form_run.handler.log_new_run(1, "other", provider="local")
    assert form_run.handler.gold_accuracy(other_run, "W1") == (0, 0)


# Readers -------------------------------------------------------------------------------------

def test_answers_are_read_in_order_narrowed_by_assignment_item_and_worker(form_run):
    with_items(form_run, "i1", "i2", "i3")
    first, second = form_run.assignment("W1"), form_run.assignment("W2")
    for assignment_id in (first, second):
        for item_id in sorted(form_run.claim(assignment_id, count=2, n=2)):
            form_run.answer(assignment_id, item_id)
    handler, run_id = form_run.handler, form_run.run_id

    def read(**narrowed: str) -> list[tuple[str, str]]:
        return [(row["worker_id"], row["item_id"]) for row in handler.get_form_answers(run_id, **narrowed)]

    assert read() == [("W1", "i1"), ("W1", "i2"), ("W2", "i1"), ("W2", "i3")]
    assert read(assignment_id=second) == [("W2", "i1"), ("W2", "i3")]
    assert read(item_id="i1") == [("W1", "i1"), ("W2", "i1")]
    assert read(worker_id="W1", item_id="i2") == [("W1", "i2")]
    assert read(worker_id="W3") == []
    assert handler.get_form_answers(run_id)[0].keys() == [
        "id", "run_id", "item_id", "assignment_id", "worker_id", "answers", "is_gold", "gold_correct",
        "answered_at", "signals", "flags"]
    assert [row["answers"] for row in handler.get_form_items(run_id)] == [2, 1, 1]


def test_progress_counts_items_to_annotate_those_complete_and_their_answers_but_no_golds(form_run):
    with_items(form_run, "i1", "i2", "i3", "g1", gold={"g1": {"label": "yes"}})
    handler, run_id = form_run.handler, form_run.run_id
    assert handler.form_progress(run_id, 2) == {"items": 3, "complete": 0, "answers": 0}

    for worker_id in ("W1", "W2"):
        assignment_id = form_run.assignment(worker_id)
        for item_id in form_run.claim(assignment_id, count=2, n=2, gold_rate=0.5):
            form_run.answer(assignment_id, item_id)

    assert form_run.answers_per_item() == {"g1": ["W1", "W2"], "i1": ["W1"], "i2": ["W2"]}
    assert handler.form_progress(run_id, 1) == {"items": 3, "complete": 2, "answers": 2}
    assert handler.form_progress(run_id, 2) == {"items": 3, "complete": 0, "answers": 2}
    with pytest.raises(InvalidValue, match="the number of annotations per item is a whole number"):
        handler.form_progress(run_id, 0)


def test_a_run_without_form_items_reads_as_empty(form_run):
    handler, run_id = form_run.handler, form_run.run_id
    assert handler.get_form_items(run_id) == [] and handler.get_form_answers(run_id) == []
    assert handler.form_progress(run_id, 3) == {"items": 0, "complete": 0, "answers": 0}


# Races ---------------------------------------------------------------------------------------

def test_workers_claiming_at_the_same_moment_never_push_an_item_past_n(form_run):
    """Eight workers released together by a barrier claim two items each of four, two workers
    an item: exactly eight claims are handed, two an item, never one item twice to a worker."""
    with_items(form_run, "i1", "i2", "i3", "i4")
    waiting: queue.Queue[str] = queue.Queue()
    for n in range(8):
        waiting.put(form_run.assignment(f"W{n}"))

    def claim_for_the_next_worker() -> tuple[str, list[str]]:
        assignment_id = waiting.get_nowait()
        return assignment_id, form_run.claim(assignment_id, count=2, n=2)

    handed = at_once(8, claim_for_the_next_worker)

    per_item = Counter(item_id for _, claimed in handed for item_id in claimed)
    assert per_item == Counter({"i1": 2, "i2": 2, "i3": 2, "i4": 2})
    assert all(len(set(claimed)) == len(claimed) for _, claimed in handed)
    for assignment_id, claimed in handed:
        for item_id in claimed:
            form_run.answer(assignment_id, item_id)
    for workers_of_item in form_run.answers_per_item().values():
        assert len(workers_of_item) == 2 and len(set(workers_of_item)) == 2


def test_one_assignment_claiming_twice_at_the_same_moment_is_handed_one_set_of_items(form_run):
    with_items(form_run, "i1", "i2", "i3", "i4")
    assignment_id = form_run.assignment("W1")

    handed = at_once(4, lambda: form_run.claim(assignment_id, count=2, n=2))

    assert len({tuple(claimed) for claimed in handed}) == 1 and len(handed[0]) == 2
    assert sorted(form_run.claim(form_run.assignment("W2"), count=4, n=1)) == sorted(
        set(["i1", "i2", "i3", "i4"]) - set(handed[0]))
