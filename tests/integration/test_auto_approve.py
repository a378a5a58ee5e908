"""--auto-approve-delay: with the local provider the runner approves submitted work whose
delay has passed, through the review service (audited as "auto-approve", once, never over a
reviewer's verdict); on MTurk the delay is MTurk's AutoApprovalDelayInSeconds instead."""
from __future__ import annotations

import argparse
import time

from crowd.auto_approve import approve_due
from crowd.base import Launch
from crowd.mturk.cli import mturk_provider
from crowd.options import RunOptions
from runner.tasks import load_task
from tests.support.builders import accept
from tests.support.live_runner import TEST_TASKS, LiveRunner, chat_pair_to_the_end
from tests.support.review_races import at_once


def finished(handler, run_id: str, worker_id: str, approve_time: float, *, submit: bool = True) -> str:
    """An assignment whose worker finished the task (and submitted it) with `approve_time`."""
    assignment_id = accept(handler, run_id, worker_id, worker_id)
    handler.log_waiting(worker_id, assignment_id)
    handler.log_start_task(worker_id, assignment_id, f"t_{worker_id}", agent_id="Alice")
    handler.log_complete_assignment(worker_id, assignment_id, approve_time)
    if submit:
        handler.log_submit_assignment(worker_id, assignment_id)
    return assignment_id


def test_submitted_work_past_its_delay_is_approved_once_and_audited_as_auto_approve(handler, review, provider):
    run_id = handler.log_new_run(3, "pair_chat", provider="local")
    now = time.time()
    due = finished(handler, run_id, "W1", now - 1)
    not_yet = finished(handler, run_id, "W2", now + 600)
    unsubmitted = finished(handler, run_id, "W3", now - 1, submit=False)
    results = at_once(4, lambda: approve_due(review, run_id, now=now))
    assert [c["assignment_id"] for c in provider.calls] == [due]
    assert sum(not r.repeated for rs in results for r in rs) == 1
    assert handler.get_assignment_data(due)["status"] == "approved"
    assert [handler.get_assignment_data(a)["status"] for a in (not_yet, unsubmitted)] == ["submitted", "completed"]
    [row] = handler.get_review_actions(assignment_id=due)
    assert (row["action"], row["actor"], row["outcome"]) == ("approve", "auto-approve", "succeeded")
    assert approve_due(review, run_id, now=now) == []  # approved work is not asked again


def test_work_a_reviewer_rejected_is_left_rejected(handler, review, provider):
    run_id = handler.log_new_run(1, "pair_chat", provider="local")
    assignment = finished(handler, run_id, "W1", time.time() - 1)
    review.reject(assignment, actor="alice", reason="Off topic")
    assert approve_due(review, run_id) == []
    assert handler.get_assignment_data(assignment)["status"] == "rejected"
    assert [c["action"] for c in provider.calls] == ["reject"]


def test_a_local_run_with_an_auto_approve_delay_approves_what_its_workers_submitted(store_url):
    run = LiveRunner(store_url, "pair_chat", num_conversations=1, auto_approve_delay=0)
    try:
        alice, bob = run.join("alice"), run.join("bob")
        chat_pair_to_the_end(alice, bob, "hello")
        assert run.manager.wait(15)
        assignments = run.handler.get_assignments_for_run(run.run_id)
        assert {a["status"] for a in assignments} == {"approved"}
        actions = run.handler.get_review_actions(run_id=run.run_id)
        assert sorted((r["action"], r["actor"]) for r in actions) == [("approve", "auto-approve")] * 2
        assert [c["action"] for c in run.provider.calls].count("approve") == 2
    finally:
        run.stop()


def test_without_a_delay_a_local_run_approves_nothing_by_itself(store_url):
    run = LiveRunner(store_url, "pair_chat", num_conversations=1)
    try:
        chat_pair_to_the_end(run.join("alice"), run.join("bob"), "hello")
        assert run.manager.wait(15)
        assert {a["status"] for a in run.handler.get_assignments_for_run(run.run_id)} == {"submitted"}
    finally:
        run.stop()


def test_on_mturk_the_delay_is_mturks_own_auto_approval(handler, fake, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("PARLEY_MTURK_ENDPOINT", fake.url)
    args = argparse.Namespace(public_url="http://127.0.0.1:9", live=False, budget=None, expire_orphans=True)
    options = RunOptions(auto_approve_delay=600, reward="0.50")
    provider = mturk_provider(Launch(args, load_task(TEST_TASKS / "pair_chat"), options, handler))
    assert provider.approves_by_itself
    provider.bind(handler, handler.log_new_run(1, "pair_chat", provider="mturk", is_sandbox=True), "")
    provider.launch(1)
    [hit_type] = fake.calls_of("CreateHITType")
    assert hit_type["AutoApprovalDelayInSeconds"] == 600
