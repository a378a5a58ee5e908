"""Whole runs on the fake Prolific (tests/fakes/prolific_server.py): a published study,
participants who take it there and open the study URL, chat over the real websocket, are
sent back to Prolific with the completion code for how their task ended, and are then
reviewed, paid and blocked through the review service. Also: a participant who returns
the study on Prolific's own pages mid-conversation; how --max-connections opens places; a
launch refused once Prolific reads back its cost."""
from __future__ import annotations

import time

import pytest

from crowd.prolific.client import ProlificClient
from crowd.prolific.provider import completion_code, places_needed
from crowd.review import ReviewService
from runner.cli import main as runner_main
from tests.fakes.prolific_server import ActionRefused
from tests.support.live_runner import LiveRunner, chat_pair_to_the_end, task_with_config
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

    def start(*flags: str, **options) -> LiveRunner:
        provider = published_study(store_url, handler, str(PAIR_CHAT), "-r", "0.50", *flags)
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
    assert review.reject(s2, actor="t", reason=LONG_REASON, category="LOW_EFFORT").succeeded
    assert (prolific.submission(s1)["status"], prolific.submission(s2)["status"]) == ("APPROVED", "REJECTED")
    assert prolific.submission(s2)["rejection"] == {"message": LONG_REASON, "rejection_category": "LOW_EFFORT"}
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


def places_become(prolific, study_id: str, places: int) -> None:
    deadline = time.monotonic() + 10
    while prolific.study(study_id)["total_available_places"] != places and time.monotonic() < deadline:
        time.sleep(0.05)
    assert prolific.study(study_id)["total_available_places"] == places


def test_max_connections_opens_that_many_places_and_one_more_as_each_participant_ends(prolific_run, prolific):
    run = prolific_run("--max-connections", "2", num_conversations=2, max_connections=2)
    [study] = run.provider.hit_ids
    assert (prolific.study(study)["status"], prolific.study(study)["total_available_places"]) == ("ACTIVE", 2)
    s1, alice = take_part(run, prolific, "P1")
    s2, bob = take_part(run, prolific, "P2")
    with pytest.raises(ActionRefused, match="no place left"):
        prolific.start_study(study, "P3")
    chat_pair_to_the_end(alice, bob, "hello from Prolific")
    places_become(prolific, study, 4)  # each participant who ended opened one more place
    come_back_with_code(prolific, s1, alice)
    come_back_with_code(prolific, s2, bob)
    s3, carol = take_part(run, prolific, "P3")
    s4, dan = take_part(run, prolific, "P4")
    chat_pair_to_the_end(carol, dan, "hello again")
    come_back_with_code(prolific, s3, carol)
    come_back_with_code(prolific, s4, dan)
    assert run.manager.wait(20)
    opened = [body["total_available_places"] for body in prolific.calls_of("update_study")]
    # One more place for each participant who ended while the run still took people: the
    # first pair's two; the second pair ends with the run, which lets nobody new in (only a
    # press of Done that beats the run's end to it opens one). Never past the 8 asked for.
    assert opened in ([3, 4], [3, 4, 5], [3, 4, 5, 6])
    assert prolific.study(study)["total_available_places"] <= places_needed(2, 2)
    statuses = {a["assignment_id"]: a["status"] for a in run.handler.get_assignments_for_run(run.run_id)}
    assert statuses == dict.fromkeys((s1, s2, s3, s4), "submitted")


def test_a_participant_who_returns_on_prolific_gets_their_place_back_from_prolific_so_none_is_added(
        prolific_run, prolific):
    run = prolific_run("--max-connections", "2", num_conversations=2, max_connections=2)
    [study] = run.provider.hit_ids
    s1, alice = take_part(run, prolific, "P1")
    alice.wait_state("waiting")
    prolific.return_study(s1)  # on Prolific's pages: it frees the place itself
    alice.wait_state("returned")
    _, bob = take_part(run, prolific, "P2")
    _, carol = take_part(run, prolific, "P3")  # in the place P1 gave back
    bob.wait_state("in_task")
    carol.wait_state("in_task")
    with pytest.raises(ActionRefused, match="no place left"):
        prolific.start_study(study, "P4")
    assert prolific.calls_of("update_study") == [] and prolific.study(study)["total_available_places"] == 2


def test_a_live_launch_prolific_costs_over_the_budget_exits_2_leaving_no_run_and_no_study(
        prolific, store_url, handler, capsys):
    # 1.50 a place plus Prolific's fee (33.3%) and the VAT on it: 2.10 a place, 8.40 for the 4
    # the run may open, though the draft opens only 2 (4.20) and the rewards alone (6.00) pass.
    code = runner_main(["run", str(PAIR_CHAT), "--provider", "prolific", "-r", "1.50", "--live", "--budget", "7.00",
                        "--max-connections", "2", "--public-url", "https://c.example", "--db", store_url])
    assert code == 2
    assert ("Prolific puts the study's cost at 8.40 for 4 place(s), over the budget 7.00; the draft was deleted "
            "and nothing published") in capsys.readouterr().err
    assert [body["total_available_places"] for body in prolific.calls_of("create_study")] == [2]
    assert ProlificClient(prolific.token, prolific.url).get("/api/v1/studies/")["results"] == []
    assert prolific.calls_of("transition_study") == []
    assert handler.get_all_run_data() == []


def test_a_filter_prolific_refuses_when_the_draft_is_made_exits_2_leaving_no_run_and_no_study(
        prolific, store_url, handler, capsys, tmp_path):
    task = task_with_config(tmp_path, participant_filters=[
        {"filter_id": "participant_group_allowlist", "selected_values": ["no-such-group"]}])
    code = runner_main(["run", str(task), "--provider", "prolific", "-r", "1.50", "--public-url",
                        "https://c.example", "--db", store_url])
    assert code == 2
    assert "Unknown participant group(s): no-such-group" in capsys.readouterr().err  # Prolific's 400
    assert len(prolific.calls_of("create_study")) == 1
    assert ProlificClient(prolific.token, prolific.url).get("/api/v1/studies/")["results"] == []
    assert handler.get_all_run_data() == []
