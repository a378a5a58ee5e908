"""Workers the run must turn away get a page that says why, and nothing is written for
them: unique, allowed_conversations, max_connections, max_time, blocks, onboarding."""
import html

from tests.support.live_runner import fetch, task_with_config


def refused(runner, worker_id, assignment_id, expected_reason, hit_id=None):
    """Open a worker's link, check the page refuses them with `expected_reason`, and that
    the refused assignment left no row behind."""
    page = fetch(runner.link(worker_id, assignment_id=assignment_id, hit_id=hit_id))
    assert page.status == 403
    assert expected_reason in html.unescape(page.html)
    assert 'id="parley-config"' not in page.html  # no chat, no token
    assert runner.handler.get_assignment_data(assignment_id) is None
    return page


def test_unique_refuses_a_second_assignment_of_the_same_worker(start):
    runner = start(num_conversations=2, unique=True)
    runner.join("W1", assignment_id="A1").wait_state("waiting")
    refused(runner, "W1", "A2", "You have already worked on this task; each worker may do it only once.")
    runner.join("W2", assignment_id="A3").wait_state("in_task")


def test_unique_also_holds_after_the_first_assignment_is_finished(start):
    runner = start(num_conversations=2, unique=True)
    alice = runner.join("W1", assignment_id="A1")
    alice.send_frame({"type": "return"})
    alice.wait_state("returned")
    refused(runner, "W1", "A2", "You have already worked on this task")


def test_a_unique_qual_name_keeps_a_worker_out_of_the_next_run_that_names_it(start):
    first = start(num_conversations=2, unique_qual_name="parley_once_ever")
    first.join("W1", assignment_id="A1").wait_state("waiting")
    second = start(num_conversations=2, unique_qual_name="parley_once_ever")
    refused(second, "W1", "A2", "You have already done a task of this kind; each worker may do it only once.")
    second.join("W2", assignment_id="A3").wait_state("waiting")


def test_allowed_conversations_caps_the_tasks_one_worker_has_open(start):
    runner = start(num_conversations=3, allowed_conversations=1)
    runner.join("W1", assignment_id="A1").wait_state("waiting")
    refused(runner, "W1", "A2", "You already have 1 of these tasks open; finish it before starting another.")
    runner.join("W2", assignment_id="A3").wait_state("in_task")


def test_allowed_conversations_counts_only_open_tasks(start):
    runner = start(num_conversations=3, allowed_conversations=1)
    first = runner.join("W1", assignment_id="A1")
    first.send_frame({"type": "return"})
    first.wait_state("returned")
    runner.join("W1", assignment_id="A2").wait_state("waiting")


def test_max_connections_refuses_workers_beyond_the_cap_until_one_leaves(start):
    runner = start(num_conversations=2, max_connections=1)
    first = runner.join("W1", assignment_id="A1")
    first.wait_state("waiting")
    refused(runner, "W2", "A2", "Too many workers are on this task right now. Please try again in a few minutes.")
    first.send_frame({"type": "return"})
    first.wait_state("returned")
    runner.join("W2", assignment_id="A3").wait_state("waiting")


def test_max_time_refuses_a_worker_over_todays_cap(start):
    runner = start(num_conversations=1, max_time=600)
    runner.handler.add_working_time("W1", 600)
    runner.handler.add_working_time("W2", 599)
    refused(runner, "W1", "A1", "You have reached today's time limit for this task.")
    runner.join("W2", assignment_id="A2").wait_state("waiting")


def test_max_time_counts_the_time_of_tasks_done_in_this_run(start):
    runner = start(num_conversations=2, max_time=600)
    runner.handler.add_working_time("W1", 599.9999)  # earlier today, just under the cap
    alice = runner.join("W1", assignment_id="A1")
    alice.wait_state("waiting")
    alice.send_frame({"type": "return"})  # the task adds its own time when it ends
    alice.wait_state("returned")
    assert runner.handler.get_working_time("W1") > 599.9999
    refused(runner, "W1", "A2", "You have reached today's time limit for this task.")


def test_a_worker_who_fails_onboarding_is_soft_blocked_and_refused_next_time(start):
    runner = start("onboarded_chat", num_conversations=1)
    worker = runner.join("W1", assignment_id="A1")
    worker.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "What is 2 + 2?")
    worker.say("5")
    state = worker.wait_state("expired")
    assert "did not qualify" in state["text"]
    h = runner.handler
    assert h.get_assignment_data("A1")["status"] == "expired"
    assert h.get_onboarding_data("A1")["passed"] in (False, 0)
    [block] = h.get_blocks_for_worker("W1")
    assert block["kind"] == "soft"
    assert h.get_qualification("parley_onboarded_chat_block", False)["id"] == block["qualification_id"]
    [audit] = h.get_review_actions(worker_id="W1")
    assert (audit["action"], audit["actor"], audit["outcome"]) == ("soft_block", "runner", "succeeded")
    refused(runner, "W1", "A2", "You are not able to work on this task.")


def test_a_worker_who_passes_onboarding_goes_on_to_wait_for_a_partner(start):
    runner = start("onboarded_chat", num_conversations=1)
    worker = runner.join("W1", assignment_id="A1")
    worker.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "What is 2 + 2?")
    worker.say("4")
    worker.wait_state("waiting")
    assert runner.handler.get_blocks_for_worker("W1") == []
    assert runner.handler.get_onboarding_data("A1")["passed"] in (True, 1)


def test_a_hard_blocked_worker_is_refused(start):
    runner = start(num_conversations=1)
    runner.handler.log_block("W1", "hard", False, reason="spam")
    refused(runner, "W1", "A1", "You are not able to work on this task.")


def test_an_assignment_opened_by_another_worker_is_refused(start):
    runner = start(num_conversations=1)
    runner.join("W1", assignment_id="A1").wait_state("waiting")
    page = fetch(runner.link("W2", assignment_id="A1"))
    assert page.status == 403
    assert "this assignment belongs to another worker" in page.html
    assert runner.handler.get_assignment_data("A1")["worker_id"] == "W1"


def test_a_link_to_a_hit_of_another_run_is_refused(start):
    runner = start(num_conversations=1)
    page = fetch(runner.provider.link("local-other-run-1", "W1", "A1"))
    assert page.status == 403
    assert "this link does not belong to this run" in page.html
    assert runner.handler.get_assignment_data("A1") is None


def test_a_finished_run_refuses_newcomers(start):
    runner = start(num_conversations=0)
    assert runner.manager.wait(5)
    refused(runner, "W1", "A1", "This task has all the conversations it needs now.", hit_id="local-any")


def test_a_worker_granted_one_of_the_tasks_blocking_qualifications_is_refused(start, tmp_path):
    runner = start(str(task_with_config(tmp_path, blocking_qualifications=["failed_the_test"])),
                   num_conversations=1)
    runner.handler.ensure_qualification("failed_the_test", False)
    runner.handler.grant_qualification("W1", "failed_the_test", False)
    runner.handler.ensure_qualification("failed_the_test", True)
    runner.handler.grant_qualification("W2", "failed_the_test", True)  # the sandbox's: not this run's
    refused(runner, "W1", "A1", "You are not able to work on this task.")
    runner.join("W2", assignment_id="A2").wait_state("waiting")
