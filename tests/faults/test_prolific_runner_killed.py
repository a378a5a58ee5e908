"""A runner on the (fake) Prolific killed with SIGKILL mid-run: its study is still recruiting
on Prolific. The next runner (`--expire-orphans`) stops that study and records what the
participants handed in while nobody was listening, and the dead run is ended `stopped`."""
from __future__ import annotations

import os

import pytest

from datastore import MTurkDataHandler
from datastore.states import AssignmentStatus
from tests.fakes.prolific_server import ActionRefused, FakeProlific
from tests.faults.crowd import open_link
from tests.faults.processes import PAIR_CHAT, Runner
from tests.support.live_runner import Worker, chat_pair_to_the_end

PUBLIC_URL = "https://parley.example"
"""The runner's public address (TLS ends in front of it); participants reach it at runner.url."""


@pytest.fixture
def fake():
    with FakeProlific() as prolific:
        yield prolific


@pytest.fixture
def env(fake):
    return {**os.environ, "PROLIFIC_API_TOKEN": fake.token, "PARLEY_PROLIFIC_ENDPOINT": fake.url}


def prolific_args(store_url: str, *args: str) -> list[str]:
    return [PAIR_CHAT, *args, "--provider", "prolific", "--live", "--budget", "50", "--public-url", PUBLIC_URL,
            "-r", "0.50", "--db", store_url]


def take_part(runner: Runner, fake: FakeProlific, study_id: str, participant: str) -> tuple[str, Worker]:
    visit = fake.start_study(study_id, participant)
    assert visit.url.startswith(f"{PUBLIC_URL}/task/{runner.run_id}?")
    return visit.submission_id, open_link(runner.url, visit.url.replace(PUBLIC_URL, runner.url, 1))


def test_a_killed_runners_study_is_stopped_and_its_submissions_recorded_by_the_next_start(
        store_url, fake, env, tmp_path):
    handler = MTurkDataHandler(db_url=store_url)
    runner = Runner(tmp_path, env, *prolific_args(store_url, "-nc", "2"))
    workers: list[Worker] = []
    try:
        [study] = [h["hit_id"] for h in handler.get_hits_for_run(runner.run_id)]
        assert fake.study(study)["status"] == "ACTIVE"
        (s1, alice), (s2, bob) = (take_part(runner, fake, study, p) for p in ("P1", "P2"))
        workers += [alice, bob]
        for worker in (alice, bob):
            worker.wait_state("in_task")
        chat_pair_to_the_end(alice, bob, "hello before the crash")
        for submission, worker in ((s1, alice), (s2, bob)):  # the page sends each back with its code
            fake.complete(submission, worker.config["submit"]["url"].split("cc=", 1)[1])
        (s3, carol), (s4, dan) = (take_part(runner, fake, study, p) for p in ("P3", "P4"))
        workers += [carol, dan]
        carol.wait_state("in_task")
        dan.wait_state("in_task")
        runner.kill()  # mid-run: Carol and Dan are in their conversation
    finally:
        runner.kill()
        for worker in workers:
            worker.close()

    assert fake.study(study)["status"] == "ACTIVE"  # nobody stopped it: still recruiting
    assert handler.get_run_data(runner.run_id)["status"] == "running"

    second = Runner(tmp_path, env, *prolific_args(store_url, "-nc", "1", "--expire-orphans"), name="next-runner")
    second.stop()  # its own run is not the point: the dead one was cleaned up before it launched
    assert f"  {runner.run_id}: stopped its study and recorded its submissions" in second.stdout, second.stdout
    assert fake.study(study)["status"] in ("AWAITING REVIEW", "COMPLETED")  # stopped recruiting
    with pytest.raises(ActionRefused, match="not recruiting"):
        fake.start_study(study, "P5")
    assert handler.get_run_data(runner.run_id)["status"] == "stopped"
    statuses = {a["assignment_id"]: a["status"] for a in handler.get_assignments_for_run(runner.run_id)}
    assert {s1: statuses[s1], s2: statuses[s2]} == {s1: "submitted", s2: "submitted"}
    assert set(statuses) == {s1, s2, s3, s4}
    assert all(s in AssignmentStatus._value2member_map_ for s in statuses.values())
    assert [handler.get_assignment_data(s)["worker_id"] for s in (s1, s2, s3, s4)] == ["P1", "P2", "P3", "P4"]
