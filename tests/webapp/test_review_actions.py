"""Approve, reject, bonus and blocks from the dashboard: each through the review service,
one effect however often it is asked, and every refusal a clear 4xx."""
import pytest

from tests.support.builders import completed_conversation


@pytest.fixture
def built(handler):
    return completed_conversation(handler, provider="local")


def post(client, path, **body):
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf})


def test_approve_twice_has_one_effect_and_one_audit_entry(client, handler, built):
    a1 = built.assignments[0]
    first = post(client, f"/assignments/{a1}/approve")
    second = post(client, f"/assignments/{a1}/approve")
    assert first.status_code == second.status_code == 200
    [r1], [r2] = first.get_json()["results"], second.get_json()["results"]
    assert (r1["ok"], r1["repeated"]) == (True, False)
    assert (r2["ok"], r2["repeated"], r2["review_action_id"]) == (True, True, r1["review_action_id"])
    assert [a["action"] for a in handler.get_review_actions(assignment_id=a1)] == ["approve"]
    assert handler.get_assignment_data(a1)["status"] == "approved"


def test_a_bonus_asked_twice_with_the_same_reason_is_paid_once(client, handler, built):
    a1 = built.assignments[0]
    for _ in range(3):
        assert post(client, f"/assignments/{a1}/bonus", amount="0.75", reason="Great detail").status_code == 200
    [entry] = handler.get_review_actions(assignment_id=a1)
    assert (entry["action"], entry["amount_cents"], entry["outcome"]) == ("bonus", 75, "succeeded")
    pairing = handler.get_worker_assignment_pairing(built.workers[0], a1)
    assert (pairing["bonus_amount_cents"], pairing["bonus_paid"]) == (75, True)


def test_reject_after_approve_is_refused_with_a_clear_message(client, handler, built):
    a1 = built.assignments[0]
    post(client, f"/assignments/{a1}/approve")
    response = post(client, f"/assignments/{a1}/reject", reason="changed my mind")
    assert response.status_code == 409
    [result] = response.get_json()["results"]
    assert result["message"] == (f"assignment {a1} is already approved; an approved assignment "
                                 "cannot be rejected")
    assert handler.get_assignment_data(a1)["status"] == "approved"
    assert [a["action"] for a in handler.get_review_actions(assignment_id=a1)] == ["approve"]


@pytest.mark.parametrize(("action", "body", "message"), [
    ("reject", {"reason": ""}, "a rejection needs a reason the worker will see"),
    ("bonus", {"amount": "-5", "reason": "x"}, "is negative"),
    ("bonus", {"amount": "1e9", "reason": "x"}, "is more than"),
    ("bonus", {"amount": "ten", "reason": "x"}, "is not an amount of dollars"),
    ("bonus", {"amount": "1", "reason": ""}, "a bonus needs a reason"),
    ("soft_block", {"reason": ""}, "a block needs a reason"),
])
def test_bad_review_input_is_a_409_with_a_sentence_and_changes_nothing(client, handler, built, action, body, message):
    response = post(client, f"/assignments/{built.assignments[0]}/{action}", **body)
    assert response.status_code == 409
    assert message in response.get_json()["results"][0]["message"]
    assert handler.get_review_actions() == []
    assert handler.get_assignment_data(built.assignments[0])["status"] == "completed"


def test_unknown_assignments_and_actions_are_refused(client, handler):
    assert post(client, "/assignments/nope/approve").status_code == 409
    assert post(client, "/assignments/nope/pay-twice").status_code == 404
    assert handler.get_review_actions() == []


def test_bulk_approve_acts_on_each_selected_assignment_once(client, handler, built):
    response = post(client, "/review/bulk", action="approve",
                    assignment_ids=[*built.assignments, built.assignments[0]])
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["assignment_id"] for r in results] == built.assignments
    assert {handler.get_assignment_data(a)["status"] for a in built.assignments} == {"approved"}
    assert len(handler.get_review_actions()) == 2


@pytest.mark.parametrize("body", [{"action": "explode", "assignment_ids": ["x"]},
                                  {"action": "approve", "assignment_ids": []},
                                  {"action": "approve", "assignment_ids": [1, 2]}])
def test_bad_bulk_requests_are_400(client, handler, body):
    assert post(client, "/review/bulk", **body).status_code == 400
    assert handler.get_review_actions() == []


def test_a_form_post_redirects_back_with_a_message(client, handler, built):
    a2 = built.assignments[1]
    back = f"/runs/{built.run_id}/conversations/{built.conversation_id}"
    response = client.post(f"/assignments/{a2}/reject",
                           data={"reason": "Copied text", "csrf_token": client.csrf, "next": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    page = client.get(back).get_data(as_text=True)
    assert '<p class="flash flash--ok">Rejected.</p>' in page
    assert "Copied text" in page  # in the audit log on the page
    assert handler.get_assignment_data(a2)["feedback"] == "Copied text"


def test_blocks_act_on_the_assignments_worker(client, handler, built):
    a1 = built.assignments[0]
    assert post(client, f"/assignments/{a1}/soft_block", reason="low effort").status_code == 200
    assert post(client, f"/assignments/{a1}/hard_block", reason="abuse").status_code == 200
    blocks = handler.get_blocks_for_worker(built.workers[0])
    assert sorted(b["kind"] for b in blocks) == ["hard", "soft"]
    assert handler.get_qualification("parley_qa_data_collection_block", False) is not None


def test_unblock_lifts_the_workers_blocks_from_the_run_once(client, handler, built):
    a1 = built.assignments[0]
    post(client, f"/assignments/{a1}/soft_block", reason="low effort")
    post(client, f"/assignments/{a1}/hard_block", reason="abuse")
    first = post(client, f"/assignments/{a1}/unblock", reason="appeal upheld")
    again = post(client, f"/assignments/{a1}/unblock", reason="appeal upheld")
    assert first.status_code == again.status_code == 200
    assert (first.get_json()["results"][0]["repeated"], again.get_json()["results"][0]["repeated"]) == (False, True)
    assert handler.get_blocks_for_worker(built.workers[0]) == []
    unblocks = [r for r in handler.get_review_actions(worker_id=built.workers[0]) if r["action"] == "unblock"]
    assert [(r["actor"], r["reason"], r["outcome"]) for r in unblocks] == [("reviewer", "appeal upheld", "succeeded")]
    refused = post(client, f"/assignments/{built.assignments[1]}/unblock", reason="nothing to lift")
    assert refused.status_code == 409
    assert "has no block that keeps them out of run" in refused.get_json()["results"][0]["message"]


def test_pay_all_approved_bonuses_pays_each_once(client, handler, built):
    a1, a2 = built.assignments
    w1, w2 = built.workers
    handler.log_award_amount(w1, a1, "1.50", "Extra effort")
    handler.log_award_amount(w2, a2, "2.00", "Not approved yet")
    post(client, f"/assignments/{a1}/approve")
    path = f"/runs/{built.run_id}/payments/pay-approved-bonuses"
    first = client.post(path, headers={"X-CSRF-Token": client.csrf, "Accept": "application/json"})
    again = client.post(path, headers={"X-CSRF-Token": client.csrf, "Accept": "application/json"})
    assert first.get_json() == {"paid": 1, "problems": []}
    assert again.get_json() == {"paid": 0, "problems": []}
    bonuses = [a for a in handler.get_review_actions(run_id=built.run_id) if a["action"] == "bonus"]
    assert [(b["assignment_id"], b["amount_cents"]) for b in bonuses] == [(a1, 150)]
    assert handler.get_worker_assignment_pairing(w2, a2)["bonus_paid"] in (False, 0)
