"""Every dashboard page, and its JSON twin, sends the same number of SQL statements whatever
the size of the run it shows: counted around Flask test-client requests on a small run, and
again after the run grew to many more conversations, workers, reviews and bonuses. And a
page's twin is its path plus `.json`, the runs list's (`/.json`) included."""
from __future__ import annotations

import pytest

from tests.support.builders import assignment_in, completed_conversation
from tests.support.store_probes import statements_on

PAGES = {
    # endpoint: its path on the run the test builds ({run}, {conversation}, {worker}).
    "runs.index": "/",
    "runs.run": "/runs/{run}",
    "review.conversation": "/runs/{run}/conversations/{conversation}",
    "payments.run_payments": "/runs/{run}/payments",
    "payments.overview": "/payments",
    "workers.worker": "/workers/{worker}",
    "workers.index": "/workers",
    "bulk.preview": "/runs/{run}/bulk/approve_unreviewed",
    "bulk.job": "/runs/{run}/bulk/jobs/{job}",
    "monitor.index": "/live",
    "monitor.conversation": "/live/{run}/conversations/{conversation}",
    "queue.review_queue": "/runs/{run}/queue",
    "run_control.confirm": "/runs/{run}/stop",
    "testing.index": "/app/tasks",
    "testing.task": "/app/tasks/qa_data_collection",
}
"""Every page of the dashboard: a test below fails when a page is added without an entry."""
FILTERED = ("/?status=running", "/runs/{run}?unreviewed=1", "/runs/{run}?authenticity=flagged",
            "/runs/{run}/queue?authenticity=flagged", "/runs/{run}/bulk/pay_bonuses",
            "/runs/{run}/bulk/approve_complete", "/workers?q=W1")
"""Pages whose filters take other queries, counted too."""


def grow(handler, run_id: str, worker: str, start: int, conversations: int) -> None:
    """More of everything a page might count: conversations of two new workers each, work
    to review and reviewed, bonuses paid and unpaid, and more of `worker`'s assignments."""
    for n in range(start, start + conversations):
        built = completed_conversation(handler, run_id=run_id, conversation_id=f"t_{n}",
                                       workers=(f"W{n}a", f"W{n}b"))
        if n % 2:
            handler.log_approve_assignment(built.assignments[0])
            handler.log_award_amount(f"W{n}a", built.assignments[0], "0.25", "thanks")
        if n % 3 == 0:
            handler.log_award_amount(f"W{n}b", built.assignments[1], "0.10", "thanks")
            handler.log_bonus_paid(f"W{n}b", built.assignments[1])
        assignment_in(handler, run_id, worker, f"more-{n}", "submitted", conversation_id=f"t_{n}")
    for _ in range(3):  # and a few more runs beside it
        handler.log_new_run(1, "qa_data_collection", provider="mturk")


def statements(client, handler, path: str) -> int:
    assert client.get(path).status_code == 200, path  # warmed up: first-use caches filled
    with statements_on(handler.engine) as sent:
        assert client.get(path).status_code == 200, path
    return len(sent)


def bulk_job(handler, run_id: str) -> str:
    """A run-wide job listing every assignment of the run to review now (so a bigger one on
    the bigger run), recorded as a confirmed preview is."""
    items = handler.bulk_candidates(run_id, "approve_unreviewed")["items"]
    job_id = f"job-{len(items)}"
    handler.start_bulk_job(job_id, run_id=run_id, action="approve_unreviewed", actor="reviewer", items=items,
                           owner="a test, not a process")
    return job_id


def every_path(run_id: str, conversation_id: str, worker: str, job: str) -> list[str]:
    pages = [p.format(run=run_id, conversation=conversation_id, worker=worker, job=job)
             for p in (*PAGES.values(), *FILTERED)]
    twins = [page.replace("?", ".json?") if "?" in page else f"{page}.json" for page in pages]
    return pages + twins


def test_every_page_and_twin_sends_as_many_statements_on_a_big_run_as_on_a_small_one(client, handler):
    built = completed_conversation(handler, provider="mturk")
    worker = built.workers[0]
    grow(handler, built.run_id, worker, 2, 2)
    small = {path.replace(job, "JOB"): statements(client, handler, path)
             for job in [bulk_job(handler, built.run_id)]
             for path in every_path(built.run_id, built.conversation_id, worker, job)}

    grow(handler, built.run_id, worker, 4, 24)
    big = {path.replace(job, "JOB"): statements(client, handler, path)
           for job in [bulk_job(handler, built.run_id)]
           for path in every_path(built.run_id, built.conversation_id, worker, job)}

    assert len(handler.get_assignments_for_run(built.run_id)) == 2 + 3 * 26
    assert big == small
    assert all(n >= 1 for n in small.values())  # counted: each page reads the store (its session)


def test_every_dashboard_page_is_in_the_statement_count(app):
    """A page is what webapp.twins.page registered: a GET view with a `_json` twin."""
    gets = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    assert {endpoint for endpoint in gets if f"{endpoint}_json" in gets} == set(PAGES)


@pytest.mark.parametrize("page", ["/", "/runs/{run}", "/live", "/app/tasks"])
def test_a_pages_twin_is_its_path_plus_json(client, handler, page):
    built = completed_conversation(handler, provider="mturk")
    path = page.format(run=built.run_id)
    twin = client.get(f"{path}.json")
    assert twin.status_code == 200 and twin.is_json
    assert client.get(path).mimetype == "text/html"


def test_the_runs_lists_twin_also_answers_at_index_json(client, handler):
    completed_conversation(handler, provider="mturk")
    assert client.get("/index.json").get_json() == client.get("/.json").get_json()
    assert [run["taskname"] for run in client.get("/.json").get_json()["runs"]] == ["qa_data_collection"]
