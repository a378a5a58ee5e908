"""Task testing in the webapp: start a task's local run from /app/tasks/<name>, work it
over the real websocket from the links the page gives, and find it on the run's page."""
from __future__ import annotations

import json

import pytest

from runner.budget import COUNT_TEXT
from runner.server import RunnerServer
from tests.support.live_runner import Worker, fetch, task_with_config
from tests.support.reviewer import Browser
from tests.webapp.conftest import PASSWORD


@pytest.fixture
def served(app):
    server = RunnerServer(app).start()
    yield server
    server.stop()


def test_a_task_started_from_its_testing_page_runs_over_the_websocket_and_shows_up(served):
    browser = Browser(served.url, PASSWORD)
    status, page = browser.get("/app/tasks/qa_data_collection")
    assert status == 200 and "Start a test run" in page
    status, body = browser.post("/app/tasks/qa_data_collection/start", {"csrf_token": browser.csrf},
                                accept="application/json")
    assert status == 201, body
    started = json.loads(body)
    run_id = started["run_id"]
    [link] = started["links"]
    assert link["role"] == "Worker" and link["url"].startswith(served.url + f"/task/{run_id}?")
    assert 'data-role="Worker"' in browser.get("/app/tasks/qa_data_collection")[1]

    chat = fetch(link["url"])
    assert chat.status == 200
    worker = Worker(served.url, chat.config)
    try:
        worker.wait_for(lambda f: f["type"] == "message" and f["act"].get("task_data", {}).get("paragraph"))
        worker.say("Which river runs through the city?")
        worker.wait_for(lambda f: f["type"] == "message" and "answer" in f["act"].get("text", "").lower())
        worker.say("The Seine.")
        worker.wait_state("done")
        worker.send_frame({"type": "done"})
        worker.wait_state("submitted")
    finally:
        worker.close()

    conversation = browser.get_json(f"/runs/{run_id}/conversations/t_1.json")["conversation"]
    texts = [m["text"] for m in conversation["messages"]]
    assert "Which river runs through the city?" in texts and "The Seine." in texts
    assert conversation["custom_data"]["answer"] == "The Seine."
    run = browser.get_json(f"/runs/{run_id}.json")
    assert [c["conversation_id"] for c in run["conversations"]] == ["t_1"]
    assert run["run"]["is_test"] is True
    assert run_id not in [r["run_id"] for r in browser.get_json("/index.json")["runs"]]
    assert run_id in [r["run_id"] for r in browser.get_json("/index.json?tests=1")["runs"]]


def test_each_role_link_gets_its_own_role_whatever_order_they_open_in(served):
    browser = Browser(served.url, PASSWORD)
    status, body = browser.post("/app/tasks/custom_frontend_demo/start", {"csrf_token": browser.csrf},
                                accept="application/json")
    assert status == 201, body
    links = {link["role"]: link["url"] for link in json.loads(body)["links"]}
    assert sorted(links) == ["Answerer", "Asker", "Evaluator"]
    workers = {}
    try:
        for role in ("Evaluator", "Answerer", "Asker"):  # the reverse of the task's order
            workers[role] = Worker(served.url, fetch(links[role]).config)
        for role, worker in workers.items():
            assert worker.wait_state("in_task")["agent_id"] == role
    finally:
        for worker in workers.values():
            worker.close()


def test_a_test_run_holds_its_workers_to_the_budget_in_the_task_config(app, served, tmp_path):
    app.config["TASKS_DIR"] = str(task_with_config(tmp_path, messages_per_assignment=1).parent)
    browser = Browser(served.url, PASSWORD)
    status, body = browser.post("/app/tasks/budgeted_chat/start", {"csrf_token": browser.csrf},
                                accept="application/json")
    assert status == 201, body
    workers = [Worker(served.url, fetch(link["url"]).config) for link in json.loads(body)["links"]]
    try:
        for worker in workers:
            worker.wait_state("in_task")
        alice = workers[0]
        alice.say("the one message this task allows", cid="c1")
        alice.say("one too many", cid="c2")
        answers = [alice.wait_for(lambda f, c=cid: f.get("cid") == c) for cid in ("c1", "c2")]
        assert [a["type"] for a in answers] == ["ack", "error"]
        assert answers[1]["error"] == COUNT_TEXT
    finally:
        for worker in workers:
            worker.close()


def test_an_unknown_task_is_a_404_with_a_sentence(client):
    response = client.get("/app/tasks/no_such_task")
    assert response.status_code == 404
    assert "There is no task &#39;no_such_task&#39;" in response.get_data(as_text=True)
    assert client.post("/app/tasks/../start", data={"csrf_token": client.csrf}).status_code == 404


def test_a_task_whose_option_defaults_do_not_go_together_is_refused_422_and_starts_nothing(
        client, app, monkeypatch):
    monkeypatch.setenv("PARLEY_MODEL_URL", "http://127.0.0.1:9/v1")  # a URL without a model name
    monkeypatch.delenv("PARLEY_MODEL_NAME", raising=False)
    response = client.post("/app/tasks/model_evaluator/start", data={"csrf_token": client.csrf})
    assert response.status_code == 422
    assert "a model needs both --model-url and --model-name" in response.get_data(as_text=True)
    assert app.extensions["parley"].handler.get_all_run_data() == []


def test_a_tasks_local_human_gets_an_open_as_link_on_the_testing_page_once_the_chat_begins(served):
    browser = Browser(served.url, PASSWORD)
    status, body = browser.post("/app/tasks/multi_agent_dialog/start", {"csrf_token": browser.csrf},
                                accept="application/json")
    assert status == 201, body
    started = json.loads(body)
    assert [link["role"] for link in started["links"]] == ["Speaker1", "Speaker2"]
    workers = [Worker(served.url, fetch(link["url"]).config) for link in started["links"]]
    try:
        for worker in workers:
            worker.wait_for(lambda f: f["type"] == "turn" and f["agent_id"] == "LocalAgent")
        [run] = browser.get_json("/app/tasks/multi_agent_dialog.json")["test_runs"]
        assert [link["role"] for link in run["links"]] == ["Speaker1", "Speaker2", "LocalAgent"]
        host_url = run["links"][2]["url"]
        assert host_url.startswith(f"{served.url}/local/{started['run_id']}/")
        assert 'data-role="LocalAgent"' in browser.get("/app/tasks/multi_agent_dialog")[1]
        host = Worker(served.url, fetch(host_url).config)
        workers.append(host)
        host.say("Hello from the tester!")
        workers[0].wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "Hello from the tester!")
    finally:
        for worker in workers:
            worker.close()


def test_a_task_whose_prepare_run_refuses_cannot_start_a_test_run_422_with_its_sentence(app, served, tmp_path):
    task = task_with_config(tmp_path)
    with open(task / "worlds.py", "a") as file:
        file.write("\n\ndef prepare_run(opt):\n    from runner.tasks import TaskError\n"
                   "    raise TaskError('the data file data.json is missing')\n")
    app.config["TASKS_DIR"] = str(task.parent)
    browser = Browser(served.url, PASSWORD)
    status, body = browser.post("/app/tasks/budgeted_chat/start", {"csrf_token": browser.csrf})
    assert status == 422
    assert "cannot start: task budgeted_chat: the data file data.json is missing" in body
