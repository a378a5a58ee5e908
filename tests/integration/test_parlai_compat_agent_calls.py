"""The effect of the MTurkAgent and MTurkManager calls a ParlAI world or run.py makes that
the example tasks do not: a rejection from the world or from run.py (once, audited, reaching
the provider), `act(timeout=...)` answering TIMEOUT_MESSAGE for a silent worker,
`act(blocking=False)` answering at once, `un_soft_block_worker` lifting only the soft block
it names, the guide's flags becoming the run's options, and
`expire_all_unassigned_hits()` stopping a run that has not ended and expiring its HITs."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from crowd.review import ReviewRefused
from datastore.states import HitStatus, ReviewAction
from parlai_compat.core.params import ParlaiParser
from parlai_compat.mturk.core.agents import TIMEOUT_MESSAGE, MTurkAgent
from parlai_compat.mturk.core.mturk_manager import MTurkManager
from tests.integration.test_parlai_compat_tasks import EXAMPLE
from tests.support.live_runner import Worker
from tests.support.parlai_compat import open_link, task_started, the_one_role, wait_until

TaskFunction = Callable[[MTurkManager, dict[str, Any], list[MTurkAgent]], Any]


@contextmanager
def compat_run(store_url: str, task_function: TaskFunction, **config: Any,
               ) -> Iterator[tuple[MTurkManager, threading.Thread]]:
    """A one-worker run with no onboarding whose task function is `task_function`, driven
    as a run.py drives it, start_task on a thread of its own; `config`: task config keys."""
    parser = ParlaiParser(False, False)
    parser.add_mturk_args()
    opt = parser.parse_args(["-nc", "1", "--db", store_url])
    opt.update(task="compat_calls", task_dir=str(EXAMPLE), **config)
    manager = MTurkManager(opt, ["Worker"])
    manager.setup_server()
    manager.set_onboard_function(None)
    with task_started(manager, None, the_one_role, task_function) as thread:
        yield manager, thread


def first_worker(manager: MTurkManager) -> Worker:
    task_manager = manager.task_manager
    assert task_manager is not None
    worker = open_link(wait_until(lambda: task_manager.run_id and task_manager.provider.worker_links())[0])
    worker.wait_state("in_task")
    return worker


def say_and_finish(worker: Worker, text: str) -> None:
    worker.say(text)
    worker.wait_state("done")
    worker.send_frame({"type": "done"})


@contextmanager
def one_answer(store_url: str, text: str) -> Iterator[tuple[MTurkManager, Worker]]:
    """A run whose world takes one message: its worker sends `text` and submits, and the run ends."""
    with compat_run(store_url, lambda mturk_manager, opt, workers: workers[0].act()) as (manager, thread):
        worker = first_worker(manager)
        say_and_finish(worker, text)
        thread.join(30)
        worker.close()
        yield manager, worker


def test_a_world_rejecting_its_worker_rejects_the_assignment_once_with_the_reason(store_url):
    def reject_twice(mturk_manager, opt, workers):
        workers[0].act()
        workers[0].reject_work("answered with a single letter")
        workers[0].reject_work("answered with a single letter")

    with compat_run(store_url, reject_twice) as (manager, thread):
        worker = first_worker(manager)
        say_and_finish(worker, "x")
        thread.join(30)
        worker.close()
        handler = manager.task_manager.handler
        assignment_id = worker.config["assignment_id"]
        assert wait_until(lambda: manager.get_agent_work_status(assignment_id) == "rejected")
        [rejection] = [a for a in handler.get_review_actions(assignment_id=assignment_id)
                       if a["action"] == ReviewAction.REJECT]
        assert (rejection["actor"], rejection["outcome"]) == ("world", "succeeded")
        assert "single letter" in rejection["reason"]
        [call] = [c for c in manager.task_manager.provider.calls if c["action"] == "reject"]
        assert call["assignment_id"] == assignment_id


def test_run_py_rejecting_work_rejects_once_and_an_approval_after_it_is_refused(store_url):
    with one_answer(store_url, "a thin answer") as (manager, worker):
        assignment_id = worker.config["assignment_id"]
        wait_until(lambda: manager.get_agent_work_status(assignment_id) == "submitted")

        first = manager.reject_work(assignment_id, "did not answer the question")
        assert first.succeeded
        assert manager.reject_work(assignment_id, "did not answer the question").repeated
        with pytest.raises(ReviewRefused):
            manager.approve_work(assignment_id)
        assert manager.get_agent_work_status(assignment_id) == "rejected"
        verdicts = [a["action"] for a in manager.task_manager.handler.get_review_actions(assignment_id=assignment_id)]
        assert verdicts.count(ReviewAction.REJECT) == 1 and ReviewAction.APPROVE not in verdicts
        # ParlAI's way to change its mind: approve_work(override_rejection=True).
        assert manager.approve_work(assignment_id, override_rejection=True).succeeded
        assert manager.get_agent_work_status(assignment_id) == "approved"


def test_act_with_a_timeout_answers_the_timeout_message_when_the_worker_says_nothing(store_url):
    answers: list[dict[str, Any]] = []

    def wait_briefly(mturk_manager, opt, workers):
        answers.append(workers[0].act(timeout=0.5))

    with compat_run(store_url, wait_briefly) as (manager, thread):
        worker = first_worker(manager)
        thread.join(30)
        assert not thread.is_alive(), "start_task did not return after the worker timed out"
        assert [a["text"] for a in answers] == [TIMEOUT_MESSAGE]
        assert manager.get_agent_work_status(worker.config["assignment_id"]) == "timeout"
        worker.close()


def test_expire_all_unassigned_hits_stops_a_run_that_has_not_ended_and_expires_its_hits(store_url):
    started = threading.Event()

    def wait_for_ever(mturk_manager, opt, workers):
        started.set()
        workers[0].act()

    with compat_run(store_url, wait_for_ever) as (manager, thread):
        worker = first_worker(manager)
        assert started.wait(15)
        task_manager = manager.task_manager
        manager.expire_all_unassigned_hits()
        thread.join(30)
        assert not thread.is_alive(), "start_task did not return once the run was stopped"
        assert task_manager.finished.is_set()
        hits = task_manager.handler.get_hits_for_run(task_manager.run_id)
        assert hits and {hit["hit_status"] for hit in hits} == {HitStatus.DISPOSED}
        assert any(c["action"] == "expire" for c in task_manager.provider.calls)
        assert worker.wait_for(lambda f: f["type"] == "state" and f["state"] not in ("in_task", "waiting"))
        worker.close()


def test_act_not_blocking_answers_none_at_once_until_the_worker_has_sent_a_message(store_url):
    polled: list[Any] = []
    asked = threading.Event()
    sent = threading.Event()

    def poll(mturk_manager, opt, workers):
        polled.append(workers[0].act(blocking=False))  # nothing sent yet
        asked.set()
        assert sent.wait(15)
        polled.append(wait_until(lambda: workers[0].act(blocking=False)))
        polled.append(workers[0].act(blocking=False))  # nothing more

    with compat_run(store_url, poll, free_chat=True) as (manager, thread):
        worker = first_worker(manager)
        assert asked.wait(15)
        sent.set()
        say_and_finish(worker, "sent unasked")  # polling never timed them out: their task ends as done
        thread.join(30)
        assert not thread.is_alive(), "start_task did not return"
        assert polled[0] is None and polled[2] is None
        assert polled[1]["text"] == "sent unasked"
        assert manager.get_agent_work_status(worker.config["assignment_id"]) == "submitted"
        worker.close()


def test_un_soft_block_lifts_only_the_soft_block_its_qualification_names_and_a_hard_block_stays(store_url):
    with one_answer(store_url, "done here") as (manager, _):
        handler = manager.task_manager.handler
        worker_id = "local-worker-1"
        run_block = manager.task_manager.block_qualification

        def blocks() -> set[tuple[str, str | None]]:
            names = {}
            for name in (run_block, "noisy_workers"):
                qualification = handler.get_qualification(name, False)
                if qualification is not None:
                    names[qualification["id"]] = name
            return {(b["kind"], names.get(b["qualification_id"])) for b in handler.get_blocks_for_worker(worker_id)}

        assert manager.soft_block_worker(worker_id).succeeded  # the run's block qualification
        assert manager.soft_block_worker(worker_id, "noisy_workers").succeeded
        assert manager.block_worker(worker_id, "spam").succeeded
        assert blocks() == {("soft", run_block), ("soft", "noisy_workers"), ("hard", None)}

        assert manager.un_soft_block_worker(worker_id, "noisy_workers").succeeded
        assert blocks() == {("soft", run_block), ("hard", None)}
        assert manager.un_soft_block_worker(worker_id).succeeded
        assert blocks() == {("hard", None)}  # block_worker's hard block stays
        [*_, lift] = [c for c in manager.task_manager.provider.calls if c["action"] == "unblock"]
        assert lift["hard"] is False and lift["qualifications"] == [run_block]


def test_each_of_the_guides_flags_becomes_the_run_option_of_the_same_name(store_url):
    parser = ParlaiParser(False, False)
    parser.add_mturk_args()
    opt = parser.parse_args([
        "--db", store_url, "-nc", "3", "-r", "0.25", "--unique", "--unique-qual-name", "ever_done",
        "--allowed-conversations", "2", "--count-complete", "--max-connections", "7", "--max-time", "600",
        "--max-time-qual", "out_of_time", "--disconnect-qualification", "leaves_often", "--hard-block",
        "--block-qualification", "kept_out", "--auto-approve-delay", "3600"])
    manager = MTurkManager({**opt, "task": "compat_flags", "task_dir": str(EXAMPLE)}, ["Worker"])
    manager.setup_server()
    try:
        options = manager.task_manager.options
        assert (options.num_conversations, options.reward, options.unique, options.unique_qual_name) == (
            3, "0.25", True, "ever_done")
        assert (options.allowed_conversations, options.count_complete, options.max_connections) == (2, True, 7)
        assert (options.max_time, options.max_time_qual) == (600, "out_of_time")
        assert (options.disconnect_qualification, options.hard_block, options.block_qualification) == (
            "leaves_often", True, "kept_out")
        assert options.auto_approve_delay == 3600
        assert manager.task_manager.provider.name == "local"
    finally:
        manager.shutdown()
