"""The multi-agent dialog example (examples/parlai_mturk/multi_agent_dialog), a ParlAI-MTurk
task folder on parlai_compat, run through its own run.py: two MTurk workers over the real
websocket and a bot take turns round robin until a worker ends a message with [DONE] (or
the rounds run out); the store holds every message in order under its speaker, ParlAI's
analysis script reads the conversation back, and review_work approved each worker once. On
the local provider and on the fake MTurk, where the workers submit and are approved."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from datastore import MTurkDataHandler
from datastore.states import ReviewAction
from examples.parlai_mturk.multi_agent_dialog import run as dialog_run
from examples.parlai_mturk.multi_agent_dialog.worlds import WAIT_FOR_PARTNERS, WELCOME
from tests.support.live_runner import Worker
from tests.support.parlai_compat import RunPy, open_link, parlai_analysis

SPEAKERS = ("Speaker 1", "Speaker 2")
ROUND_ONE = ("Shall we go to Lisbon for the weekend?", "Yes, and let's take the night train.")
ROUND_TWO = ("I will book the couchettes.", "Great, then it is settled. [DONE]")
BOT_AFTER_ROUND_ONE = ('Noted: Speaker 1 said "Shall we go to Lisbon for the weekend?"; '
                       'Speaker 2 said "Yes, and let\'s take the night train.". What else?')
PLANNED = [("Speaker 1", ROUND_ONE[0]), ("Speaker 2", ROUND_ONE[1]), ("Bot", BOT_AFTER_ROUND_ONE),
           ("Speaker 1", ROUND_TWO[0]), ("Speaker 2", ROUND_TWO[1])]


def onboard(worker: Worker, place: str) -> None:
    worker.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == WELCOME)
    worker.say(place)
    worker.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == WAIT_FOR_PARTNERS)


def sees(worker: Worker, speaker: str, text: str) -> None:
    worker.wait_for(lambda f: f["type"] == "message" and (f["act"]["id"], f["act"]["text"]) == (speaker, text))


def two_workers_plan_a_trip(first: Worker, second: Worker) -> None:
    """Onboard both (`first` waits, so gets Speaker 1), then two rounds with the bot, the
    second worker ending the second; each message is seen by the others before the next."""
    onboard(first, "the coast")
    first.wait_state("waiting")
    onboard(second, "the mountains")
    second.wait_state("in_task")
    early = second.say("Me first!", wait_ack=False)
    refused = second.wait_for(lambda f: f["type"] in ("ack", "error") and f.get("cid") == early)
    assert refused["type"] == "error", "Speaker 2 spoke before Speaker 1's turn"
    first.say(ROUND_ONE[0])
    sees(second, "Speaker 1", ROUND_ONE[0])
    second.say(ROUND_ONE[1])
    sees(first, "Speaker 2", ROUND_ONE[1])
    for worker in (first, second):
        sees(worker, "Bot", BOT_AFTER_ROUND_ONE)
    first.say(ROUND_TWO[0])
    sees(second, "Speaker 1", ROUND_TWO[0])
    second.say(ROUND_TWO[1])
    sees(first, "Speaker 2", ROUND_TWO[1])
    for worker in (first, second):
        worker.wait_state("done")
        worker.send_frame({"type": "done"})


def assert_planned_conversation_stored(handler: MTurkDataHandler, workers: dict[str, str],
                                       places: dict[str, str]) -> None:
    """The one conversation holds the planned messages in order under their speakers (the
    workers' with their assignments), its custom data the acts and the [DONE] ending, each
    worker's view their role and everything they saw or sent, their onboarding answer, and
    one approval each from review_work. `workers` maps each role to its worker."""
    [run] = handler.get_all_run_data()
    run_id = run["run_id"]
    pairings = {p["worker_id"]: p for p in handler.get_pairings_for_run(run_id)}
    assert set(pairings) == set(workers.values())
    assert {p["conversation_id"] for p in pairings.values()} == {"t_1"}
    full = handler.get_full_conversation_data(run_id, "t_1", False)
    assert [(m["id"], m["text"]) for m in full["messages"]] == PLANNED
    assert [m["worker_id"] for m in full["messages"]] == [workers[s] if s != "Bot" else None for s, _ in PLANNED]
    assert [(a["id"], a["text"]) for a in full["custom_data"]["acts"]] == PLANNED
    assert full["custom_data"]["ended_by"] == "done"
    for role, worker_id in workers.items():
        assignment_id = pairings[worker_id]["assignment_id"]
        view = handler.get_conversation_data(run_id, "t_1", worker_id, False)
        assert view["data"]["agent_id"] == role
        assert [(m["id"], m["text"]) for m in view["data"]["messages"]] == PLANNED
        assert handler.get_onboarding_data(assignment_id)["answers"] == {"wants_to_visit": places[role]}
        approvals = [a for a in handler.get_review_actions(assignment_id=assignment_id)
                     if a["action"] == ReviewAction.APPROVE]
        assert [(a["actor"], a["outcome"]) for a in approvals] == [("world", "succeeded")]
        assert handler.get_assignment_data(assignment_id)["status"] == "approved"

    [conversation] = parlai_analysis()["pairings_by_conv_run_id"].values()
    assert sorted(w["worker_id"] for w in conversation["workers_info"]) == sorted(workers.values())
    assert {w["review_status"] for w in conversation["workers_info"]} == {"approved"}
    assert {w["assign_data"]["data"]["agent_id"] for w in conversation["workers_info"]} == set(SPEAKERS)
    assert [(m["id"], m["text"]) for m in conversation["conv_info"]["messages"]] == PLANNED


def test_two_workers_and_the_bot_take_turns_until_one_ends_with_done_and_all_of_it_is_stored(
        store_url, store_env, capsys, monkeypatch):
    run = RunPy(dialog_run.main, ["-nc", "1", "--db", store_url], capsys, monkeypatch)
    first_link, second_link = run.wait_printed("worker link: ", count=2)
    first, second = open_link(first_link), open_link(second_link)
    try:
        two_workers_plan_a_trip(first, second)
        assert run.join(30), "run.py's main() did not return once its conversation was collected"
    finally:
        first.close()
        second.close()

    workers = {"Speaker 1": "local-worker-1", "Speaker 2": "local-worker-2"}
    places = {"Speaker 1": "the coast", "Speaker 2": "the mountains"}
    assert_planned_conversation_stored(MTurkDataHandler(db_url=store_url), workers, places)


def test_three_workers_from_the_options_take_one_round_with_the_bot_when_max_turns_is_one(
        store_url, store_env, capsys, monkeypatch):
    run = RunPy(dialog_run.main, ["-nc", "1", "--db", store_url, "--num-workers", "3", "--max-turns", "1"],
                capsys, monkeypatch)
    pages = [open_link(link) for link in run.wait_printed("worker link: ", count=3)]
    try:
        for page, place in zip(pages, ("a lake", "a forest", "a city")):
            onboard(page, place)
            page.wait_state("waiting" if page is not pages[-1] else "in_task")
        for index, page in enumerate(pages):
            page.say(f"I am speaker {index + 1}.")
        for page in pages:
            sees(page, "Bot", 'Noted: Speaker 1 said "I am speaker 1."; Speaker 2 said "I am speaker 2."; '
                              'Speaker 3 said "I am speaker 3.". What else?')
            page.wait_state("done")
            page.send_frame({"type": "done"})
        assert run.join(30), "run.py's main() did not return after the one round"
    finally:
        for page in pages:
            page.close()

    handler = MTurkDataHandler(db_url=store_url)
    [run_row] = handler.get_all_run_data()
    full = handler.get_full_conversation_data(run_row["run_id"], "t_1", False)
    assert [m["id"] for m in full["messages"]] == ["Speaker 1", "Speaker 2", "Speaker 3", "Bot"]
    assert full["custom_data"]["ended_by"] == "max_turns"
    statuses = {p["worker_id"]: handler.get_assignment_data(p["assignment_id"])["status"]
                for p in handler.get_pairings_for_run(run_row["run_id"])}
    assert statuses == {f"local-worker-{n}": "approved" for n in (1, 2, 3)}


def test_on_the_fake_mturk_two_workers_converse_with_the_bot_submit_there_and_are_approved_there(
        store_url, store_env, fake, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("PARLEY_MTURK_ENDPOINT", fake.url)
    run = RunPy(dialog_run.main, ["-nc", "1", "--db", store_url, "--provider", "mturk",
                                  "--live", "--public-url", "https://parley.example", "--budget", "5", "-r", "0.50"],
                capsys, monkeypatch)
    [server] = run.wait_printed("Chat server for multi_agent_dialog at ")
    hit_ids = [line.split(":")[0] for line in run.wait_printed("  HIT ", count=2)]
    pages, assignments = [], {}
    try:
        for worker_id, hit_id in zip(("AWORKERANA", "AWORKERBEN"), hit_ids):
            assignment_id = assignments[worker_id] = fake.accept(hit_id, worker_id)
            # MTurk's frame opens the HIT's ExternalURL, which names --public-url: here, the chat server
            task_url = urlsplit(fake.hits[hit_id]["ExternalURL"])._replace(scheme="http", netloc=urlsplit(server).netloc)
            query = urlencode({"assignmentId": assignment_id, "hitId": hit_id, "workerId": worker_id,
                               "turkSubmitTo": "https://www.mturk.com"})
            pages.append(open_link(f"{task_url.geturl()}{'&' if task_url.query else '?'}{query}"))
        two_workers_plan_a_trip(*pages)
        for page in pages:
            page.wait_state("submitted")
        ana, ben = assignments.values()
        fake.submit(ana, {"parley_done": "true"})  # the page's externalSubmit, on MTurk
        assert fake.assignments[ana]["AssignmentStatus"] == "Submitted"  # the run waits for Ben's submit
        fake.submit(ben, {"parley_done": "true"})
        assert run.join(30), "run.py's main() did not return once its workers submitted"
    finally:
        for page in pages:
            page.close()

    workers = {"Speaker 1": "AWORKERANA", "Speaker 2": "AWORKERBEN"}
    places = {"Speaker 1": "the coast", "Speaker 2": "the mountains"}
    assert_planned_conversation_stored(MTurkDataHandler(db_url=store_url), workers, places)
    for assignment_id in assignments.values():  # review_work's approval, after the submit, reached MTurk
        on_mturk = fake.assignments[assignment_id]
        assert on_mturk["AssignmentStatus"] == "Approved"
        assert on_mturk["ApprovalTime"] >= on_mturk["SubmitTime"]
    approved = sorted(call["AssignmentId"] for call in fake.calls_of("ApproveAssignment"))
    assert approved == sorted(assignments.values())


def test_a_worker_who_returns_the_hit_while_their_partner_is_to_speak_ends_the_round_robin_unapproved(
        store_url, store_env, capsys, monkeypatch):
    """ParlAI's MTurkAgent answers MTURK_DISCONNECT_MESSAGE when another worker of the
    conversation left, which the world's check of the three leave messages ends on: the
    partner's leave is neither a message of theirs nor stored, and review_work approves nobody."""
    run = RunPy(dialog_run.main, ["-nc", "1", "--db", store_url], capsys, monkeypatch)
    first, second = (open_link(link) for link in run.wait_printed("worker link: ", count=2))
    try:
        onboard(first, "the coast")
        first.wait_state("waiting")
        onboard(second, "the mountains")
        first.say(ROUND_ONE[0])
        second.say(ROUND_ONE[1])
        sees(first, "Bot", BOT_AFTER_ROUND_ONE)
        first.wait_turn()
        second.send_frame({"type": "return"})
        second.wait_state("returned")
        first.wait_state("partner_disconnect")
        first.send_frame({"type": "done"})
        assert run.join(30), "run.py's main() did not return once its conversation ended"
    finally:
        first.close()
        second.close()

    handler = MTurkDataHandler(db_url=store_url)
    [run_row] = handler.get_all_run_data()
    full = handler.get_full_conversation_data(run_row["run_id"], "t_1", False)
    assert [(m["id"], m["text"]) for m in full["messages"]] == PLANNED[:3]
    assert [(a["id"], a["text"]) for a in full["custom_data"]["acts"]] == PLANNED[:3]
    assert full["custom_data"]["ended_by"] == "left"
    assert [a for a in handler.get_review_actions(run_id=run_row["run_id"]) if a["action"] == ReviewAction.APPROVE] == []
