"""The waiting room's timeout: a worker nobody is paired with within --max-wait is released,
may submit, is paid the waiting bonus once, and the run carries on without them."""
import time

import pytest

from crowd.mturk.provider import MTurkProvider, client_config
from crowd.options import RunOptions
from datastore import MTurkDataHandler
from runner.cli import main as runner_main
from runner.manager import RELEASED_TEXT
from tests.fakes.mturk_server import FakeMTurk
from tests.integration.test_mturk_provider import PAIR_CHAT, settings, work
from tests.support.live_runner import LiveRunner, chat_pair_to_the_end


def bonuses(runner, assignment_id):
    return [a for a in runner.handler.get_review_actions(assignment_id=assignment_id) if a["action"] == "bonus"]


def test_a_lone_worker_is_released_paid_the_waiting_bonus_once_and_a_later_pair_completes_the_run(store_url):
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1, max_wait=1.0, waiting_bonus="0.25")
    try:
        lone = runner.join("LONE", assignment_id="A-LONE")
        lone.wait_state("waiting")
        released = lone.wait_state("released", timeout=10)
        assert released["text"] == RELEASED_TEXT
        assert runner.handler.get_assignment_data("A-LONE")["status"] == "released"
        assert bonuses(runner, "A-LONE") == []  # paid once they submit, not before
        lone.send_frame({"type": "done"})
        lone.wait_state("submitted")
        lone.send_frame({"type": "done"})  # pressed twice: still one payment
        time.sleep(0.3)
        paid = bonuses(runner, "A-LONE")
        assert [(b["amount_cents"], b["outcome"], b["actor"]) for b in paid] == [(25, "succeeded", "runner")]
        assert [c for c in runner.provider.calls if c["action"] == "bonus"] == [
            {"provider": "local", "action": "bonus", "ok": True, "worker_id": "LONE", "assignment_id": "A-LONE",
             "amount_cents": 25, "token": paid[0]["token"]}]
        assert runner.handler.get_assignment_data("A-LONE")["status"] == "submitted"
        assert runner.manager._pay_waiting_bonus(runner.manager.released[0]) is None  # asked again: pays nothing
        assert len([c for c in runner.provider.calls if c["action"] == "bonus"]) == 1

        alice, bob = runner.join("W1"), runner.join("W2")
        alice.wait_state("in_task")
        bob.wait_state("in_task")
        chat_pair_to_the_end(alice, bob, "hello")
        assert runner.manager.wait(15)
        run = runner.handler.get_run_data(runner.run_id)
        assert run["status"] == "completed"
        assert [p["conversation_id"] for p in runner.handler.get_pairings_for_run(runner.run_id)
                if p["worker_id"] == "LONE" and p["conversation_id"]] == []  # the world never started for them
        assert len(bonuses(runner, "A-LONE")) == 1
    finally:
        runner.stop()


def test_a_released_assignment_can_be_reviewed_like_submitted_work(store_url):
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1, max_wait=0.5, waiting_bonus="0")
    try:
        lone = runner.join("LONE", assignment_id="A-LONE")
        lone.wait_state("released", timeout=10)
        assert runner.manager.review.approve("A-LONE", actor="tester").succeeded
        assert runner.handler.get_assignment_data("A-LONE")["status"] == "approved"
        lone.send_frame({"type": "done"})
        assert bonuses(runner, "A-LONE") == []  # --waiting-bonus 0: none
    finally:
        runner.stop()


def test_a_pair_that_meets_in_time_is_never_released(store_url):
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1, max_wait=1.5)
    try:
        alice = runner.join("W1")
        alice.wait_state("waiting")
        time.sleep(0.5)
        bob = runner.join("W2")
        alice.wait_state("in_task")
        bob.wait_state("in_task")
        time.sleep(1.5)
        assert runner.manager.released == []
        assert all(f.get("state") != "released" for f in alice.frames + bob.frames)
    finally:
        runner.stop()


def test_max_wait_zero_waits_forever(store_url):
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1, max_wait=0)
    try:
        lone = runner.join("LONE", assignment_id="A-LONE")
        lone.wait_state("waiting")
        time.sleep(1.5)
        assert runner.manager.released == []
        assert runner.handler.get_assignment_data("A-LONE")["status"] == "waiting"
    finally:
        runner.stop()


def test_the_default_waiting_bonus_pays_the_wait_at_the_us_federal_minimum_wage():
    assert RunOptions().max_wait == 300
    assert RunOptions().waiting_bonus_cents == 61  # 5 minutes at $7.25/hour, rounded up
    assert RunOptions(max_wait=600).waiting_bonus_cents == 121
    assert RunOptions(max_wait=0).waiting_bonus_cents == 0
    assert RunOptions(waiting_bonus="1.10").waiting_bonus_cents == 110


@pytest.mark.parametrize(("flags", "sentence"), [
    (["--max-wait", "-1"], "--max-wait must be a number of seconds, 0 (wait forever) or more"),
    (["--max-wait", "nan"], "--max-wait must be a number of seconds, 0 (wait forever) or more"),
    (["--waiting-bonus", "-0.50"], "--waiting-bonus: '-0.50' is negative"),
    (["--waiting-bonus", "lots"], "--waiting-bonus: 'lots' is not an amount of dollars"),
])
def test_bad_waiting_flags_are_refused_with_a_sentence_and_nothing_runs(store_url, capsys, flags, sentence):
    assert runner_main(["run", "tests/support/tasks/pair_chat", "--db", store_url, *flags]) == 2
    assert sentence in capsys.readouterr().err
    assert MTurkDataHandler(db_url=store_url).get_all_run_data() == []


def test_on_mturk_a_released_worker_is_paid_the_waiting_bonus_once_their_submission_is_read_back(store_url):
    with FakeMTurk() as fake:
        provider = MTurkProvider(is_sandbox=True, client=fake.client(config=client_config()),
                                 settings=settings("http://127.0.0.1", submit_grace_seconds=5))
        runner = LiveRunner(store_url, str(PAIR_CHAT), provider=provider, num_conversations=1, reward="0.50",
                            max_wait=1.0, waiting_bonus="0.30")
        try:
            hits_before = len(provider.hit_ids)
            assignment, lone = work(runner, fake, "AWORKERLONE", provider.hit_ids[0])
            lone.wait_state("released", timeout=10)
            assert len(provider.hit_ids) == hits_before + 1  # its HIT replaced, so the run can still fill
            lone.send_frame({"type": "done"})
            lone.wait_state("submitted")
            assert fake.bonuses == []  # MTurk pays bonuses only on submitted work: not yet
            fake.submit(assignment, {"done": "yes"})  # the page's externalSubmit form, on MTurk
            runner.manager.shutdown()
            assert runner.manager.wait(15)
            assert [(b["WorkerId"], b["AssignmentId"], b["BonusAmount"]) for b in fake.bonuses] == [
                ("AWORKERLONE", assignment, "0.30")]
            [paid] = bonuses(runner, assignment)
            assert (paid["outcome"], paid["amount_cents"]) == ("succeeded", 30)
        finally:
            runner.stop()
