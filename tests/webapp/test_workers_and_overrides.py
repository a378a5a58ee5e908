"""The reviewer's worker tools: overriding a rejection from the conversation page, lifting a
block from the worker page (each with a reason, through the review service, once), the list
of all workers with its twin, and the payments log (blocks and rejection reasons too) as CSV."""
from __future__ import annotations

import csv
import io

import pytest

from tests.support.builders import completed_conversation
from tests.support.prolific import LONG_REASON, submitted_prolific_work
from tests.support.review_races import SlowProvider, at_once
from tests.webapp.conftest import logged_in_client


@pytest.fixture
def built(handler):
    return completed_conversation(handler, provider="local")


@pytest.fixture
def provider(app):
    slow = SlowProvider(round_trip=0.01)
    app.extensions["parley"].review.provider_for = lambda run: slow
    return slow


def post(client, path, **body):
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf, "Accept": "application/json"})


def together(app, n: int, call):
    """`call(client)` from `n` threads released by a barrier, each with its own logged-in client."""
    clients = [logged_in_client(app) for _ in range(n)]
    return at_once(n, lambda: call(clients.pop()))


# Override a rejection --------------------------------------------------------------------------

def test_a_rejected_assignment_shows_an_override_form_that_approves_it_with_the_reason(client, handler, built):
    a1 = built.assignments[0]
    page_path = f"/runs/{built.run_id}/conversations/{built.conversation_id}"
    assert "data-override" not in client.get(page_path).get_data(as_text=True)
    post(client, f"/assignments/{a1}/reject", reason="Off topic")
    page = client.get(page_path).get_data(as_text=True)
    assert f'action="/assignments/{a1}/override"' in page
    approve = post(client, f"/assignments/{a1}/approve")
    assert approve.status_code == 409
    message = approve.get_json()["results"][0]["message"]
    assert "override the rejection" in message and "override_rejection" not in message
    done = client.post(f"/assignments/{a1}/override",
                       data={"reason": "Checked again", "csrf_token": client.csrf, "next": page_path})
    assert done.status_code == 303
    assert handler.get_assignment_data(a1)["status"] == "approved"
    assert "Rejection overridden: approved." in client.get(page_path).get_data(as_text=True)
    last = handler.get_review_actions(assignment_id=a1)[-1]
    assert (last["action"], last["reason"], last["provider_response"]["overrode_rejection"]) == (
        "approve", "Checked again", True)


def test_an_override_without_a_reason_is_refused_with_a_sentence(client, handler, built):
    a1 = built.assignments[0]
    post(client, f"/assignments/{a1}/reject", reason="Off topic")
    response = post(client, f"/assignments/{a1}/override", reason="")
    assert response.status_code == 409
    assert response.get_json()["results"][0]["message"] == "overriding a rejection needs a reason the worker will see"
    assert handler.get_assignment_data(a1)["status"] == "rejected"


def test_two_overrides_posted_at_once_approve_once(app, client, handler, built, provider):
    a1 = built.assignments[0]
    post(client, f"/assignments/{a1}/reject", reason="Off topic")
    answers = together(app, 3, lambda c: post(c, f"/assignments/{a1}/override", reason="Appeal upheld"))
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert sorted(a.get_json()["results"][0]["repeated"] for a in answers) == [False, True, True]
    assert provider.reached(a1) == {"reject": 1, "approve": 1}
    assert [a["action"] for a in handler.get_review_actions(assignment_id=a1)] == ["reject", "approve"]


def test_prolifics_refusal_to_override_is_shown_as_its_sentence(client, handler, fake_prolific):
    built = submitted_prolific_work(fake_prolific, handler)
    a1 = built.assignments[0]
    post(client, f"/assignments/{a1}/reject", reason=LONG_REASON, category="LOW_EFFORT")
    response = post(client, f"/assignments/{a1}/override", reason="Checked again")
    assert response.status_code == 502
    assert response.get_json()["results"][0]["message"] == (
        "override failed: Prolific does not let a rejected submission be approved: the rejection stands, "
        "and nothing was changed")
    assert handler.get_assignment_data(a1)["status"] == "rejected"


# Unblock on the worker page ----------------------------------------------------------------------

def test_the_worker_page_lifts_a_block_with_a_reason_once(client, handler, built, provider):
    a1, worker = built.assignments[0], built.workers[0]
    post(client, f"/assignments/{a1}/soft_block", reason="low effort")
    page = client.get(f"/workers/{worker}").get_data(as_text=True)
    assert f'action="/workers/{worker}/unblock"' in page and f'name="run_id" value="{built.run_id}"' in page
    response = client.post(f"/workers/{worker}/unblock",
                           data={"run_id": built.run_id, "reason": "Appeal upheld", "csrf_token": client.csrf})
    assert response.status_code == 303
    assert "Unblock: lifted" in client.get(f"/workers/{worker}").get_data(as_text=True)
    assert handler.get_blocks_for_worker(worker) == []
    again = post(client, f"/workers/{worker}/unblock.json", run_id=built.run_id, reason="Appeal upheld")
    assert (again.status_code, again.get_json()["repeated"], again.get_json()["message"]) == (
        200, True, "already lifted")
    [unblock] = [a for a in handler.get_review_actions(worker_id=worker) if a["action"] == "unblock"]
    assert (unblock["reason"], unblock["outcome"]) == ("Appeal upheld", "succeeded")
    assert [c["action"] for c in provider.calls].count("unblock") == 1


def test_an_unblock_without_a_reason_or_a_block_is_refused_with_a_sentence(client, handler, built):
    worker = built.workers[0]
    post(client, f"/assignments/{built.assignments[0]}/hard_block", reason="abuse")
    no_reason = post(client, f"/workers/{worker}/unblock", run_id=built.run_id, reason=" ")
    assert (no_reason.status_code, no_reason.get_json()["message"]) == (409, "an unblock needs a reason")
    nothing = post(client, f"/workers/{built.workers[1]}/unblock", run_id=built.run_id, reason="why")
    assert nothing.status_code == 409 and "has no block that keeps them out of run" in nothing.get_json()["message"]
    assert post(client, "/workers/nobody/unblock", run_id=built.run_id, reason="why").status_code == 404
    assert len(handler.get_blocks_for_worker(worker)) == 1


def test_two_unblocks_posted_at_once_lift_once(app, client, handler, built, provider):
    a1, worker = built.assignments[0], built.workers[0]
    post(client, f"/assignments/{a1}/soft_block", reason="low effort")
    post(client, f"/assignments/{a1}/hard_block", reason="abuse")
    answers = together(app, 3, lambda c: post(c, f"/workers/{worker}/unblock", run_id=built.run_id,
                                              reason="Appeal upheld"))
    assert [a.status_code for a in answers] == [200, 200, 200], [a.get_json() for a in answers]
    assert sorted(a.get_json()["repeated"] for a in answers) == [False, True, True]
    assert [c["action"] for c in provider.calls].count("unblock") == 1
    assert handler.get_blocks_for_worker(worker) == []


# The workers list --------------------------------------------------------------------------------

def test_the_workers_list_and_its_twin_show_approval_earnings_and_blocks(client, handler, built):
    a1, a2 = built.assignments
    w1, w2 = built.workers
    post(client, f"/assignments/{a1}/approve")
    post(client, f"/assignments/{a1}/bonus", amount="0.25", reason="Thanks")
    post(client, f"/assignments/{a2}/reject", reason="Copied")
    post(client, f"/assignments/{a2}/soft_block", reason="Copied")
    listing = client.get("/workers.json").get_json()
    by_id = {w["worker_id"]: w for w in listing["workers"]}
    assert (by_id[w1]["approval_rate"], by_id[w1]["earned"], by_id[w1]["active_blocks"]) == (1.0, {"USD": 75}, 0)
    assert (by_id[w2]["approval_rate"], by_id[w2]["earned"], by_id[w2]["active_blocks"]) == (0.0, {}, 1)
    page = client.get("/workers").get_data(as_text=True)
    assert f'href="/workers/{w1}"' in page and "$0.75" in page and "1 active" in page
    blocked = client.get("/workers.json?blocked=1").get_json()["workers"]
    assert [w["worker_id"] for w in blocked] == [w2]
    assert [w["worker_id"] for w in client.get(f"/workers.json?q={w1}").get_json()["workers"]] == [w1]


def test_the_workers_list_pages_by_keyset_in_id_order(client, handler):
    for n in range(5):
        completed_conversation(handler, provider="local", conversation_id=f"t_{n}", workers=(f"P{n}a", f"P{n}b"))
    seen, path = [], "/workers.json?limit=3"
    while path:
        page = client.get(path).get_json()
        assert len(page["workers"]) <= 3
        seen += [w["worker_id"] for w in page["workers"]]
        path = f"/workers.json?limit=3&after={page['next']}" if page["next"] else None
    assert seen == sorted(f"P{n}{x}" for n in range(5) for x in "ab")
    assert client.get("/workers.json?after=garbage").status_code == 400
    assert client.get("/workers.json?limit=0").status_code == 400


# Payments log and CSV ----------------------------------------------------------------------------

def test_the_payments_log_shows_blocks_and_rejection_reasons_and_downloads_as_escaped_csv(client, handler, built):
    a1, a2 = built.assignments
    post(client, f"/assignments/{a1}/bonus", amount="1.00", reason="=HYPERLINK(\"http://evil\")")
    post(client, f"/assignments/{a2}/reject", reason="Copied the paragraph")
    post(client, f"/assignments/{a2}/hard_block", reason="Abusive messages")
    page = client.get(f"/runs/{built.run_id}/payments").get_data(as_text=True)
    assert "Copied the paragraph" in page and "hard_block" in page and "Abusive messages" in page
    response = client.get(f"/runs/{built.run_id}/payments.csv")
    assert response.mimetype == "text/csv"
    assert f'filename="payments-{built.run_id}.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["action"], r["assignment_id"], r["reason"]) for r in rows] == [
        ("bonus", a1, "'=HYPERLINK(\"http://evil\")"),
        ("reject", a2, "Copied the paragraph"),
        ("hard_block", "", "Abusive messages")]
    assert (rows[0]["amount"], rows[0]["currency"], rows[0]["outcome"]) == ("1.00", "USD", "succeeded")
    assert client.get("/runs/nope/payments.csv").status_code == 404
