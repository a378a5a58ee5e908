"""Run control through the store: a stop asked of a run reaches the runner serving it (which
stops as Ctrl-C does) or, when no runner serves it any more, ends it at once; a test run left
idle past its limit stops itself; a marketplace run's HITs are expired through its provider;
only ended test, sandbox and marketplace-free runs are discarded, and discarding hides them
from the dashboard's lists and keeps their data."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from crowd.orphans import STOPPED_BY_REVIEWER, what_happened
from crowd.run_control import (
    RunControlRefused,
    discard_run,
    expire_refusal,
    expire_run_hits,
    stop_run,
)
from datastore import IllegalTransition
from datastore.states import HitStatus, RunStatus, StopCause
from runner.cli import main
from runner.manager import STOPPED_TEXT
from tests.fakes.mturk_server import ActionRefused
from tests.integration.test_orphaned_runs import gone_pid, run_in_task, started_by
from tests.support.mturk import work


def test_a_stop_request_is_recorded_once_and_refused_for_an_ended_run(handler):
    handler.log_new_run(1, "pair_chat", "r1")
    assert handler.stop_requested("r1") is None
    assert handler.request_run_stop("r1", StopCause.REVIEWER) is True
    assert handler.request_run_stop("r1", StopCause.IDLE) is False  # the first cause is kept
    assert handler.stop_requested("r1") == StopCause.REVIEWER
    handler.log_end_run("r1", RunStatus.STOPPED)
    handler.log_new_run(1, "pair_chat", "r2")
    handler.log_end_run("r2", RunStatus.COMPLETED)
    with pytest.raises(IllegalTransition, match="already ended as 'completed'"):
        handler.request_run_stop("r2", StopCause.REVIEWER)
    assert handler.stop_requested("r2") is None


def test_a_runs_last_activity_moves_with_what_is_written_about_it(handler, clock):
    handler.log_new_run(1, "pair_chat", "r1")
    assert handler.run_last_activity("r1") == clock.now
    clock.now += 100
    run_in_task(handler, "r2", None)
    assert handler.run_last_activity("r1") == clock.now - 100  # another run's work is not this one's
    assert handler.run_last_activity("r2") == clock.now


def test_a_runner_in_this_or_another_process_stops_its_run_when_the_store_asks(start):
    runner = start("pair_chat", num_conversations=1)
    alice, bob = runner.join("alice"), runner.join("bob")
    for worker in (alice, bob):
        worker.wait_state("in_task")

    outcome = stop_run(runner.handler, runner.handler.get_run_data(runner.run_id))

    assert not outcome.ended and "was asked to stop it" in outcome.message
    assert runner.manager.wait(30), "the runner did not notice the stop request"
    run = runner.handler.get_run_data(runner.run_id)
    assert run["status"] == RunStatus.STOPPED and runner.manager.stopped_by == StopCause.REVIEWER
    for worker in (alice, bob):
        worker.wait_for(lambda f: f["type"] == "state" and f.get("text") == STOPPED_TEXT)
    assert {a["status"] for a in runner.handler.get_assignments_for_run(runner.run_id)} == {"interrupted"}
    assert {h["hit_status"] for h in runner.handler.get_hits_for_run(runner.run_id)} == {HitStatus.DISPOSED}


def test_a_stopped_runs_worlds_hear_their_workers_left_and_end_before_the_run_counts_as_finished(start):
    """A world waiting on a worker's turn when the run stops is told the worker was
    interrupted, so its conversation ends and is stored as ended before `wait()` answers, no
    world thread is left writing to the store, and no HIT is launched for the conversation
    that did not complete (--count-complete would otherwise relaunch one)."""
    runner = start("pair_chat", num_conversations=1, count_complete=True)
    alice, bob = runner.join("alice"), runner.join("bob")
    for worker in (alice, bob):
        worker.wait_state("in_task")
    alice.say("hello")  # the world now waits for bob's turn
    hits = len(runner.provider.hit_ids)

    runner.manager.shutdown()

    assert runner.manager.wait(30)
    assert [t.name for t in threading.enumerate() if t.name.startswith("world-")] == []
    [conversation] = runner.handler.get_conversations_for_run(runner.run_id)
    assert conversation["ended"] is not None
    assert {a["status"] for a in runner.handler.get_assignments_for_run(runner.run_id)} == {"interrupted"}
    assert len(runner.provider.hit_ids) == hits


def test_a_run_whose_runner_is_gone_is_stopped_at_once_by_whoever_asks(handler):
    run_in_task(handler, "died", started_by(socket.gethostname(), gone_pid()))

    outcome = stop_run(handler, handler.get_run_data("died"))

    assert outcome.ended and "No runner serves run died any more" in outcome.message
    run = handler.get_run_data("died")
    assert run["status"] == RunStatus.STOPPED and handler.stop_requested("died") == StopCause.REVIEWER
    assert [a["status"] for a in handler.get_assignments_for_run("died")] == ["interrupted"]
    assert {h["hit_status"] for h in handler.get_hits_for_run("died")} == {HitStatus.DISPOSED}
    interruption = run["config"]["interruption"]
    assert interruption["noticed_by"] == STOPPED_BY_REVIEWER
    assert f"; {STOPPED_BY_REVIEWER} found it at " in what_happened(interruption)
    with pytest.raises(RunControlRefused, match="already ended as stopped; there is nothing to stop"):
        stop_run(handler, handler.get_run_data("died"))


def test_a_test_run_nobody_touches_stops_itself_after_its_idle_limit_and_a_real_run_does_not(start):
    test_run = start("pair_chat", is_test=True, test_idle_minutes=0.02)  # 1.2 s
    real_run = start("pair_chat", is_test=False, test_idle_minutes=0.02)

    assert test_run.manager.wait(30), "the idle test run did not stop itself"
    assert test_run.handler.get_run_data(test_run.run_id)["status"] == RunStatus.STOPPED
    assert test_run.handler.stop_requested(test_run.run_id) == StopCause.IDLE
    assert test_run.manager.stopped_by == StopCause.IDLE
    # The real run has been idle just as long: the limit is for test runs only.
    assert not real_run.manager.finished.is_set()
    assert real_run.handler.stop_requested(real_run.run_id) is None


def test_expiring_a_marketplace_runs_hits_takes_them_down_and_the_run_goes_on(mturk_run, fake):
    run = mturk_run(options={"num_conversations": 1})
    handler = run.handler
    hit_id = run.provider.hit_ids[0]
    _, alice = work(run, fake, "AWORKER1", hit_id)
    alice.wait_state("waiting")

    expired = expire_run_hits(handler, handler.get_run_data(run.run_id), run.provider)

    assert expired == len(run.provider.hit_ids)
    with pytest.raises(ActionRefused, match="has expired"):
        fake.accept(hit_id, "AWORKER2")
    assert all(h["expiration"] <= time.time() for h in handler.get_hits_for_run(run.run_id))
    assert handler.get_run_data(run.run_id)["status"] == RunStatus.RUNNING
    assert handler.get_assignments_for_run(run.run_id)[0]["status"] == "waiting"  # the worker on it stays
    with pytest.raises(RunControlRefused, match="is open; there is nothing to expire"):
        expire_run_hits(handler, handler.get_run_data(run.run_id), run.provider)


def test_a_run_with_no_marketplace_has_no_hits_to_expire(handler):
    run_in_task(handler, "local_run", None)
    assert "has no marketplace" in expire_refusal(handler, handler.get_run_data("local_run"))


def test_only_ended_test_sandbox_or_marketplace_free_runs_are_discarded_and_lists_hide_them(handler):
    for run_id, options in (("test", {"is_test": True}), ("sandbox", {"provider": "mturk", "is_sandbox": True}),
                            ("local", {}), ("live", {"provider": "mturk", "is_sandbox": False})):
        handler.log_new_run(1, "pair_chat", run_id, **options)
    with pytest.raises(RunControlRefused, match="still running: stop it first"):
        discard_run(handler, handler.get_run_data("test"))
    for run_id in ("test", "sandbox", "local", "live"):
        handler.log_end_run(run_id, RunStatus.STOPPED)
    with pytest.raises(RunControlRefused, match="is a live run on a marketplace"):
        discard_run(handler, handler.get_run_data("live"))

    assert [discard_run(handler, handler.get_run_data(r)) for r in ("test", "sandbox", "local")] == [True] * 3
    assert discard_run(handler, handler.get_run_data("test")) is False

    listed = {r["run_id"] for r in handler.list_runs(include_tests=True)["items"]}
    assert listed == {"live"}
    everything = handler.list_runs(include_tests=True, include_discarded=True)["items"]
    assert {r["run_id"]: bool(r["discarded_at"]) for r in everything} == {
        "test": True, "sandbox": True, "local": True, "live": False}
    assert {r["run_id"] for r in handler.get_all_run_data()} == {"test", "sandbox", "local", "live"}  # data kept


def test_the_store_refuses_to_discard_a_running_run(handler):
    handler.log_new_run(1, "pair_chat", "r1", is_test=True)
    with pytest.raises(IllegalTransition, match="still running; stop it before discarding it"):
        handler.discard_run("r1")
    assert handler.list_runs(include_tests=True)["items"][0]["discarded_at"] is None


def test_python_m_runner_stop_stops_a_run_or_says_in_a_sentence_why_not(handler, store_url, capsys):
    run_in_task(handler, "died", started_by(socket.gethostname(), gone_pid()))

    assert main(["stop", "died", "--db", store_url]) == 0
    assert "No runner serves run died any more" in capsys.readouterr().out
    assert handler.get_run_data("died")["status"] == RunStatus.STOPPED
    assert main(["stop", "died", "--db", store_url]) == 2
    assert "error: Run died already ended as stopped; there is nothing to stop." in capsys.readouterr().err
    assert main(["stop", "nope", "--db", store_url]) == 2
    assert "error: there is no run 'nope'" in capsys.readouterr().err
