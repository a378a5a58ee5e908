"""The dashboard's reject forms ask for a rejection category only on runs whose marketplace
files rejections under one (Prolific here, against the fake Prolific), and the category a
reviewer chooses reaches the marketplace and the audit log; a missing or unknown one is a
4xx with a sentence and nothing is done."""
from __future__ import annotations

import re

import pytest

from crowd.prolific.provider import REJECTION_CATEGORIES
from tests.support.builders import completed_conversation
from tests.support.prolific import LONG_REASON, submitted_prolific_work

CATEGORY_SELECT = re.compile(r'<select name="category"[^>]*>(.*?)</select>', re.S)


@pytest.fixture
def prolific_work(fake_prolific, handler):
    return submitted_prolific_work(fake_prolific, handler)


def post(client, path, **body):
    return client.post(path, json=body, headers={"X-CSRF-Token": client.csrf})


def conversation_page(client, built) -> str:
    return client.get(f"/runs/{built.run_id}/conversations/{built.conversation_id}").get_data(as_text=True)


def test_a_prolific_runs_reject_forms_ask_for_one_of_its_categories(client, prolific_work):
    page = conversation_page(client, prolific_work)
    selects = CATEGORY_SELECT.findall(page)
    assert len(selects) == 1 + len(prolific_work.assignments)  # the bulk form and each worker's reject form
    for options in selects:
        assert re.findall(r'<option value="([^"]*)"', options) == ["", *REJECTION_CATEGORIES]
    assert page.count('minlength="100"') == len(prolific_work.assignments)
    twin = client.get(f"/runs/{prolific_work.run_id}/conversations/{prolific_work.conversation_id}.json")
    assert twin.get_json()["rejection_categories"] == list(REJECTION_CATEGORIES)


def test_a_local_runs_reject_forms_ask_for_no_category(client, handler):
    built = completed_conversation(handler, provider="local")
    page = conversation_page(client, built)
    assert 'name="category"' not in page and "minlength" not in page
    assert "Rejection reason" in page  # the reject form itself is there
    twin = client.get(f"/runs/{built.run_id}/conversations/{built.conversation_id}.json")
    assert twin.get_json()["rejection_categories"] == []


def test_the_reject_form_carries_its_category_to_prolific_and_the_audit_log(client, handler, fake_prolific, prolific_work):
    a1 = prolific_work.assignments[0]
    back = f"/runs/{prolific_work.run_id}/conversations/{prolific_work.conversation_id}"
    response = client.post(f"/assignments/{a1}/reject", data={
        "reason": LONG_REASON, "category": "NO_DATA", "csrf_token": client.csrf, "next": back})
    assert response.status_code == 303
    assert fake_prolific.submission(a1)["rejection"] == {"message": LONG_REASON, "rejection_category": "NO_DATA"}
    [row] = handler.get_review_actions(assignment_id=a1)
    assert (row["outcome"], row["provider_response"]["category"]) == ("succeeded", "NO_DATA")
    page = client.get(back).get_data(as_text=True)
    assert '<p class="flash flash--ok">Rejected.</p>' in page and "reject (NO_DATA)" in page


@pytest.mark.parametrize(("body", "sentence"), [
    ({"reason": LONG_REASON}, "Prolific files every rejection under a category: choose one of"),
    ({"reason": LONG_REASON, "category": "RUDE"}, "'RUDE' is not a rejection category of Prolific"),
    ({"reason": "Off topic.", "category": "LOW_EFFORT"}, "at least 100 characters"),
])
def test_a_prolific_rejection_without_a_known_category_is_a_409_with_a_sentence_and_nothing_done(
        client, handler, fake_prolific, prolific_work, body, sentence):
    response = post(client, f"/assignments/{prolific_work.assignments[0]}/reject", **body)
    assert response.status_code == 409
    assert sentence in response.get_json()["results"][0]["message"]
    assert handler.get_review_actions() == [] and fake_prolific.calls_of("transition_submission") == []


def test_a_category_on_a_local_run_is_a_409(client, handler):
    built = completed_conversation(handler, provider="local")
    response = post(client, f"/assignments/{built.assignments[0]}/reject", reason="Off topic.", category="NO_DATA")
    assert response.status_code == 409
    message = response.get_json()["results"][0]["message"]
    assert "the local provider (no marketplace) takes no rejection category" in message
    assert handler.get_review_actions() == []


def test_a_bulk_rejection_files_every_selected_submission_under_the_category(client, handler, fake_prolific, prolific_work):
    response = post(client, "/review/bulk", action="reject", assignment_ids=prolific_work.assignments,
                    reason=LONG_REASON, category="BAD_CODE")
    assert response.status_code == 200
    assert [r["ok"] for r in response.get_json()["results"]] == [True, True]
    assert [fake_prolific.submission(a)["rejection"]["rejection_category"] for a in prolific_work.assignments] == [
        "BAD_CODE", "BAD_CODE"]
    refused = post(client, "/review/bulk", action="reject", assignment_ids=prolific_work.assignments,
                   reason=LONG_REASON)
    assert refused.status_code == 409
    assert len(fake_prolific.calls_of("transition_submission")) == 2
