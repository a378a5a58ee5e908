"""Every page and its JSON twin: empty states, real content, unknown ids, bad parameters,
and a run with thousands of conversations walked a page at a time."""
import pytest

from tests.support.builders import bot_conversations, bulk_writer, completed_conversation


@pytest.fixture
def built(handler):
    return completed_conversation(handler, provider="local")


def test_an_empty_store_shows_empty_states(client):
    home = client.get("/")
    assert home.status_code == 200 and "No runs" in home.get_data(as_text=True)
    assert client.get("/index.json").get_json() == {
        "runs": [], "next": None,
        "filters": {"task": None, "provider": None, "status": None, "is_sandbox": None, "include_tests": False,
                    "include_discarded": False}}
    live = client.get("/live")
    assert live.status_code == 200 and "No run is live right now." in live.get_data(as_text=True)
    assert client.get("/live.json").get_json()["runs"] == []
    tasks = client.get("/app/tasks.json").get_json()
    assert tasks["test_runs"] == [] and "qa_data_collection" in tasks["tasks"]


def test_every_page_and_its_twin_show_the_same_run(client, built):
    run, conv, worker = built.run_id, built.conversation_id, built.workers[0]
    home = client.get("/index.json").get_json()["runs"]
    assert [r["run_id"] for r in home] == [run]
    assert run in client.get("/").get_data(as_text=True)

    run_json = client.get(f"/runs/{run}.json").get_json()
    assert run_json["run"]["assignments_by_status"] == {"completed": 2}
    assert [c["conversation_id"] for c in run_json["conversations"]] == [conv]
    run_html = client.get(f"/runs/{run}").get_data(as_text=True)
    assert conv in run_html and "<svg" in run_html and "Review next (2)" in run_html

    conv_json = client.get(f"/runs/{run}/conversations/{conv}.json").get_json()["conversation"]
    assert [m["text"] for m in conv_json["messages"]][:2] == ["Read the paragraph.", "Asker says 0"]
    conv_html = client.get(f"/runs/{run}/conversations/{conv}").get_data(as_text=True)
    assert "Asker says 0" in conv_html and "Paris is in France." in conv_html and "geography" in conv_html

    worker_json = client.get(f"/workers/{worker}.json").get_json()["worker"]
    assert [a["assignment_id"] for a in worker_json["assignments"]] == [built.assignments[0]]
    assert worker_json["provider"] == run_json["run"]["provider"]
    worker_html = client.get(f"/workers/{worker}").get_data(as_text=True)
    assert worker in worker_html and f"a worker of {worker_json['provider']}" in worker_html

    payments = client.get(f"/runs/{run}/payments.json").get_json()["payments"]
    assert payments["base_owed_cents"] == 100 and payments["base_paid_cents"] == 0
    assert "Pay all approved bonuses" in client.get(f"/runs/{run}/payments").get_data(as_text=True)


def test_next_unreviewed_walks_to_the_conversation_and_back_to_the_run_when_done(client, handler, built):
    response = client.get(f"/runs/{built.run_id}/next-unreviewed")
    assert response.headers["Location"] == f"/runs/{built.run_id}/conversations/{built.conversation_id}"
    for assignment in built.assignments:
        handler.log_approve_assignment(assignment)
    response = client.get(f"/runs/{built.run_id}/next-unreviewed")
    assert response.headers["Location"] == f"/runs/{built.run_id}"


@pytest.mark.parametrize("path", ["/runs/nope", "/runs/nope.json", "/runs/nope/conversations/t_1",
                                  "/workers/nobody", "/workers/nobody.json", "/runs/nope/payments",
                                  "/runs/nope/next-unreviewed"])
def test_unknown_ids_are_404_with_a_sentence(client, path):
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_json()["error"] if path.endswith(".json") else response.get_data(as_text=True)
    assert "There is no" in body and "Traceback" not in body


@pytest.mark.parametrize("query", ["limit=0", "limit=9999", "limit=ten", "status=exploded",
                                   "after=%00garbage", "sandbox=maybe"])
def test_bad_parameters_are_400_with_a_sentence(client, built, query):
    response = client.get(f"/index.json?{query}")
    assert response.status_code == 400, query
    assert response.get_json()["error"]


def test_a_run_with_thousands_of_conversations_is_read_a_page_at_a_time(client, store_url, handler):
    run_id = handler.log_new_run(3000, "multi_agent_dialog", provider="local")
    ids = [f"c{n:05d}" for n in range(2500)]
    bot_conversations(bulk_writer(store_url), run_id, ids)
    first = client.get(f"/runs/{run_id}.json").get_json()
    assert len(first["conversations"]) == 50 and first["next"]
    seen, cursor, pages = [], None, 0
    while True:
        query = f"?limit=200&after={cursor}" if cursor else "?limit=200"
        page = client.get(f"/runs/{run_id}.json{query}").get_json()
        assert len(page["conversations"]) <= 200
        seen += [c["conversation_id"] for c in page["conversations"]]
        pages += 1
        cursor = page["next"]
        if not cursor:
            break
    assert pages == 13 and seen == ids
    html = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert html.count("/conversations/c0") == 50 and "More conversations" in html


def test_the_runs_list_pages_and_filters(client, handler):
    for n in range(7):
        handler.log_new_run(1, "qa_data_collection" if n % 2 else "dealnodeal", provider="local")
    handler.log_new_run(1, "dealnodeal", provider="local", is_test=True)
    page = client.get("/index.json?limit=3").get_json()
    assert len(page["runs"]) == 3 and page["next"]
    rest = client.get(f"/index.json?limit=10&after={page['next']}").get_json()
    assert len(rest["runs"]) == 4 and rest["next"] is None
    only = client.get("/index.json?task=qa_data_collection").get_json()["runs"]
    assert {r["taskname"] for r in only} == {"qa_data_collection"} and len(only) == 3
    assert len(client.get("/index.json?tests=1").get_json()["runs"]) == 8


def test_the_live_monitor_counts_workers_of_running_runs(client, handler):
    from tests.support.builders import assignment_in

    run_id = handler.log_new_run(4, "dealnodeal", provider="local")
    for n, status in enumerate(["onboarding", "waiting", "waiting", "in_task", "completed"]):
        assignment_in(handler, run_id, f"W{n}", n, status)
    finished = handler.log_new_run(1, "dealnodeal", provider="local")
    handler.log_end_run(finished)
    [row] = client.get("/live.json").get_json()["runs"]
    assert (row["run_id"], row["onboarding"], row["waiting"], row["in_task"]) == (run_id, 1, 2, 1)
    assert row["connected"] == 0  # no runner has written its workers' presence
    html = client.get("/live").get_data(as_text=True)
    assert run_id in html and finished not in html
