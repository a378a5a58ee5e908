"""A run served by `python -m runner run` in its own process is stopped from the dashboard of
`python server.py`, another process: the stop goes through the store, the runner notices it
within seconds and stops as Ctrl-C does (its workers are told, their work kept, its HITs
released, the run marked stopped). A run whose runner was killed is stopped by the webapp
itself, since no runner is left to notice."""
from __future__ import annotations

import json

from datastore import MTurkDataHandler
from datastore.states import HitStatus, RunStatus, StopCause
from runner.manager import STOPPED_TEXT
from tests.faults.crowd import open_link
from tests.faults.processes import PAIR_CHAT, Runner, Webapp
from tests.faults.test_local_run_orphaned import PASSWORD, env, talk  # noqa: F401  (env is a fixture)
from tests.support.reviewer import Browser

STOP_SECONDS = 30


def stop_from_dashboard(webapp: Webapp, run_id: str) -> dict:
    browser = Browser(webapp.url, PASSWORD)
    status, page = browser.get(f"/runs/{run_id}")
    assert status == 200 and f'href="/runs/{run_id}/stop"' in page
    status, confirm = browser.get(f"/runs/{run_id}/stop")
    assert status == 200 and "Yes, stop it" in confirm
    status, body = browser.post(f"/runs/{run_id}/stop", {"csrf_token": browser.csrf, "confirm": "yes"},
                                accept="application/json")
    assert status == 200, body
    return json.loads(body)


def test_a_runner_in_another_process_stops_its_run_when_the_dashboard_asks(store_url, env, tmp_path):  # noqa: F811
    runner = Runner(tmp_path, env, PAIR_CHAT, "-nc", "1")
    workers = [open_link(runner.url, link) for link in runner.links(2)]
    webapp = Webapp(tmp_path, env)
    try:
        talk(*workers)
        answer = stop_from_dashboard(webapp, runner.run_id)
        assert answer["done"] is False and "was asked to stop it" in answer["message"]

        assert runner.wait(STOP_SECONDS) == 1, runner.stderr[-2000:]
        assert f"Run {runner.run_id} was stopped through the store (reviewer)" in runner.stderr
        for worker in workers:
            worker.wait_for(lambda f: f["type"] == "state" and f.get("text") == STOPPED_TEXT)
    finally:
        for worker in workers:
            worker.close()
        runner.stop()
        webapp.stop()
    handler = MTurkDataHandler(db_url=store_url)
    run = handler.get_run_data(runner.run_id)
    assert run["status"] == RunStatus.STOPPED and handler.stop_requested(runner.run_id) == StopCause.REVIEWER
    assert "interruption" not in (run["config"] or {})  # its own runner ended it, not a clean-up
    assert {a["status"] for a in handler.get_assignments_for_run(runner.run_id)} == {"interrupted"}
    assert {h["hit_status"] for h in handler.get_hits_for_run(runner.run_id)} == {HitStatus.DISPOSED}


def test_a_run_whose_runner_was_killed_is_stopped_by_the_webapp_itself(store_url, env, tmp_path):  # noqa: F811
    webapp = Webapp(tmp_path, env)  # up before the runner: its start ends no orphan of this run
    runner = Runner(tmp_path, env, PAIR_CHAT, "-nc", "1")
    workers = [open_link(runner.url, link) for link in runner.links(2)]
    try:
        talk(*workers)
        runner.kill()
        answer = stop_from_dashboard(webapp, runner.run_id)
        assert answer["done"] is True and f"No runner serves run {runner.run_id} any more" in answer["message"]
        note = Browser(webapp.url, PASSWORD).get_json(f"/runs/{runner.run_id}.json")["run"]["note"]
        assert "a reviewer's stop found it at" in note and "2 assignments interrupted mid-task" in note
    finally:
        for worker in workers:
            worker.close()
        webapp.stop()
    handler = MTurkDataHandler(db_url=store_url)
    assert handler.get_run_data(runner.run_id)["status"] == RunStatus.STOPPED
    assert {a["status"] for a in handler.get_assignments_for_run(runner.run_id)} == {"interrupted"}
    assert {h["hit_status"] for h in handler.get_hits_for_run(runner.run_id)} == {HitStatus.DISPOSED}
