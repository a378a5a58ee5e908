"""Run control on the dashboard: the run page links to a confirmation page for each action
(stop, expire, discard) that says what it will do or why it is refused; the action itself is
a POST with the form token and confirm=yes, answered with a sentence (4xx when refused, and
nothing changed); discarded runs leave the runs list until "discarded runs" is ticked; and a
test run started here stops itself after the configured idle time."""
from __future__ import annotations

import time

import pytest

from datastore.states import RunStatus, StopCause
from tests.webapp.conftest import logged_in_client
from webapp.settings import SettingsError, load_settings


def start_test_run(client) -> str:
    response = client.post("/app/tasks/qa_data_collection/start", data={"csrf_token": client.csrf},
                           headers={"Accept": "application/json"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["run_id"]


def confirm_and(client, run_id: str, action: str, **extra):
    return client.post(f"/runs/{run_id}/{action}", data={"csrf_token": client.csrf, "confirm": "yes", **extra})


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_run_page_links_each_allowed_action_to_a_confirmation_page_that_posts_it(client):
    run_id = start_test_run(client)
    page = text(client.get(f"/runs/{run_id}"))
    assert f'href="/runs/{run_id}/stop"' in page
    assert f'href="/runs/{run_id}/discard"' not in page  # running: stop it first
    assert f'href="/runs/{run_id}/expire"' not in page  # a local run has no marketplace

    confirm = client.get(f"/runs/{run_id}/stop")
    assert confirm.status_code == 200
    assert f"Stop run {run_id}: nobody new is let in" in text(confirm)
    assert f'action="/runs/{run_id}/stop"' in text(confirm) and 'name="confirm" value="yes"' in text(confirm)
    twin = client.get(f"/runs/{run_id}/stop.json").get_json()
    assert twin["refusal"] is None and twin["effect"].startswith(f"Stop run {run_id}")
    assert twin["confirm_field"] == {"confirm": "yes"}


def test_stopping_a_test_run_this_webapp_serves_ends_it_at_once_and_says_so(client, handler):
    run_id = start_test_run(client)

    response = confirm_and(client, run_id, "stop")

    assert response.status_code == 303 and response.headers["Location"].endswith(f"/runs/{run_id}")
    run = handler.get_run_data(run_id)
    assert run["status"] == RunStatus.STOPPED and handler.stop_requested(run_id) == StopCause.REVIEWER
    page = text(client.get(f"/runs/{run_id}"))
    assert f"Run {run_id} was stopped." in page
    assert f'href="/runs/{run_id}/stop"' not in page and f'href="/runs/{run_id}/discard"' in page
    again = client.post(f"/runs/{run_id}/stop", json={"confirm": "yes"}, headers={"X-CSRF-Token": client.csrf})
    assert again.status_code == 409
    assert again.get_json()["error"] == f"Run {run_id} already ended as stopped; there is nothing to stop."


def test_an_action_needs_the_confirmation_and_the_form_token_and_changes_nothing_without_them(client, handler):
    run_id = start_test_run(client)
    unconfirmed = client.post(f"/runs/{run_id}/stop", data={"csrf_token": client.csrf})
    assert unconfirmed.status_code == 400
    assert f"To stop run {run_id}, confirm it: send confirm=yes" in text(unconfirmed)
    forged = client.post(f"/runs/{run_id}/stop", data={"confirm": "yes"})
    assert forged.status_code == 403
    assert handler.get_run_data(run_id)["status"] == RunStatus.RUNNING
    assert handler.stop_requested(run_id) is None
    assert client.get("/runs/no-such-run/stop").status_code == 404
    assert confirm_and(client, "no-such-run", "discard").status_code == 404


def test_a_running_run_is_not_discarded_and_an_ended_test_run_is_hidden_until_asked_for(client, handler):
    run_id = start_test_run(client)
    refused = confirm_and(client, run_id, "discard")
    assert refused.status_code == 409 and f"Run {run_id} is still running: stop it first" in text(refused)
    assert client.get(f"/runs/{run_id}/discard.json").get_json()["refusal"].endswith("stop it first, then discard it.")
    confirm_and(client, run_id, "stop")

    response = confirm_and(client, run_id, "discard")

    assert response.status_code == 303
    assert "it is hidden from the runs list, and its data is kept" in text(client.get(f"/runs/{run_id}"))
    assert run_id not in [r["run_id"] for r in client.get("/index.json?tests=1").get_json()["runs"]]
    shown = client.get("/index.json?tests=1&discarded=1").get_json()["runs"]
    assert [r["run_id"] for r in shown] == [run_id] and shown[0]["discarded_at"] is not None
    assert "discarded</span>" in text(client.get("/?tests=1&discarded=1"))
    assert client.get(f"/runs/{run_id}.json").get_json()["run"]["discarded_at"] is not None  # its data is kept


def test_a_live_marketplace_run_is_never_discarded(client, handler):
    handler.log_new_run(1, "pair_chat", "live_run", provider="mturk", is_sandbox=False)
    handler.log_end_run("live_run", RunStatus.COMPLETED)
    refused = confirm_and(client, "live_run", "discard")
    assert refused.status_code == 409
    assert "Run live_run is a live run on a marketplace: only test, sandbox and marketplace-free" in text(refused)
    assert 'href="/runs/live_run/discard"' not in text(client.get("/runs/live_run"))
    assert handler.list_runs()["items"][0]["discarded_at"] is None


def test_expiring_is_refused_with_a_sentence_for_a_run_with_no_marketplace(client, handler):
    run_id = start_test_run(client)
    refused = client.post(f"/runs/{run_id}/expire", json={"confirm": "yes"}, headers={"X-CSRF-Token": client.csrf})
    assert refused.status_code == 409
    assert refused.get_json()["error"] == (f"Run {run_id} has no marketplace: its worker links stay open until "
                                           "the run stops. Stop the run instead.")


def test_a_test_run_started_here_stops_itself_after_the_configured_idle_minutes(make_app):
    client = logged_in_client(make_app(TEST_RUN_IDLE_MINUTES=0.02))  # 1.2 s
    run_id = start_test_run(client)
    deadline = time.monotonic() + 30
    while client.get(f"/runs/{run_id}.json").get_json()["run"]["status"] == RunStatus.RUNNING:
        assert time.monotonic() < deadline, "the idle test run did not stop itself"
        time.sleep(0.1)
    run = client.get(f"/runs/{run_id}.json").get_json()["run"]
    assert run["status"] == RunStatus.STOPPED and run["stop_requested_by"] == StopCause.IDLE
    assert "This test run stopped itself at " in text(client.get(f"/runs/{run_id}"))


def test_the_idle_limit_comes_from_the_environment_and_a_bad_value_is_refused(monkeypatch):
    monkeypatch.setenv("PARLEY_TEST_RUN_IDLE_MINUTES", "")
    assert load_settings({"ADMIN_PASSWORD": "x", "IGNORE_CONFIG_FILE": True})["TEST_RUN_IDLE_MINUTES"] == 60
    monkeypatch.setenv("PARLEY_TEST_RUN_IDLE_MINUTES", "2.5")
    assert load_settings({"ADMIN_PASSWORD": "x", "IGNORE_CONFIG_FILE": True})["TEST_RUN_IDLE_MINUTES"] == 2.5
    for bad in ("-1", "soon", "nan", "inf"):
        monkeypatch.setenv("PARLEY_TEST_RUN_IDLE_MINUTES", bad)
        with pytest.raises(SettingsError, match="PARLEY_TEST_RUN_IDLE_MINUTES must be a number of minutes"):
            load_settings({"ADMIN_PASSWORD": "x", "IGNORE_CONFIG_FILE": True})
