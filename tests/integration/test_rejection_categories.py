"""A rejection filed under the category its marketplace asks for: the review service checks
the category (and the message length) against what the run's provider declares before
anything is written, carries it to the marketplace (here the fake Prolific, which checks both
as Prolific documents) and keeps it in the audit log; the task context passes it through."""
from __future__ import annotations

import pytest

from crowd.context import TaskContext
from crowd.review import ReviewRefused, ReviewService
from datastore.states import ReviewOutcome
from tests.integration.test_review_service import CountingProvider
from tests.support.builders import completed_conversation
from tests.support.prolific import LONG_REASON, prolific_provider_on, submitted_prolific_work
from tests.support.review_races import at_once


@pytest.fixture
def built(fake_prolific, handler):
    return submitted_prolific_work(fake_prolific, handler)


@pytest.fixture
def prolific_review(fake_prolific, handler):
    provider = prolific_provider_on(fake_prolific)
    return ReviewService(handler, lambda run: provider)


def test_a_rejection_reaches_prolific_with_its_category_and_the_audit_log_keeps_it(
        fake_prolific, handler, built, prolific_review):
    a1 = built.assignments[0]
    result = prolific_review.reject(a1, actor="alice", reason=LONG_REASON, category="LOW_EFFORT")
    assert result.succeeded and not result.repeated
    submission = fake_prolific.submission(a1)
    assert submission["status"] == "REJECTED"
    assert submission["rejection"] == {"message": LONG_REASON, "rejection_category": "LOW_EFFORT"}
    [row] = handler.get_review_actions(assignment_id=a1)
    assert (row["action"], row["outcome"], row["reason"]) == ("reject", ReviewOutcome.SUCCEEDED, LONG_REASON)
    assert row["provider_response"]["category"] == "LOW_EFFORT"
    assert (handler.get_assignment_data(a1)["status"], handler.get_assignment_data(a1)["feedback"]) == (
        "rejected", LONG_REASON)

    again = prolific_review.reject(a1, actor="alice", reason=LONG_REASON, category="LOW_EFFORT")
    assert again.repeated and again.action["id"] == row["id"]
    with pytest.raises(ReviewRefused, match="to approve it, override the rejection"):
        prolific_review.approve(a1, actor="bob")
    assert len(fake_prolific.calls_of("transition_submission")) == 1
    assert len(handler.get_review_actions(assignment_id=a1)) == 1


@pytest.mark.parametrize(("category", "reason", "sentence"), [
    (None, LONG_REASON, "Prolific files every rejection under a category: choose one of TOO_QUICKLY"),
    ("", LONG_REASON, "Prolific files every rejection under a category"),
    ("RUDE", LONG_REASON, "'RUDE' is not a rejection category of Prolific: choose one of"),
    ("low_effort", LONG_REASON, "'low_effort' is not a rejection category of Prolific"),
    ("LOW_EFFORT", "Off topic.", "Prolific needs a rejection reason of at least 100 characters for the worker "
                                 "(this one has 10); nothing was rejected"),
])
def test_a_prolific_rejection_without_a_known_category_or_long_enough_reason_is_refused_unwritten_unsent(
        fake_prolific, handler, built, prolific_review, category, reason, sentence):
    with pytest.raises(ReviewRefused) as refused:
        prolific_review.reject(built.assignments[0], actor="alice", reason=reason, category=category)
    assert sentence in str(refused.value)
    assert handler.get_review_actions() == []
    assert fake_prolific.calls_of("transition_submission") == []
    assert fake_prolific.submission(built.assignments[0])["status"] == "AWAITING REVIEW"
    assert handler.get_assignment_data(built.assignments[0])["status"] == "submitted"


def test_a_category_for_a_marketplace_that_has_none_is_refused_unwritten_unsent(handler):
    local = completed_conversation(handler, provider="local")
    provider = CountingProvider()
    review = ReviewService(handler, lambda run: provider)
    with pytest.raises(ReviewRefused, match="the local provider \\(no marketplace\\) takes no rejection category "
                                            "\\('LOW_EFFORT' was given\\); reject without one"):
        review.reject(local.assignments[0], actor="alice", reason="Off topic.", category="LOW_EFFORT")
    assert handler.get_review_actions() == [] and provider.calls == []
    plain = review.reject(local.assignments[0], actor="alice", reason="Off topic.")
    assert plain.succeeded and "category" not in plain.action["provider_response"]
    assert [c["action"] for c in provider.calls] == ["reject"]


def test_the_same_rejection_clicked_from_eight_threads_reaches_prolific_once(fake_prolific, handler, built, prolific_review):
    a1 = built.assignments[0]
    results = at_once(8, lambda: prolific_review.reject(a1, actor="alice", reason=LONG_REASON,
                                                        category="FAILED_INSTRUCTIONS"))
    assert sum(not r.repeated for r in results) == 1
    assert {r.action["id"] for r in results} == {handler.get_review_actions(assignment_id=a1)[0]["id"]}
    assert len(fake_prolific.calls_of("transition_submission")) == 1
    assert fake_prolific.submission(a1)["rejection"]["rejection_category"] == "FAILED_INSTRUCTIONS"


def test_a_world_rejects_with_a_category_through_the_task_context(fake_prolific, handler, built, prolific_review):
    context = TaskContext(prolific_review, handler, built.run_id, False, "parley_pair_chat_block")
    worker = context.worker(built.workers[0], built.assignments[0], [].append)
    with pytest.raises(ReviewRefused, match="files every rejection under a category"):
        worker.reject_work(LONG_REASON)  # refused at once, while the worker still works: nothing held
    assert worker.reject_work(LONG_REASON, category="TOO_QUICKLY") is None  # held until the task ends
    assert fake_prolific.calls_of("transition_submission") == []
    [result] = worker.work_ended()
    assert result.succeeded and result.action["actor"] == "world"
    assert result.action["provider_response"]["category"] == "TOO_QUICKLY"
    assert fake_prolific.submission(built.assignments[0])["rejection"]["rejection_category"] == "TOO_QUICKLY"
