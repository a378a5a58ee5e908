"""Whole runs on the fake Prolific (tests/fakes/prolific_server.py): a published study,
participants who take it there and open the study URL, chat over the real websocket, are
sent back to Prolific with the completion code for how their task ended, and are then
reviewed, paid and blocked through the review service. Also: a participant who returns
the study on Prolific's own pages mid-conversation."""
from __future__ import annotations

import pytest

from crowd.prolific.provider import completion_code
from crowd.review import ReviewService
from tests.fakes.prolific_server import ActionRefused
from tests.support.live_runner import LiveRunner, chat_pair_to_the_end
from tests.support.mturk import PAIR_CHAT
from tests.support.prolific import come_back_with_code, published_study, take_part
from tests.support.review_races import at_once

LONG_REASON = ("You did not take part in the conversation as the instructions asked: you sent one greeting "
               "and left the rest to your partner.")


@pytest.fixture
def prolific(fake_prolific):
    return fake_prolific


@pytest.fixture
def prolific_run(store_url, handler, prolific):
    runs: list[LiveRunner] = []

    def start(**options) -> LiveRunner:
        provider = published_study(store_url, handler, str(PAIR_CHAT), "-r", "0.50")
        runs.append(LiveRunner(store_url, str(PAIR_CHAT), provider=provider,
                               **{"num_conversations": 1, "reward": "0.50", **options}))
        return runs[-1]

    yield start
    for run in runs:
        run.stop()


def test_a_whole_prolific_run_chat_completion_codes_review_bonus_and_block(prolific_run, prolific, store_url):
    run = prolific_run()
    [study_id] = run.provider.hit_ids
    study = prolific.study(study_id)
    assert study["status"] == "ACTIVE" and study["total_available_places"] == 4  # a pair and as many spares
    assert study["external_study_url"].startswith(f"{run.server.url}/task/{run.run_id}?PROLIFIC_PID=")

    s1, alice = take_part(run, prolific, "PALICE")
    s2, bob = take_part(run, prolific, "PBOB")
    alice.wait_state("in_task")
    bob.wait_state("in_task")
    chat_pair_to_the_end(alice, bob, "hello from Prolific")
    assert come_back_with_code(prolific, s1, alice, "done") == completion_code(run.run_id, "completed")
    come_back_with_code(prolific, s2, bob, "done")
    assert run.manager.wait(20)  # the run ends by itself

    h = run.handler
    assert h.get_run_data(run.run_id)["status"] == "completed"
    assert {h.get_assignment_data(s)["status"] for s in (s1, s2)} == {"submitted"}
    assert [(a["worker_id"], a["hit_id"]) for a in sorted(h.get_assignments_for_run(run.run_id),
                                                           key=lambda a: a["worker_id"])] == [
        ("PALICE", study_id), ("PBOB", study_id)]
    assert prolific.study(study_id)["status"] in ("AWAITING REVIEW", "COMPLETED")  # stopped: not recruiting
    texts = [m["text"] for m in h.get_full_conversation_data(run.run_id, "t_1", False)["messages"]]
    assert texts == ["You are Alice.", "You are Bob.", "hello from Prolific", "hi", "bye"]

    review = ReviewService(h, lambda _run: run.provider)
    balance = prolific.balance
    assert review.approve(s1, actor="t").succeeded
    assert prolific.balance < balance  # approving pays the reward and Prolific's fees
    assert review.reject(s2, actor="t", reason=LONG_REASON).succeeded
    assert (prolific.submission(s1)["status"], prolific.submission(s2)["status"]) == ("APPROVED", "REJECTED")
    assert prolific.submission(s2)["rejection"]["message"] == LONG_REASON
    assert (h.get_assignment_data(s1)["status"], h.get_assignment_data(s2)["status"]) == ("approved", "rejected")

    racing = at_once(2, lambda: review.bonus(s1, "0.25", actor="t", reason="Friendly"))
    first, second = sorted(racing, key=lambda r: r.repeated)
    assert (first.repeated, second.repeated) == (False, True) and first.succeeded
    assert second.action["token"] == first.action["token"]  # the one bonus, seen while it was being paid
    assert review.bonus(s1, "0.25", actor="t", reason="Friendly").repeated
    assert [(p["participant_id"], p["amount"]) for p in prolific.bonus_payments] == [("PALICE", 25)]
    assert h.get_worker_assignment_pairing("PALICE", s1)["bonus_paid"]

    assert review.soft_block("PBOB", run_id=run.run_id, actor="t", reason="Left the chat to his partner",
                             qualification_name=run.manager.block_qualification).succeeded
    later = prolific_run()
    with pytest.raises(ActionRefused, match="blocklisted"):
        prolific.start_study(later.provider.hit_ids[0], "PBOB")
    prolific.start_study(later.provider.hit_ids[0], "PCAROL")  # somebody else may take it


@pytest.mark.parametrize(("leave", "recorded"), [("return_study", "returned"), ("time_out", "timeout")])
def test_a_participant_who_returns_the_study_or_times_out_mid_conversation_ends_it_for_the_partner(
        prolific_run, prolific, leave, recorded):
    run = prolific_run()
    s1, alice = take_part(run, prolific, "PALICE")
    s2, bob = take_part(run, prolific, "PBOB")
    for worker in (alice, bob):
        worker.wait_state("in_task")
        worker.wait_for(lambda f: f["type"] == "message" and f["act"].get("id") == "System")
    alice.say("hello")
    bob.wait_for(lambda f: f["type"] == "message" and f["act"].get("text") == "hello")

    getattr(prolific, leave)(s2)  # on Prolific's side: Bob's chat page never hears of it
    alice.wait_state("partner_disconnect")
    assert run.handler.get_assignment_data(s2)["status"] == recorded
    alice.send_frame({"type": "done"})
    alice.wait_state("submitted")
    assert come_back_with_code(prolific, s1, alice, "partner_disconnect") == completion_code(
        run.run_id, "partner_left")
    assert run.manager.wait(20)

    h = run.handler
    assert (h.get_assignment_data(s1)["status"], h.get_assignment_data(s2)["status"]) == ("submitted", recorded)
    messages = h.get_full_conversation_data(run.run_id, "t_1", False)["messages"]
    assert [m["text"] for m in messages if m["id"] == "Alice"] == ["hello"]  # what she did is kept
    review = ReviewService(h, lambda _run: run.provider)
    assert review.approve(s1, actor="t").succeeded  # and she is paid for it
    assert prolific.submission(s1)["status"] == "APPROVED"
    assert prolific.submission(s2)["status"] == {"returned": "RETURNED", "timeout": "TIMED-OUT"}[recorded]
