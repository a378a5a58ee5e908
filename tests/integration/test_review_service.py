"""The review service with the local provider: every action is checked, logged before the
provider is called, recorded after, and never repeated by a retry or a double click."""
import threading

import pytest

from crowd.base import Refused
from crowd.local.provider import LocalProvider
from crowd.review import ReviewRefused, request_token
from tests.support.builders import completed_conversation
from tests.support.review_races import at_once


class CountingProvider(LocalProvider):
    """The local provider, with a switch that makes its next calls fail."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_with: Exception | None = None
        self.asked: list[str] = []

    def review_outcome(self, action):
        self.asked.append(action["token"])
        return super().review_outcome(action)

    def _did(self, action, **details):
        if self.fail_with is not None:
            raise self.fail_with
        return super()._did(action, **details)


@pytest.fixture
def provider():
    return CountingProvider()


@pytest.fixture
def built(handler):
    return completed_conversation(handler, provider="local")


def test_approve_calls_the_provider_once_and_records_state_and_audit_log(handler, review, provider, built):
    a1 = built.assignments[0]
    result = review.approve(a1, actor="alice", feedback="Great work")
    assert result.succeeded and not result.repeated
    assert [c["action"] for c in provider.calls] == ["approve"]
    assert handler.get_assignment_data(a1)["status"] == "approved"
    [entry] = handler.get_review_actions(assignment_id=a1)
    assert (entry["action"], entry["actor"], entry["outcome"], entry["reason"]) == (
        "approve", "alice", "succeeded", "Great work")
    assert entry["provider_response"]["provider"] == "local"
    again = review.approve(a1, actor="alice", feedback="Great work")
    assert again.repeated and again.action["id"] == entry["id"]
    assert review.approve(a1, actor="bob").action["id"] == entry["id"]  # other words, same approval
    assert len(provider.calls) == 1
    assert len(handler.get_review_actions(assignment_id=a1)) == 1


def test_reject_needs_a_reason_and_reject_after_approve_is_refused(handler, review, provider, built):
    a1, a2 = built.assignments
    with pytest.raises(ReviewRefused, match="a rejection needs a reason the worker will see"):
        review.reject(a1, actor="alice", reason="   ")
    review.approve(a1, actor="alice")
    with pytest.raises(ReviewRefused, match="already approved; an approved assignment cannot be rejected"):
        review.reject(a1, actor="alice", reason="changed my mind")
    assert handler.get_assignment_data(a1)["status"] == "approved"
    rejected = review.reject(a2, actor="alice", reason="Answers were copied")
    assert rejected.succeeded
    data = handler.get_assignment_data(a2)
    assert (data["status"], data["feedback"]) == ("rejected", "Answers were copied")
    assert [c["action"] for c in provider.calls] == ["approve", "reject"]
    assert [r["action"] for r in handler.get_review_actions(run_id=built.run_id)] == ["approve", "reject"]


def test_a_rejection_is_overridden_only_when_asked(handler, review, provider, built):
    a1 = built.assignments[0]
    review.reject(a1, actor="alice", reason="too short")
    with pytest.raises(ReviewRefused, match="to approve it, override the rejection"):
        review.approve(a1, actor="alice")
    assert review.override_rejection(a1, actor="alice", reason="Checked again: it was fine").succeeded
    assert provider.calls[-1]["override"] is True
    assert handler.get_assignment_data(a1)["status"] == "approved"


def test_unfinished_work_cannot_be_reviewed(handler, review):
    run_id = handler.log_new_run(1, "qa_data_collection", provider="local")
    handler.log_hit_status({"HIT": {"HITId": "H1", "HITStatus": "Assignable", "Expiration": 2e9}}, run_id)
    handler.log_worker_accept_assignment("W1", "A1", "H1", run_id)
    with pytest.raises(ReviewRefused, match="is accepted: only finished work can be approved or rejected"):
        review.approve("A1", actor="alice")
    with pytest.raises(ReviewRefused, match="there is no assignment 'nope'"):
        review.approve("nope", actor="alice")
    assert handler.get_review_actions() == []


def test_a_bonus_is_paid_once_however_often_it_is_asked(handler, review, provider, built):
    a1 = built.assignments[0]
    first = review.bonus(a1, "1.25", actor="alice", reason="Thoughtful answers")
    assert first.succeeded and first.action["amount_cents"] == 125
    assert review.bonus(a1, 1.25, actor="alice", reason="Thoughtful answers").repeated
    assert review.bonus(a1, "$1.25", actor="bob", reason="Thoughtful answers").action["id"] == first.action["id"]
    bonuses = [c for c in provider.calls if c["action"] == "bonus"]
    assert len(bonuses) == 1 and bonuses[0]["amount_cents"] == 125
    assert bonuses[0]["token"] == request_token("bonus", built.run_id, a1, "W1", "Thoughtful answers", 125)
    pairing = handler.get_worker_assignment_pairing("W1", a1)
    assert (pairing["bonus_amount_cents"], pairing["bonus_paid"], pairing["bonus_text"]) == (
        125, True, "Thoughtful answers")
    with pytest.raises(ReviewRefused, match="already paid a bonus of \\$1.25; it cannot get another"):
        review.bonus(a1, "2.00", actor="alice", reason="More")


def test_a_double_click_from_two_threads_pays_once(handler, review, provider, built):
    a1 = built.assignments[0]
    results, barrier = [], threading.Barrier(8)

    def click() -> None:
        barrier.wait()
        results.append(review.bonus(a1, "0.50", actor="alice", reason="Thanks"))

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8, "a click got an error instead of the first click's result"
    assert len({r.action["id"] for r in results}) == 1
    assert sum(not r.repeated for r in results) == 1
    assert len([c for c in provider.calls if c["action"] == "bonus"]) == 1
    assert len(handler.get_review_actions(assignment_id=a1)) == 1


def test_a_click_while_the_first_is_still_being_logged_answers_the_first(handler, review, provider, built,
                                                                         monkeypatch):
    # The bonus is stored before its audit row says succeeded; a click in between must get
    # the first click's row (pending), not "done outside Parley's review".
    a1 = built.assignments[0]
    stored, release, results = threading.Event(), threading.Event(), []
    finish = handler.finish_review_action

    def finish_later(*args, **kwargs):
        stored.set()
        release.wait(10)
        return finish(*args, **kwargs)

    monkeypatch.setattr(handler, "finish_review_action", finish_later)
    first = threading.Thread(target=lambda: results.append(review.bonus(a1, "0.50", actor="alice", reason="Thanks")))
    first.start()
    assert stored.wait(10)
    second = review.bonus(a1, "0.50", actor="bob", reason="Thanks")
    release.set()
    first.join(10)
    assert second.repeated and second.action["outcome"] == "pending"
    assert results[0].succeeded and results[0].action["id"] == second.action["id"]
    assert len([c for c in provider.calls if c["action"] == "bonus"]) == 1


@pytest.mark.parametrize(("amount", "message"), [
    ("-1", "is negative"), ("0", "more than \\$0.00"), ("1.001", "fractions of a cent"),
    ("lots", "is not an amount of dollars"), ("99999999", "is more than"),
])
def test_a_bad_bonus_amount_is_refused_and_nothing_is_logged(handler, review, provider, built, amount, message):
    with pytest.raises(ReviewRefused, match=message):
        review.bonus(built.assignments[0], amount, actor="alice", reason="x")
    assert provider.calls == []
    assert handler.get_review_actions() == []


def test_a_failed_provider_call_is_logged_and_can_be_retried_with_the_same_provider_token(
        handler, review, provider, built):
    a1 = built.assignments[0]
    provider.fail_with = Refused("insufficient funds")
    failed = review.bonus(a1, "1.00", actor="alice", reason="Good")
    assert not failed.succeeded
    assert (failed.action["outcome"], failed.action["error"]) == ("failed", "insufficient funds")
    assert handler.get_worker_assignment_pairing("W1", a1)["bonus_paid"] in (False, 0)
    provider.fail_with = None
    retried = review.bonus(a1, "1.00", actor="alice", reason="Good")
    assert retried.succeeded and not retried.repeated
    log = handler.get_review_actions(assignment_id=a1)
    assert [r["outcome"] for r in log] == ["failed", "succeeded"]
    assert log[1]["token"] == log[0]["token"] + "#2"
    assert provider.calls[0]["token"] == log[0]["token"]  # the marketplace sees one request
    assert review.bonus(a1, "1.00", actor="alice", reason="Good").action["id"] == log[1]["id"]


def test_a_provider_call_that_raises_is_recorded_unknown_and_settled_before_anything_is_retried(
        handler, review, provider, built):
    a1 = built.assignments[0]
    provider.fail_with = ConnectionError("network down")
    unknown = review.approve(a1, actor="alice")
    assert unknown.outcome == "unknown" and "network down" in unknown.action["error"]
    assert handler.get_assignment_data(a1)["status"] == "completed"
    provider.fail_with = None
    provider.asked = []
    retried = review.approve(a1, actor="alice")
    # The local provider, asked, says it did nothing: the unknown attempt is settled as failed
    # before the retry reaches the provider.
    assert provider.asked == [unknown.action["token"]]
    assert retried.succeeded and not retried.repeated
    assert [(r["outcome"], r["error"]) for r in handler.get_review_actions(assignment_id=a1)] == [
        ("failed", "local was asked afterwards and had not done it"), ("succeeded", None)]


def test_an_unblock_lifts_the_runs_blocks_once_even_when_asked_at_the_same_moment(handler, review, provider, built):
    block = "parley_qa_data_collection_block"  # the task's default block qualification
    review.soft_block("W1", run_id=built.run_id, actor="alice", reason="spam", qualification_name=block)
    review.hard_block("W1", run_id=built.run_id, actor="alice", reason="spam")
    results = at_once(8, lambda: review.unblock("W1", run_id=built.run_id, actor="alice", reason="appeal"))
    assert len({r.action["id"] for r in results}) == 1 and sum(not r.repeated for r in results) == 1
    assert [c for c in provider.calls if c["action"] == "unblock"] == [
        {"provider": "local", "action": "unblock", "ok": True, "worker_id": "W1", "qualifications": [block],
         "hard": True}]
    assert handler.get_blocks_for_worker("W1") == []
    [row] = [r for r in handler.get_review_actions(worker_id="W1") if r["action"] == "unblock"]
    assert (row["actor"], row["reason"], row["outcome"]) == ("alice", "appeal", "succeeded")
    blocked_again = review.soft_block("W1", run_id=built.run_id, actor="alice", reason="spam",
                                      qualification_name=block)
    assert not blocked_again.repeated
    assert not review.unblock("W1", run_id=built.run_id, actor="alice", reason="appeal").repeated


def test_an_unblock_asked_after_the_blocks_are_lifted_but_before_the_first_is_finished_answers_it(
        handler, review, built, monkeypatch):
    review.hard_block("W1", run_id=built.run_id, actor="alice", reason="spam")
    seen = []
    lift = handler.lift_blocks

    def lift_then_ask_again(*args, **kwargs):
        lift(*args, **kwargs)  # the blocks are gone; the first unblock's row is still pending
        seen.append(review.unblock("W1", run_id=built.run_id, actor="bob", reason="appeal"))

    monkeypatch.setattr(handler, "lift_blocks", lift_then_ask_again)
    first = review.unblock("W1", run_id=built.run_id, actor="alice", reason="appeal")
    assert first.succeeded and not first.repeated
    assert [(r.repeated, r.action["id"]) for r in seen] == [(True, first.action["id"])]


def test_an_unblock_of_a_worker_with_no_block_is_refused_and_changes_nothing(handler, review, provider, built):
    review.soft_block("W1", run_id=built.run_id, actor="alice", reason="spam", qualification_name="other_task_block")
    with pytest.raises(ReviewRefused, match="W1 has no block that keeps them out of run"):
        review.unblock("W1", run_id=built.run_id, actor="alice", reason="appeal")
    with pytest.raises(ReviewRefused, match="an unblock needs a reason"):
        review.unblock("W1", run_id=built.run_id, actor="alice", reason=" ")
    assert len(handler.get_blocks_for_worker("W1")) == 1
    assert [c["action"] for c in provider.calls] == ["soft_block"]


def test_blocks_are_logged_once_and_a_block_after_an_unblock_is_new(handler, review, provider, built):
    first = review.soft_block("W1", run_id=built.run_id, actor="alice", reason="spam",
                              qualification_name="parley_block")
    assert review.soft_block("W1", run_id=built.run_id, actor="alice", reason="spam again",
                             qualification_name="parley_block").action["id"] == first.action["id"]
    [block] = handler.get_blocks_for_worker("W1")
    assert block["kind"] == "soft"
    handler.log_unblock("W1", "soft", False)
    second = review.soft_block("W1", run_id=built.run_id, actor="alice", reason="spam",
                               qualification_name="parley_block")
    assert not second.repeated and second.action["id"] != first.action["id"]
    hard = review.hard_block("W2", run_id=built.run_id, actor="alice", reason="abuse")
    assert review.hard_block("W2", run_id=built.run_id, actor="alice", reason="abuse").repeated
    assert hard.succeeded
    assert [c["action"] for c in provider.calls] == ["soft_block", "soft_block", "hard_block"]
    assert [b["kind"] for b in handler.get_blocks_for_worker("W2")] == ["hard"]
    with pytest.raises(ReviewRefused, match="a block needs a reason"):
        review.hard_block("W1", run_id=built.run_id, actor="alice", reason="")


def test_a_soft_block_asked_at_the_same_moment_with_different_reasons_blocks_once(handler, review, provider, built):
    """Two gold answers of one worker finding them short at once (a form task's gold bar) ask
    the same block with different sentences: one block, one provider call, one audit row."""
    asks = [f"Right on 0 of {n} gold items (0%), below the task's 60%." for n in range(2, 10)]
    results = at_once(8, lambda: review.soft_block("W1", run_id=built.run_id, actor="world", reason=asks.pop(),
                                                   qualification_name="parley_block"))
    assert len({r.action["id"] for r in results}) == 1 and sum(not r.repeated for r in results) == 1
    assert [c["action"] for c in provider.calls] == ["soft_block"]
    assert len(handler.get_blocks_for_worker("W1")) == 1
    assert [r["action"] for r in handler.get_review_actions(worker_id="W1")] == ["soft_block"]
