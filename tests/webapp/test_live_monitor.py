"""The live monitor reads workers' presence from the store, whichever runner process on
whichever machine wrote it: per run, who is connected and stuck and which runners serve it;
per worker, their state, conversation, time on their turn and runner; and a live page per
conversation with its transcript and its workers."""
from __future__ import annotations

import pytest

from datastore.presence import Presence, PresenceBeat, RunnerProcess
from tests.support.builders import assignment_in, completed_conversation

FRESH = 60.0


@pytest.fixture
def two_runners(handler):
    """Two running runs whose presence two runner processes on two machines wrote."""
    first = handler.log_new_run(2, "dealnodeal", provider="local")
    second = handler.log_new_run(1, "qa", provider="local")
    a = [assignment_in(handler, first, f"W{n}", n, status, conversation_id="t_1")
         for n, status in enumerate(["waiting", "in_task", "in_task"])]
    b = [assignment_in(handler, second, f"V{n}", f"v{n}", "in_task", conversation_id="t_1") for n in range(2)]
    handler.write_presence(first, RunnerProcess("alpha", 111, FRESH), [
        PresenceBeat(a[0], "W0", Presence.WAITING),
        PresenceBeat(a[1], "W1", Presence.STUCK, "t_1", "Alice", turn_since=1.0),
        PresenceBeat(a[2], "W2", Presence.IN_CONVERSATION, "t_1", "Bob"),
    ])
    handler.write_presence(second, RunnerProcess("beta", 222, FRESH), [
        PresenceBeat(b[0], "V0", Presence.IN_CONVERSATION, "t_1", "Asker"),
        PresenceBeat(b[1], "V1", Presence.DISCONNECTED, "t_1", "Answerer"),
    ])
    return first, second


def test_the_monitor_counts_each_runs_connected_and_stuck_workers_and_names_its_runner(client, two_runners):
    first, second = two_runners
    runs = {r["run_id"]: r for r in client.get("/live.json").get_json()["runs"]}

    assert {run_id: (r["connected"], r["stuck"], r["runners"]) for run_id, r in runs.items()} == {
        first: (3, 1, ["alpha:111"]),
        second: (1, 0, ["beta:222"]),  # the disconnected worker is not connected
    }


def test_the_monitors_worker_list_puts_the_stuck_and_disconnected_first_with_their_conversation(
        client, two_runners):
    first, second = two_runners
    workers = client.get("/live.json").get_json()["workers"]

    assert [(w["worker_id"], w["state"]) for w in workers[:2]] == [("W1", "stuck"), ("V1", "disconnected")]
    stuck = workers[0]
    assert (stuck["run_id"], stuck["conversation_id"], stuck["agent_id"], stuck["host"], stuck["pid"]) == (
        first, "t_1", "Alice", "alpha", 111)
    assert stuck["turn_seconds"] > 0
    html = client.get("/live").get_data(as_text=True)
    assert f'href="/live/{first}/conversations/t_1"' in html
    assert 'data-presence="stuck"' in html and "beta:222" in html


def test_workers_of_a_runner_that_stopped_beating_are_shown_gone_and_not_connected(client, handler):
    run_id = handler.log_new_run(1, "qa", provider="local")
    assignment_id = assignment_in(handler, run_id, "W0", 0, "waiting")
    handler.write_presence(run_id, RunnerProcess("alpha", 111, fresh_for=-1.0),
                           [PresenceBeat(assignment_id, "W0", Presence.WAITING)])

    [run] = client.get("/live.json").get_json()["runs"]
    [worker] = client.get("/live.json").get_json()["workers"]

    assert (run["connected"], run["runners"], worker["state"]) == (0, [], "gone")
    assert "gone (runner silent)" in client.get("/live").get_data(as_text=True)


def test_a_live_conversation_page_shows_its_transcript_and_where_its_workers_are(client, handler):
    built = completed_conversation(handler, provider="local")
    handler.log_message(built.run_id, built.conversation_id, "Asker", {"text": "<b>bold?</b>"},
                        worker_id=built.workers[0], assignment_id=built.assignments[0], client_msg_id="x")
    handler.write_presence(built.run_id, RunnerProcess("alpha", 111, FRESH), [
        PresenceBeat(built.assignments[0], built.workers[0], Presence.IN_CONVERSATION, "t_1", "Asker"),
        PresenceBeat(built.assignments[1], built.workers[1], Presence.STUCK, "t_1", "Answerer", turn_since=1.0),
    ])
    url = f"/live/{built.run_id}/conversations/{built.conversation_id}"

    live = client.get(url + ".json").get_json()

    assert live["messages"][0] == {**live["messages"][0], "id": "System", "text": "Read the paragraph."}
    assert live["messages"][-1]["text"] == "<b>bold?</b>"
    assert {w["agent_id"]: w["state"] for w in live["workers"]} == {"Asker": "in_conversation", "Answerer": "stuck"}
    html = client.get(url).get_data(as_text=True)
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html and "<b>bold?</b>" not in html


def test_a_live_page_for_an_unknown_conversation_or_run_is_a_404_with_a_sentence(client, handler):
    built = completed_conversation(handler, provider="local")
    missing = client.get(f"/live/{built.run_id}/conversations/t_9.json")
    assert missing.status_code == 404
    assert missing.get_json() == {"error": f"There is no conversation 't_9' in run {built.run_id!r}."}
    assert client.get("/live/nope/conversations/t_1").status_code == 404
