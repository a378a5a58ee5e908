"""The task context (crowd/context.py): what a world does to its workers goes through the
review service, so it is audited, done once however often and from however many threads it
is asked, and verdicts and bonuses asked while the worker still works wait for the end of
their task. On SQLite and on PostgreSQL (the suite runs on both)."""
from __future__ import annotations

import threading

import pytest

from crowd.context import TaskContext, WorkerContext
from crowd.review import ReviewRefused, ReviewService
from datastore.states import ReviewAction, ReviewOutcome
from tests.support.builders import accept, completed_conversation

BLOCK = "parley_pair_chat_block"


@pytest.fixture
def built(handler):
    return completed_conversation(handler, taskname="pair_chat", provider="local", workers=("W1", "W2"))


@pytest.fixture
def context(handler, built, provider):
    return TaskContext(ReviewService(handler, lambda run: provider), handler, built.run_id, False, BLOCK)


def worker_context(context: TaskContext, worker_id: str, assignment_id: str,
                   sent: list[str] | None = None) -> WorkerContext:
    return context.worker(worker_id, assignment_id, (sent if sent is not None else []).append)


def finished(context: TaskContext, built, n: int = 0) -> WorkerContext:
    """The context of a worker whose task has ended (what `review_work` acts through)."""
    worker = worker_context(context, built.workers[n], built.assignments[n])
    worker.work_ended()
    return worker


def audit(handler, worker_id, action):
    return [(r["outcome"], r["actor"]) for r in handler.get_review_actions(worker_id=worker_id)
            if r["action"] == action]


def test_a_world_paying_the_same_bonus_twice_pays_once(handler, built, context, provider):
    worker = finished(context, built)

    first = worker.pay_bonus("0.50", "Great chat")
    again = worker.pay_bonus("0.50", "Great chat")

    assert first.succeeded and not first.repeated
    assert again.repeated and again.action["id"] == first.action["id"]
    assert provider.reached(built.assignments[0])["bonus"] == 1
    assert audit(handler, "W1", ReviewAction.BONUS) == [(ReviewOutcome.SUCCEEDED, "world")]
    assert handler.get_worker_assignment_pairing("W1", built.assignments[0])["bonus_paid"]


def test_a_bonus_asked_from_two_threads_at_once_pays_once(handler, built, context, provider):
    worker = finished(context, built)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def pay():
        barrier.wait()
        try:
            results.append(worker.pay_bonus("0.50", "Great chat"))
        except ReviewRefused as exc:  # the other thread holds the slot right now
            errors.append(str(exc))

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert provider.reached(built.assignments[0])["bonus"] == 1
    assert audit(handler, "W1", ReviewAction.BONUS) == [(ReviewOutcome.SUCCEEDED, "world")]
    assert len(results) + len(errors) == 2 and results
    assert all(error.startswith(f"assignment {built.assignments[0]}") for error in errors)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_rejection_without_a_reason_is_refused_with_a_sentence_and_changes_nothing(
        handler, built, context, provider, reason):
    worker = finished(context, built)

    with pytest.raises(ReviewRefused, match="^a rejection needs a reason the worker will see$"):
        worker.reject_work(reason)

    assert handler.get_assignment_data(built.assignments[0])["status"] == "completed"
    assert handler.get_review_actions(worker_id="W1") == []
    assert provider.calls == []


def test_a_rejection_without_a_reason_is_refused_at_once_even_while_the_worker_works(
        handler, context, built, provider):
    live = worker_context(context, "W9", accept(handler, built.run_id, "W9", 9))

    with pytest.raises(ReviewRefused, match="reason"):
        live.reject_work("")
    with pytest.raises(ReviewRefused, match="more than"):
        live.pay_bonus("0", "nothing")

    assert live.work_ended() == []
    assert handler.get_review_actions(worker_id="W9") == [] and provider.calls == []


def test_verdicts_and_bonuses_asked_while_the_worker_works_are_carried_out_when_their_task_ends(
        handler, built, context, provider):
    run_id = built.run_id
    assignment = accept(handler, run_id, "W3", 3)
    handler.log_waiting("W3", assignment)
    handler.log_start_task("W3", assignment, "t_2", agent_id="Alice")
    worker = worker_context(context, "W3", assignment)

    assert worker.pay_bonus("0.25", "Quick answers") is None
    assert worker.approve_work("Thanks") is None
    assert handler.get_review_actions(worker_id="W3") == [] and provider.calls == []

    handler.log_complete_assignment("W3", assignment)
    results = worker.work_ended()

    assert [(r.action["action"], r.outcome) for r in results] == [
        (ReviewAction.BONUS, ReviewOutcome.SUCCEEDED), (ReviewAction.APPROVE, ReviewOutcome.SUCCEEDED)]
    assert handler.get_assignment_data(assignment)["status"] == "approved"
    assert worker.pay_bonus("0.25", "Quick answers").repeated  # after the end: at once


def test_a_held_verdict_for_a_worker_who_left_is_not_done_and_the_rest_still_is(handler, built, context, provider):
    assignment = accept(handler, built.run_id, "W4", 4)
    handler.log_waiting("W4", assignment)
    handler.log_start_task("W4", assignment, "t_3", agent_id="Alice")
    worker = worker_context(context, "W4", assignment)
    worker.approve_work()
    worker.soft_block("left in the middle")  # not held: a block needs no finished work

    handler.log_disconnect_assignment("W4", assignment)
    assert worker.work_ended() == []

    assert handler.get_assignment_data(assignment)["status"] == "disconnect"
    assert [c["action"] for c in provider.calls] == ["soft_block"]


def test_a_soft_block_from_a_world_is_audited_and_uses_the_runs_block_qualification(handler, built, context):
    worker = finished(context, built)

    result = worker.soft_block("rude to their partner")

    assert result.succeeded
    [block] = handler.get_blocks_for_worker("W1")
    assert block["qualification_id"] == handler.get_qualification(BLOCK, False)["id"]
    assert audit(handler, "W1", ReviewAction.SOFT_BLOCK) == [(ReviewOutcome.SUCCEEDED, "world")]
    assert worker.soft_block("rude to their partner").repeated


def test_send_message_shows_the_text_to_that_worker_and_refuses_an_empty_one(context, built):
    sent: list[str] = []
    worker = worker_context(context, "W1", built.assignments[0], sent)

    worker.send_message("Your partner will be back in a moment.")
    with pytest.raises(ReviewRefused, match="needs some text"):
        worker.send_message("  ")

    assert sent == ["Your partner will be back in a moment."]


def test_the_read_only_view_answers_the_workers_qualifications_on_the_runs_marketplace(handler, context):
    handler.ensure_qualification("skilled", False)
    handler.ensure_qualification("skilled_sandbox_only", True)
    handler.grant_qualification("W1", "skilled", False, value=3)
    handler.grant_qualification("W1", "skilled_sandbox_only", True)

    assert context.qualifications("W1") == {"skilled": 3}


# Qualifications through the review service ------------------------------------------------


def test_granting_a_qualification_is_audited_stored_and_done_once(handler, built, context, provider):
    worker = finished(context, built)

    first = worker.grant_qualification("fluent", 2, "passed the fluency check")
    again = worker.grant_qualification("fluent", 2, "asked again from another world")

    assert first.succeeded and again.repeated and again.action["id"] == first.action["id"]
    assert context.qualifications("W1") == {"fluent": 2}
    assert [c["action"] for c in provider.calls] == ["grant_qualification"]
    assert provider.calls[0]["value"] == 2
    assert audit(handler, "W1", ReviewAction.GRANT_QUALIFICATION) == [(ReviewOutcome.SUCCEEDED, "world")]


def test_a_grant_asked_from_two_threads_at_once_reaches_the_provider_once(handler, built, context, provider):
    barrier = threading.Barrier(2)
    results = []

    def grant():
        barrier.wait()
        results.append(context.review.grant_qualification("W1", "fluent", run_id=built.run_id, actor="t",
                                                           reason="passed"))

    threads = [threading.Thread(target=grant) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(results) == 2 and sum(not r.repeated for r in results) == 1
    assert [c["action"] for c in provider.calls] == ["grant_qualification"]
    assert [r["action"] for r in handler.get_review_actions(worker_id="W1")] == [ReviewAction.GRANT_QUALIFICATION]


def test_a_qualification_revoked_can_be_granted_again_and_each_change_is_audited(handler, built, context, provider):
    review = context.review
    review.grant_qualification("W1", "fluent", run_id=built.run_id, actor="t", reason="passed")

    revoked = review.revoke_qualification("W1", "fluent", run_id=built.run_id, actor="t", reason="retest")
    assert revoked.succeeded and context.qualifications("W1") == {}
    assert review.revoke_qualification("W1", "fluent", run_id=built.run_id, actor="t", reason="retest").repeated
    regranted = review.grant_qualification("W1", "fluent", run_id=built.run_id, actor="t", reason="passed")

    assert regranted.succeeded and not regranted.repeated
    assert context.qualifications("W1") == {"fluent": 1}
    assert [c["action"] for c in provider.calls] == [
        "grant_qualification", "revoke_qualification", "grant_qualification"]
    assert [(r["action"], r["outcome"]) for r in handler.get_review_actions(worker_id="W1")] == [
        (ReviewAction.GRANT_QUALIFICATION, ReviewOutcome.SUCCEEDED),
        (ReviewAction.REVOKE_QUALIFICATION, ReviewOutcome.SUCCEEDED),
        (ReviewAction.GRANT_QUALIFICATION, ReviewOutcome.SUCCEEDED)]


@pytest.mark.parametrize(("name", "value", "reason", "sentence"), [
    ("", 1, "why", "a qualification grant needs the qualification's name"),
    ("fluent", 1, " ", "a qualification grant needs a reason"),
    ("fluent", "high", "why", "a qualification's value is a whole number, not 'high'"),
])
def test_a_bad_grant_is_refused_with_a_sentence_and_changes_nothing(
        handler, built, context, provider, name, value, reason, sentence):
    with pytest.raises(ReviewRefused, match=f"^{sentence}$"):
        context.review.grant_qualification("W1", name, value, run_id=built.run_id, actor="t", reason=reason)

    assert handler.get_review_actions(worker_id="W1") == [] and provider.calls == []
    assert context.qualifications("W1") == {}


def test_revoking_a_qualification_the_worker_does_not_hold_is_refused(handler, built, context, provider):
    with pytest.raises(ReviewRefused, match="^W1 does not hold the qualification 'fluent'$"):
        context.review.revoke_qualification("W1", "fluent", run_id=built.run_id, actor="t", reason="why")

    assert handler.get_review_actions(worker_id="W1") == [] and provider.calls == []


def test_held_verdicts_for_work_never_submitted_on_the_marketplace_are_dropped_not_done(
        handler, built, context, provider, caplog):
    assignment = accept(handler, built.run_id, "W5", 5)
    handler.log_waiting("W5", assignment)
    handler.log_start_task("W5", assignment, "t_4", agent_id="Alice")
    worker = worker_context(context, "W5", assignment)
    assert worker.approve_work() is None and worker.pay_bonus("0.30", "Kind") is None
    handler.log_complete_assignment("W5", assignment)

    worker.discard_held("the worker did not submit it on the marketplace")

    assert handler.get_review_actions(worker_id="W5") == [] and provider.calls == []
    assert caplog.text.count("the worker did not submit it on the marketplace") == 2
    assert worker.work_ended() == []  # nothing is left to carry out later
    assert worker.approve_work().succeeded  # asked from now on: at once, as after work_ended
