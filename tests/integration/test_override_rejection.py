"""Overriding a rejection: the review service approves rejected work after all, with a reason
the worker sees, once (however often, or at the same moment, it is asked), audited as an
approval that overrode a rejection. On the fake MTurk it is ApproveAssignment with
OverrideRejection; Prolific cannot approve a rejected submission, and says so in a sentence."""
from __future__ import annotations

import pytest

from crowd.prolific.provider import OVERRIDE_REFUSED
from crowd.review import OVERRODE_REJECTION, ReviewRefused, ReviewService
from datastore.states import HitStatus, ReviewOutcome
from tests.fakes.mturk_server import FakeMTurk
from tests.support.builders import completed_conversation
from tests.support.prolific import LONG_REASON, prolific_provider_on, submitted_prolific_work
from tests.support.review_races import at_once

ALICE = "A1ALICE"
HIT = {"Title": "Chat", "Description": "Talk.", "Reward": "0.50", "AssignmentDurationInSeconds": 600,
       "LifetimeInSeconds": 3600, "MaxAssignments": 1,
       "Question": "<ExternalQuestion xmlns='http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
                   "2006-07-14/ExternalQuestion.xsd'><ExternalURL>https://parley.example/task</ExternalURL>"
                   "<FrameHeight>600</FrameHeight></ExternalQuestion>"}


def rejected_on_mturk(fake: FakeMTurk, handler, review: ReviewService) -> str:
    """Work a worker submitted on the fake MTurk (and in the store), then rejected through the
    review service: its assignment id."""
    client = fake.client()
    hit_id = client.create_hit(**HIT)["HIT"]["HITId"]
    assignment_id = fake.accept(hit_id, ALICE)
    fake.submit(assignment_id, {"rating": "5"})
    run_id = handler.log_new_run(1, "pair_chat", provider="mturk", is_sandbox=True, reward="0.50")
    handler.log_hit(hit_id, HitStatus.ASSIGNABLE, expiration=2e9, available=0, run_id=run_id)
    handler.log_worker_accept_assignment(ALICE, assignment_id, hit_id, run_id)
    handler.log_waiting(ALICE, assignment_id)
    handler.log_start_task(ALICE, assignment_id, "t_1", agent_id="Speaker")
    handler.log_complete_assignment(ALICE, assignment_id)
    handler.log_submit_assignment(ALICE, assignment_id)
    assert review.reject(assignment_id, actor="alice", reason="Off topic").succeeded
    return assignment_id


def test_an_mturk_rejection_is_overridden_with_override_rejection_once(handler, mturk_review):
    fake, review = mturk_review
    assignment_id = rejected_on_mturk(fake, handler, review)
    first = review.override_rejection(assignment_id, actor="bob", reason="Checked again: it was on topic")
    again = review.override_rejection(assignment_id, actor="bob", reason="Checked again: it was on topic")
    assert first.succeeded and not first.repeated
    assert again.repeated and again.action["id"] == first.action["id"]
    [call] = [c for c in fake.calls_of("ApproveAssignment")]
    assert (call["OverrideRejection"], call["RequesterFeedback"]) == (True, "Checked again: it was on topic")
    assert fake.assignments[assignment_id]["AssignmentStatus"] == "Approved"
    assert handler.get_assignment_data(assignment_id)["status"] == "approved"
    approve = [a for a in handler.get_review_actions(assignment_id=assignment_id) if a["action"] == "approve"]
    assert [(a["actor"], a["reason"], a["provider_response"][OVERRODE_REJECTION]) for a in approve] == [
        ("bob", "Checked again: it was on topic", True)]


def test_two_overrides_at_the_same_moment_reach_mturk_once(handler, mturk_review):
    fake, review = mturk_review
    assignment_id = rejected_on_mturk(fake, handler, review)
    results = at_once(4, lambda: review.override_rejection(assignment_id, actor="bob", reason="Appeal upheld"))
    assert sorted(r.repeated for r in results) == [False, True, True, True]
    assert len({r.action["id"] for r in results}) == 1
    assert len(fake.calls_of("ApproveAssignment")) == 1
    assert [a["action"] for a in handler.get_review_actions(assignment_id=assignment_id)] == ["reject", "approve"]


def test_an_override_needs_a_reason_and_rejected_work_only(handler, review, provider):
    built = completed_conversation(handler, provider="local")
    a1, a2 = built.assignments
    review.reject(a1, actor="alice", reason="too short")
    with pytest.raises(ReviewRefused, match="overriding a rejection needs a reason the worker will see"):
        review.override_rejection(a1, actor="alice", reason="  ")
    review.approve(a2, actor="alice")
    with pytest.raises(ReviewRefused, match="was approved, not rejected: there is no rejection to override"):
        review.override_rejection(a2, actor="alice", reason="why not")
    unreviewed = completed_conversation(handler, provider="local", conversation_id="t_2").assignments[0]
    with pytest.raises(ReviewRefused, match="is completed, not rejected: there is no rejection to override"):
        review.override_rejection(unreviewed, actor="alice", reason="why not")
    assert [c["action"] for c in provider.calls] == ["reject", "approve"]


def test_prolific_refuses_to_override_a_rejection_with_a_sentence_and_nothing_changes(fake_prolific, handler):
    built = submitted_prolific_work(fake_prolific, handler)
    provider = prolific_provider_on(fake_prolific)
    review = ReviewService(handler, lambda run: provider)
    a1 = built.assignments[0]
    assert review.reject(a1, actor="alice", reason=LONG_REASON, category="LOW_EFFORT").succeeded
    result = review.override_rejection(a1, actor="bob", reason="Checked again")
    assert (result.outcome, result.action["error"]) == (ReviewOutcome.FAILED, OVERRIDE_REFUSED)
    assert "override_rejection" not in OVERRIDE_REFUSED
    assert fake_prolific.submission(a1)["status"] == "REJECTED"
    assert handler.get_assignment_data(a1)["status"] == "rejected"
