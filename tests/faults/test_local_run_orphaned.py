"""A local run whose runner is killed with SIGKILL mid-conversation is ended on the next start
of a runner, or of the webapp: the run is `interrupted`, the workers who were talking are
`interrupted` (not live, and approvable), and the dashboard and its JSON twins say what
happened. A webapp killed while it ran a test run in-process ends that run on its next start.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest

from crowd.registry import provider_for_run
from crowd.review import ReviewService
from datastore import MTurkDataHandler
from datastore.states import LIVE
from tests.faults.crowd import assignment_of, open_link
from tests.faults.processes import PAIR_CHAT, Runner, Webapp
from tests.support.live_runner import Worker, fetch
from tests.support.reviewer import Browser

PASSWORD = "orphan-test-password"
NOTE = "The runner stopped unexpectedly after "


@pytest.fixture
def env(store_url, tmp_path):
    return {**os.environ, "PARLEY_DATABASE_URL": store_url, "PARLEY_ADMIN_PASSWORD": PASSWORD,
            "PARLEY_CONFIG": str(tmp_path / "webapp.json")}


@dataclass
class KilledRun:
    run_id: str
    assignments: list[str]


def talk(alice: Worker, bob: Worker) -> None:
    """Both workers are paired and each says something the runner acks (stores)."""
    for worker in (alice, bob):
        worker.wait_state("in_task")
    alice.say("hello before the crash")
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "hello before the crash")
    bob.say("hi")


@pytest.fixture
def killed_run(store_url, env, tmp_path) -> KilledRun:
    """`python -m runner run` on the local provider, killed while Alice and Bob talk."""
    runner = Runner(tmp_path, env, PAIR_CHAT, "-nc", "1", "-r", "0.50")
    workers = [open_link(runner.url, link) for link in runner.links(2)]
    try:
        talk(*workers)
    finally:
        runner.kill()
        for worker in workers:
            worker.close()
    handler = MTurkDataHandler(db_url=store_url)
    assert handler.get_run_data(runner.run_id)["status"] == "running"  # nobody closed it
    assert {a["status"] for a in handler.get_assignments_for_run(runner.run_id)} == {"in_task"}
    return KilledRun(runner.run_id, [assignment_of(w) for w in workers])


def dashboard_says_what_happened(browser: Browser, run_id: str, noticed_by: str, tests: bool = False) -> None:
    [listed] = browser.get_json(f"/index.json?status=interrupted{'&tests=1' if tests else ''}")["runs"]
    assert listed["run_id"] == run_id
    assert listed["status"] == "interrupted" and listed["live"] == 0
    assert listed["interruption"]["noticed_by"] == noticed_by
    assert (listed["interruption"]["interrupted"], listed["interruption"]["expired"]) == (2, 0)
    assert listed["note"].startswith(NOTE) and "2 assignments interrupted mid-task" in listed["note"]
    run = browser.get_json(f"/runs/{run_id}.json")["run"]
    assert run["note"] == listed["note"]
    assert (run["assignments_by_status"], run["unreviewed"]) == ({"interrupted": 2}, 2)
    assert run["hits_by_status"] == {"Disposed": 2}
    status, page = browser.get(f"/runs/{run_id}")
    assert status == 200 and listed["note"] in page
    status, page = browser.get(f"/?status=interrupted{'&tests=1' if tests else ''}")
    assert status == 200 and listed["note"] in page


def test_the_next_runner_ends_a_killed_local_run_and_its_interrupted_work_can_be_approved(
        killed_run, store_url, env, tmp_path):
    next_runner = Runner(tmp_path, env, PAIR_CHAT, "-nc", "1", name="next-runner")
    next_runner.stop()  # its own run is not the point: the dead one was ended before it launched
    assert f"Ended run {killed_run.run_id}. {NOTE}" in next_runner.stdout

    handler = MTurkDataHandler(db_url=store_url)
    run = handler.get_run_data(killed_run.run_id)
    assert run["status"] == "interrupted" and run["end_time"] is not None
    statuses = [handler.get_assignment_data(a)["status"] for a in killed_run.assignments]
    assert statuses == ["interrupted", "interrupted"] and not LIVE & set(statuses)

    review = ReviewService(handler, lambda run: provider_for_run(handler, run))
    alice, bob = killed_run.assignments
    assert review.approve(alice, actor="t").succeeded
    assert review.bonus(bob, "0.30", actor="t", reason="Cut short, not your fault").succeeded
    assert review.approve(bob, actor="t").succeeded
    assert [handler.get_assignment_data(a)["status"] for a in killed_run.assignments] == ["approved"] * 2

    webapp = Webapp(tmp_path, env)
    try:
        browser = Browser(webapp.url, PASSWORD)
        run_page = browser.get_json(f"/runs/{killed_run.run_id}.json")["run"]
        assert run_page["note"].startswith(NOTE) and "the next start of the runner found it" in run_page["note"]
        assert run_page["cost_cents"] == 2 * 50 + 30
    finally:
        webapp.stop()


def test_the_next_webapp_start_ends_a_killed_local_run_and_the_dashboard_says_what_happened(
        killed_run, store_url, env, tmp_path):
    webapp = Webapp(tmp_path, env)
    try:
        browser = Browser(webapp.url, PASSWORD)
        dashboard_says_what_happened(browser, killed_run.run_id, "webapp")
        alice = killed_run.assignments[0]
        status, _ = browser.post(f"/assignments/{alice}/approve", {"csrf_token": browser.csrf},
                                 accept="application/json")
        assert status == 200
        assert browser.get_json(f"/runs/{killed_run.run_id}.json")["run"]["assignments_by_status"] == {
            "approved": 1, "interrupted": 1}
    finally:
        webapp.stop()
    assert f"Ended run {killed_run.run_id}. {NOTE}" in webapp.stderr


def test_a_webapp_killed_while_it_ran_a_test_run_ends_that_run_on_its_next_start(env, tmp_path):
    first = Webapp(tmp_path, env)
    workers: list[Worker] = []
    try:
        browser = Browser(first.url, PASSWORD)
        status, body = browser.post("/app/tasks/multi_agent_dialog/start", {"csrf_token": browser.csrf},
                                    accept="application/json")
        assert status == 201, body
        test_run = json.loads(body)
        workers = [Worker(first.url, fetch(link["url"]).config) for link in test_run["links"]]
        for worker in workers:
            worker.wait_state("in_task")
        # The world waits for its local human first: their link is on the task's testing page now.
        runs = browser.get_json("/app/tasks/multi_agent_dialog.json")["test_runs"]
        [host_link] = [link for run in runs for link in run["links"] if link["role"] == "LocalAgent"]
        workers.append(Worker(first.url, fetch(host_link["url"]).config))
        workers[-1].say("Hello, both!")
        talk(*workers[:2])
    finally:
        first.kill()
        for worker in workers:
            worker.close()

    second = Webapp(tmp_path, env)
    try:
        dashboard_says_what_happened(Browser(second.url, PASSWORD), test_run["run_id"], "webapp", tests=True)
    finally:
        second.stop()
