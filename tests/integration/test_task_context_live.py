"""The task context in a real run: worlds get it instead of the store, what they ask of it
reaches the review service (and, on the fake MTurk, the marketplace), and `--max-time-qual`
is granted, once, to a worker who reaches `--max-time`."""
from __future__ import annotations

import time

import pytest

from crowd.mturk.provider import MTurkProvider, client_config
from datastore.states import ReviewAction, ReviewOutcome
from tests.fakes.mturk_server import ActionRefused, FakeMTurk
from tests.integration.test_mturk_provider import settings, work
from tests.support.live_runner import TEST_TASKS, chat_pair_to_the_end

OVER_TIME = "parley_test_over_time"


@pytest.fixture
def fake():
    with FakeMTurk() as mturk:
        yield mturk


def mturk(fake, **hit_settings) -> MTurkProvider:
    return MTurkProvider(is_sandbox=True, client=fake.client(config=client_config()),
                         settings=settings("http://127.0.0.1", **hit_settings))


def actions(handler, worker_id):
    return [(r["action"], r["outcome"], r["actor"]) for r in handler.get_review_actions(worker_id=worker_id)]


def test_a_world_gets_the_context_not_the_store_and_its_bonuses_and_verdicts_are_audited(start):
    runner = start("rewarded_chat", num_conversations=1)
    alice, bob = runner.join("W1", assignment_id="A1"), runner.join("W2", assignment_id="A2")
    alice.wait_state("in_task")
    bob.wait_state("in_task")
    chat_pair_to_the_end(alice, bob, "hello", greeted=False)
    assert runner.manager.wait(15)

    h = runner.handler
    data = h.get_full_conversation_data(runner.run_id, "t_1", False)["custom_data"]
    assert "handler" not in data["opt_keys"] and "context" in data["opt_keys"]
    assert data["held"] == [True, True]  # asked during the chat: carried out when it ended
    for worker, assignment in (("W1", "A1"), ("W2", "A2")):
        assert actions(h, worker) == [(ReviewAction.BONUS, ReviewOutcome.SUCCEEDED, "world"),
                                      (ReviewAction.APPROVE, ReviewOutcome.SUCCEEDED, "world")]
        assert h.get_assignment_data(assignment)["status"] == "approved"
        assert h.get_worker_assignment_pairing(worker, assignment)["bonus_paid"]
    assert "You will get a $0.30 bonus." in alice.texts()
    assert [c["action"] for c in runner.provider.calls].count("bonus") == 2


def test_a_worker_who_reaches_max_time_is_granted_max_time_qual_once(start):
    runner = start("pair_chat", num_conversations=2, max_time=600, max_time_qual=OVER_TIME)
    runner.handler.add_working_time("W1", 599.9999)  # earlier today, just under the cap
    first, second = (runner.join("W1", assignment_id=a) for a in ("A1", "A2"))  # paired together
    second.wait_state("in_task")
    first.send_frame({"type": "return"})
    first.wait_state("returned")  # each assignment's end adds its time: two chances to grant
    # The partner's end comes as partner_disconnect, or as done when the world saw the
    # return first; either way its time is added as it ends, so wait for the grant.
    second.wait_for(lambda f: f["type"] == "state" and f["state"] in ("partner_disconnect", "done"))
    h = runner.handler
    granted = [(ReviewAction.GRANT_QUALIFICATION, ReviewOutcome.SUCCEEDED, "runner")]
    deadline = time.monotonic() + 15
    while actions(h, "W1") != granted and time.monotonic() < deadline:
        time.sleep(0.05)
    second.send_frame({"type": "done"})
    second.wait_state("submitted")  # its assignment has ended: both chances to grant are past

    assert actions(h, "W1") == granted
    assert [c["action"] for c in runner.provider.calls if c["action"] != "expire"] == ["grant_qualification"]
    assert {q["name"] for q in h.get_worker_qualifications("W1")} == {OVER_TIME}


def test_a_worker_under_max_time_is_not_granted_max_time_qual(start):
    runner = start("pair_chat", num_conversations=1, max_time=600, max_time_qual=OVER_TIME)
    tab = runner.join("W1", assignment_id="A1")
    tab.wait_state("waiting")
    tab.send_frame({"type": "return"})
    tab.wait_state("returned")

    assert runner.handler.get_review_actions(worker_id="W1") == []
    assert runner.handler.get_worker_qualifications("W1") == []


def test_on_mturk_a_worker_over_max_time_can_no_longer_accept_a_hit_of_the_task(start, fake):
    runner = start("pair_chat", provider=mturk(fake, max_time_qual=OVER_TIME), num_conversations=1,
                   max_time=600, max_time_qual=OVER_TIME)
    requirements = next(iter(fake.hits.values()))["QualificationRequirements"]
    over_time_id = runner.provider.qualification_id(OVER_TIME)
    assert {"QualificationTypeId": over_time_id, "Comparator": "DoesNotExist",
            "ActionsGuarded": "DiscoverPreviewAndAccept"} in requirements
    runner.handler.add_working_time("AWORKERALICE", 599.9999)
    _, alice = work(runner, fake, "AWORKERALICE", runner.provider.hit_ids[0])
    alice.wait_state("waiting")
    alice.send_frame({"type": "return"})
    alice.wait_state("returned")

    assert (over_time_id, "AWORKERALICE") in fake.qualifications
    with pytest.raises(ActionRefused, match="does not meet the qualification requirements"):
        fake.accept(runner.provider.hit_ids[1], "AWORKERALICE")
    fake.accept(runner.provider.hit_ids[1], "AWORKERBOB")  # others still can


def test_on_mturk_a_worker_who_fails_the_qualification_test_is_blocked_there_too(start, fake):
    task = "tasks/qualification_flow_example"
    runner = start(task, provider=mturk(fake, block_qualification="parley_qualification_flow_example_block"),
                   num_conversations=2)
    _, worker = work(runner, fake, "AWORKERALICE", runner.provider.hit_ids[0])
    worker.wait_state("in_task")
    for n, answer in enumerate(("7", "41", "eighty-three"), 1):
        worker.wait_for(lambda f, n=n: f["type"] == "message" and f["act"]["text"].startswith(f"Problem {n} of"))
        worker.say(answer)
    worker.wait_state("done")

    assert actions(runner.handler, "AWORKERALICE") == [
        (ReviewAction.GRANT_QUALIFICATION, ReviewOutcome.SUCCEEDED, "world"),
        (ReviewAction.SOFT_BLOCK, ReviewOutcome.SUCCEEDED, "world")]
    with pytest.raises(ActionRefused, match="does not meet the qualification requirements"):
        fake.accept(runner.provider.hit_ids[1], "AWORKERALICE")


def test_a_world_may_reject_a_worker_for_a_flag_through_the_context_and_parley_never_does(start):
    """strict_chat's review_work reads each worker's message flags and rejects one who pasted;
    the flags alone (no_signals on the others' messages) decide nothing."""
    from tests.integration.test_message_authenticity import signals
    from tests.support.tasks.strict_chat.worlds import PASTED_REASON

    runner = start(str(TEST_TASKS / "strict_chat"), num_conversations=1)
    alice, bob = runner.join("W1", assignment_id="A1"), runner.join("W2", assignment_id="A2")
    for worker in (alice, bob):
        worker.wait_state("in_task")
    pasted = "copied from somewhere else"
    chat_pair_to_the_end(alice, bob, pasted, greeted=False,
                         greeting_signals=signals(pasted, keys=0, pasted_count=1, pasted_chars=len(pasted)))
    assert runner.manager.wait(15)

    h = runner.handler
    assert actions(h, "W1") == [(ReviewAction.REJECT, ReviewOutcome.SUCCEEDED, "world")]
    assert h.get_assignment_data("A1")["status"] == "rejected"
    assert [r["reason"] for r in h.get_review_actions(worker_id="W1")] == [PASTED_REASON]
    assert actions(h, "W2") == [(ReviewAction.APPROVE, ReviewOutcome.SUCCEEDED, "world")]
    assert {f["flag"] for f in h.get_message_flags(runner.run_id, "W2")} == {"no_signals"}


def test_on_mturk_a_worlds_bonuses_and_approvals_wait_for_the_submissions_and_then_reach_mturk(start, fake):
    """MTurk refuses to approve or pay an assignment its worker has not submitted there, and
    they submit on MTurk's page after the chat: rewarded_chat's held bonuses and its
    review_work approvals are carried out once the run's end has recorded the submissions."""
    runner = start("rewarded_chat", provider=mturk(fake), num_conversations=1, reward="0.50")
    (ana, alice), (ben, bob) = (work(runner, fake, worker_id, hit_id) for worker_id, hit_id in
                                zip(("AWORKERANA", "AWORKERBEN"), runner.provider.hit_ids))
    for worker in (alice, bob):
        worker.wait_state("in_task")
    chat_pair_to_the_end(alice, bob, "hello", greeted=False)
    assert [actions(runner.handler, w) for w in ("AWORKERANA", "AWORKERBEN")] == [[], []]  # nothing submitted yet
    for assignment_id in (ana, ben):
        fake.submit(assignment_id, {"parley_done": "true"})
    assert runner.manager.wait(30)

    for worker_id, assignment_id in (("AWORKERANA", ana), ("AWORKERBEN", ben)):
        assert actions(runner.handler, worker_id) == [(ReviewAction.BONUS, ReviewOutcome.SUCCEEDED, "world"),
                                                      (ReviewAction.APPROVE, ReviewOutcome.SUCCEEDED, "world")]
        assert fake.assignments[assignment_id]["AssignmentStatus"] == "Approved"
    assert sorted((b["AssignmentId"], b["BonusAmount"]) for b in fake.bonuses) == sorted([(ana, "0.30"), (ben, "0.30")])
