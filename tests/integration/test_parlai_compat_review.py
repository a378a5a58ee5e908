"""A ParlAI-MTurk task folder (examples/parlai_mturk/qa_collection) on the fake MTurk from
HIT to payment: the worker accepts on the marketplace, works over the real websocket and
submits there; the world's review_work approval and run.py's bonus reach the marketplace
once each, audited once. And the compat arguments that must do what they say: pay_bonus's
unique_request_token, `-t/--task`, `--local`, ready_to_accept_workers(timeout_seconds)."""
from __future__ import annotations

import pytest

from crowd.review import ReviewRefused
from datastore.states import ReviewAction
from parlai_compat.core.params import ParlaiParser
from parlai_compat.mturk.core.mturk_manager import MTurkManager, NotSupported
from tests.integration.test_parlai_compat_tasks import (
    EXAMPLE,
    MTURK_FLAGS,
    accepted_on_mturk,
    ask_and_answer,
    onboard,
    open_link,
    qa_manager,
    wait_until,
)


def test_on_the_fake_mturk_the_submitted_work_is_approved_once_by_review_work_and_bonused_once(store_url, aws_env):
    fake = aws_env
    with qa_manager(store_url, flags=MTURK_FLAGS) as (manager, thread):
        task_manager = manager.task_manager
        assignment_id, alice = accepted_on_mturk(manager, fake, "AWORKERALICE")
        assert alice.config["submit"]["kind"] == "form"  # the page submits on MTurk
        onboard(alice, "atlases")
        ask_and_answer(alice, "Where does the Rhine rise?", "In the Swiss Alps.")
        fake.submit(assignment_id, {"parley_done": "true"})  # the page's externalSubmit, on MTurk
        thread.join(60)
        alice.close()
        assert not thread.is_alive(), "start_task did not return once the run had its conversation"

        handler = task_manager.handler
        assert fake.assignments[assignment_id]["AssignmentStatus"] == "Approved"
        assert handler.get_assignment_data(assignment_id)["status"] == "approved"
        approvals = [a for a in handler.get_review_actions(assignment_id=assignment_id)
                     if a["action"] == ReviewAction.APPROVE]
        assert [(a["actor"], a["outcome"]) for a in approvals] == [("world", "succeeded")]

        first = manager.pay_bonus("AWORKERALICE", 0.75, assignment_id, "a clear question",
                                  unique_request_token="qa-bonus-1")
        again = manager.pay_bonus("AWORKERALICE", 0.75, assignment_id, "a clear question",
                                  unique_request_token="qa-bonus-1")
        assert first.succeeded and again.repeated and again.action["id"] == first.action["id"]
        assert [(b["AssignmentId"], b["BonusAmount"]) for b in fake.bonuses] == [(assignment_id, "0.75")]
        with pytest.raises(ReviewRefused, match="already paid a bonus of \\$0.75 under another request token"):
            manager.pay_bonus("AWORKERALICE", 0.75, assignment_id, "a clear question",
                              unique_request_token="qa-bonus-2")
        assert len(fake.bonuses) == 1
        bonuses = [a for a in handler.get_review_actions(assignment_id=assignment_id)
                   if a["action"] == ReviewAction.BONUS]
        assert len(bonuses) == 1 and bonuses[0]["amount_cents"] == 75

        # A message (MTurk emails workers whose work was reviewed) and a hard block, once each.
        for _ in range(2):
            assert manager.email_worker("AWORKERALICE", "Thanks", "Your question was a clear one.") == {
                "success": "True"}
        assert [(n["WorkerId"], n["Subject"]) for n in fake.notifications] == [("AWORKERALICE", "Thanks")]
        assert manager.block_worker("AWORKERALICE", "asked the same question in every HIT").succeeded
        assert manager.block_worker("AWORKERALICE", "asked the same question in every HIT").repeated
        assert fake.blocks == {"AWORKERALICE": "asked the same question in every HIT"}


def finished_assignment(manager: MTurkManager, thread) -> str:
    """One local worker does the example's task to the end (review_work approves it)."""
    task_manager = manager.task_manager
    worker = open_link(wait_until(lambda: task_manager.run_id and task_manager.provider.worker_links())[0])
    onboard(worker, "poems")
    ask_and_answer(worker, "Where is Puebla?", "In Mexico.")
    thread.join(30)
    worker.close()
    [pairing] = task_manager.handler.get_pairings_for_run(task_manager.run_id)
    return pairing["assignment_id"]


def test_a_unique_request_token_names_one_bonus_its_repeat_answers_it_and_another_is_refused(store_url):
    with qa_manager(store_url) as (manager, thread):
        assignment = finished_assignment(manager, thread)
        worker = "local-worker-1"
        handler = manager.task_manager.handler
        provider = manager.task_manager.provider
        first = manager.pay_bonus(worker, "0.40", assignment, "thorough", unique_request_token="bonus-7")
        assert first.succeeded and not first.repeated
        again = manager.pay_bonus(worker, "0.40", assignment, "thorough", unique_request_token="bonus-7")
        assert again.repeated and again.action["id"] == first.action["id"]
        with pytest.raises(ReviewRefused, match="token 'bonus-7' was used for another bonus \\(\\$0.40 for "
                                                f"assignment {assignment}\\); nothing was paid now"):
            manager.pay_bonus(worker, "0.90", assignment, "thorough", unique_request_token="bonus-7")
        with pytest.raises(ReviewRefused, match=f"assignment {assignment} was already paid a bonus of \\$0.40 "
                                                "under another request token; it cannot get another"):
            manager.pay_bonus(worker, "0.40", assignment, "thorough", unique_request_token="bonus-8")
        with pytest.raises(ReviewRefused, match="a token must be 1 to 64 characters"):
            manager.pay_bonus(worker, "0.40", assignment, "thorough", unique_request_token="x" * 65)
        # Without a token, the same amount and reason are the same bonus, as everywhere in Parley.
        assert manager.pay_bonus(worker, "0.40", assignment, "thorough").repeated
        bonuses = [a for a in handler.get_review_actions(assignment_id=assignment) if a["action"] == ReviewAction.BONUS]
        assert [(b["amount_cents"], b["actor"]) for b in bonuses] == [(40, "run.py")]
        assert [c["action"] for c in provider.calls].count("bonus") == 1


def test_the_task_flag_names_the_run_and_ready_to_accept_workers_waits_for_the_chat_server(store_url, capsys):
    parser = ParlaiParser(True, False)
    parser.add_mturk_args()
    opt = parser.parse_args(["-t", "renamed_qa", "--db", store_url, "--local"])
    manager = MTurkManager({**opt, "task_dir": str(EXAMPLE)}, ["Worker"])
    manager.setup_server()
    try:
        assert manager.task_manager.task.name == "renamed_qa"
        assert manager.task_manager.provider.name == "local"
        manager.ready_to_accept_workers(timeout_seconds=10)  # it answers: returns
        url = manager.server.url
        manager.server.stop()  # the chat server no longer answers
        capsys.readouterr()
        with pytest.raises(NotSupported) as refused:
            manager.ready_to_accept_workers(timeout_seconds=0.5)
        assert f"the chat server at {url} did not answer within 0.5 s" in str(refused.value)
        assert capsys.readouterr().err.startswith("parley: error: the chat server")
    finally:
        manager.server = None
        manager.shutdown()
