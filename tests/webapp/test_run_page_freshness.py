"""The run page and its twin show a run's counts as of a stated time: a finished run's change
on the next view after a review, a running run's within LIVE_REFRESH_SECONDS."""
from __future__ import annotations

import time

import pytest

from datastore.dashboard import LIVE_REFRESH_SECONDS
from tests.support.builders import completed_conversation
from tests.support.store_probes import Clock


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The dashboard's clock, moved by the test; the writers keep the real one."""
    clock = Clock(time.time())
    monkeypatch.setattr("datastore.dashboard.time", clock)
    return clock


def counts(client, run_id: str) -> tuple[int, dict[str, int]]:
    run = client.get(f"/runs/{run_id}.json").get_json()["run"]
    return run["unreviewed"], run["assignments_by_status"]


def test_a_review_of_a_finished_run_shows_on_the_next_view_of_its_page(client, handler):
    built = completed_conversation(handler, provider="local")
    handler.log_end_run(built.run_id)
    assert counts(client, built.run_id) == (2, {"completed": 2})
    assert "Review next (2)" in client.get(f"/runs/{built.run_id}").get_data(as_text=True)

    handler.log_approve_assignment(built.assignments[0])

    assert counts(client, built.run_id) == (1, {"completed": 1, "approved": 1})
    page = client.get(f"/runs/{built.run_id}").get_data(as_text=True)
    assert "Review next (1)" in page and "Counts and charts as of" in page
    assert "while the run is running" not in page


def test_a_running_runs_page_shows_a_change_within_the_refresh_bound_and_says_so(client, handler, clock):
    built = completed_conversation(handler, provider="local")
    assert counts(client, built.run_id) == (2, {"completed": 2})

    handler.log_approve_assignment(built.assignments[0])
    clock.now += LIVE_REFRESH_SECONDS / 2
    assert counts(client, built.run_id) == (2, {"completed": 2})  # within the bound: as counted
    clock.now += LIVE_REFRESH_SECONDS / 2

    assert counts(client, built.run_id) == (1, {"completed": 1, "approved": 1})
    page = client.get(f"/runs/{built.run_id}").get_data(as_text=True)
    assert f"at most {int(LIVE_REFRESH_SECONDS)} s old while the run is running" in page
    assert time.strftime("%H:%M:%S", time.gmtime(clock.now)) in page
