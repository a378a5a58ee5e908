"""The review queue's reader: a run's units (one worker's assignment in its conversation) one
at a time in conversation order, with the ids of the units around each, filtered by status,
by worker and by the world's flag; every step a keyset query, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from datastore import InvalidValue, review_queue
from datastore.review_queue import WORLD_FLAG_KEY, QueueFilter
from tests.support.builders import assignment_in, run_of_conversations
from tests.support.store_probes import statements_on

UNREVIEWED = QueueFilter()


@pytest.fixture
def three(handler):
    """A run of three two-worker conversations: six units, all waiting for review."""
    return run_of_conversations(handler, 3)


def units_in_order(built):
    return [a for conversation in built for a in conversation.assignments]


def walk(handler, run_id, queue=UNREVIEWED):
    """Every unit of the queue, following `next` from its first."""
    seen, step = [], handler.review_queue(run_id, queue)
    while step["unit"] is not None:
        seen.append(step["unit"]["assignment_id"])
        if step["next"] is None:
            break
        step = handler.review_queue(run_id, queue, at=step["next"])
    return seen


def test_the_queue_holds_each_workers_assignment_in_conversation_order_with_its_neighbours(handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    assert walk(handler, run_id) == units
    step = handler.review_queue(run_id, UNREVIEWED, at=units[2])
    assert step["unit"] == {"assignment_id": units[2], "worker_id": "W2a", "agent_id": "Asker",
                            "conversation_id": "t_2", "status": "completed", "flag": None}
    assert (step["previous"], step["next"], step["first"], step["unreviewed"]) == (units[1], units[3], units[0], 6)


def test_a_decided_unit_leaves_the_unreviewed_queue_and_after_moves_on_past_it(handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    handler.log_approve_assignment(units[0])
    handler.log_reject_assignment(units[1], "Off topic.")
    step = handler.review_queue(run_id, UNREVIEWED, after=units[1])
    assert (step["unit"]["assignment_id"], step["previous"], step["next"]) == (units[2], None, units[3])
    assert step["unreviewed"] == 4
    assert walk(handler, run_id) == units[2:]


def test_skipped_units_stay_in_the_queue_and_back_reaches_them(handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    handler.log_approve_assignment(units[1])  # units[0] was skipped, units[1] decided
    step = handler.review_queue(run_id, UNREVIEWED, before=units[2])
    assert (step["unit"]["assignment_id"], step["previous"], step["next"]) == (units[0], None, units[2])
    assert handler.review_queue(run_id, UNREVIEWED, before=units[0])["unit"] is None


def test_past_the_last_unit_the_queue_is_empty_and_names_the_last_one_and_the_first_left(handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    handler.log_approve_assignment(units[5])
    end = handler.review_queue(run_id, UNREVIEWED, after=units[5])
    assert (end["unit"], end["previous"], end["next"], end["first"]) == (None, units[4], None, units[0])
    skipped = handler.review_queue(run_id, UNREVIEWED, after=units[4])
    assert (skipped["unit"], skipped["previous"]) == (None, units[4])


def test_the_status_filter_shows_reviewed_work_one_status_or_everything(handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    handler.log_approve_assignment(units[0])
    handler.log_reject_assignment(units[3], "Off topic.")
    assert walk(handler, run_id, QueueFilter(status="reviewed")) == [units[0], units[3]]
    assert walk(handler, run_id, QueueFilter(status="rejected")) == [units[3]]
    assert walk(handler, run_id, QueueFilter(status="all")) == units



def test_units_further_away_than_a_walk_goes_are_found_by_gathering_the_filters_units(handler, monkeypatch):
    built = run_of_conversations(handler, 5)
    run_id, units = built[0].run_id, units_in_order(built)
    for decided in (*units[:6], units[7]):  # a reviewed stretch longer than a walk, then a gap
        handler.log_approve_assignment(decided)
    expected = {"walk": [units[6], units[8], units[9]],
                "first": handler.review_queue(run_id, UNREVIEWED, at=units[8]),
                "after the last": handler.review_queue(run_id, UNREVIEWED, after=units[9]),
                "before the first": handler.review_queue(run_id, UNREVIEWED, before=units[6])}
    monkeypatch.setattr(review_queue, "WALKED", 2)
    assert walk(handler, run_id) == expected["walk"]
    assert handler.review_queue(run_id, UNREVIEWED, at=units[8]) == expected["first"]
    assert expected["first"]["first"] == units[6] and expected["first"]["previous"] == units[6]
    assert handler.review_queue(run_id, UNREVIEWED, after=units[9]) == expected["after the last"]
    assert expected["after the last"]["previous"] == units[9]
    before_the_first = handler.review_queue(run_id, UNREVIEWED, before=units[6])
    assert before_the_first == expected["before the first"]
    assert (before_the_first["unit"], before_the_first["next"]) == (None, units[6])

def test_the_worker_filter_shows_one_workers_units(handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    assert walk(handler, run_id, QueueFilter(worker_id="W2b")) == [units[3]]
    assert walk(handler, run_id, QueueFilter(worker_id="nobody")) == []


def test_the_flagged_filter_shows_units_whose_world_data_carries_a_flag(handler, three):
    run_id = three[0].run_id
    flags = {"W1a": "Answered in two words.", "W1b": True, "W2a": False, "W2b": "", "W3a": None}
    for built in three:
        handler.save_world_data({"worker_data": {w: {"points": 1, WORLD_FLAG_KEY: flags[w]} for w in built.workers
                                                 if w in flags}}, run_id, built.conversation_id)
    flagged = QueueFilter(flagged=True)
    assert walk(handler, run_id, flagged) == [three[0].assignments[0], three[0].assignments[1]]
    assert handler.review_queue(run_id, flagged)["unit"]["flag"] == "Answered in two words."
    assert walk(handler, run_id, QueueFilter(flagged=True, worker_id="W1b")) == [three[0].assignments[1]]


def test_onboarding_and_work_in_progress_are_not_units_to_review(handler, three):
    run_id = three[0].run_id
    live = assignment_in(handler, run_id, "W9", 9, "in_task", conversation_id="t_9")
    assert live not in walk(handler, run_id)
    assert walk(handler, run_id, QueueFilter(status="in_task")) == [live]
    onboarding = assignment_in(handler, run_id, "W8", 8, "onboarding")
    assert onboarding not in walk(handler, run_id, QueueFilter(status="all"))


@pytest.mark.parametrize(("call", "message"), [
    (lambda h, r: QueueFilter(status="lost"), "status must be one of unreviewed, reviewed, all"),
    (lambda h, r: h.review_queue(r, UNREVIEWED, at="A-none"), "there is no assignment 'A-none' to review"),
    (lambda h, r: h.review_queue(r, UNREVIEWED, after="A-none"), "there is no assignment 'A-none' to review"),
    (lambda h, r: h.review_queue(r, UNREVIEWED, at="x", before="y"), "give at most one of at, after and before"),
])
def test_a_bad_filter_or_position_raises_a_sentence(handler, three, call, message):
    with pytest.raises(InvalidValue, match=message):
        call(handler, three[0].run_id)


def test_an_assignment_of_another_run_is_not_a_position_in_this_queue(handler, three):
    other = run_of_conversations(handler, 1)
    with pytest.raises(InvalidValue, match="to review in this run"):
        handler.review_queue(three[0].run_id, UNREVIEWED, at=other[0].assignments[0])


def test_a_step_costs_the_same_number_of_statements_whatever_the_run_size(handler):
    small = run_of_conversations(handler, 2)
    big = run_of_conversations(handler, 12)
    counts = []
    for built in (small, big):
        middle = built[len(built) // 2].assignments[0]
        with statements_on(handler.engine) as statements:
            handler.review_queue(built[0].run_id, UNREVIEWED, at=middle)
        counts.append(len(statements))
    assert counts[0] == counts[1]
