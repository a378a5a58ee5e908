"""Messaging a worker from their page: a form (CSRF-protected) and its JSON twin, both through
the review service, so a message about a run is sent once and audited."""
import re

import pytest

from tests.support.builders import completed_conversation

SUBJECT = "A follow-up task"
MESSAGE = "Thank you; a follow-up opens tomorrow."


@pytest.fixture
def built(handler):
    return completed_conversation(handler, provider="local")


def notifications(handler):
    return [a for a in handler.get_review_actions() if a["action"] == "notify"]


def test_the_worker_page_has_a_message_form_that_sends_once(client, handler, built):
    worker = built.workers[0]
    page = client.get(f"/workers/{worker}").get_data(as_text=True)
    assert f'action="/workers/{worker}/notify"' in page
    assert re.search(rf'<option value="{built.run_id}">', page)
    form = {"csrf_token": client.csrf, "run_id": built.run_id, "subject": SUBJECT, "message": MESSAGE}
    first = client.post(f"/workers/{worker}/notify", data=form)
    assert first.status_code == 303
    again = client.post(f"/workers/{worker}/notify", data=form, follow_redirects=True)
    assert "this message was already sent" in again.get_data(as_text=True)
    [row] = notifications(handler)
    assert (row["worker_id"], row["run_id"], row["actor"], row["outcome"]) == (worker, built.run_id, "reviewer",
                                                                              "succeeded")
    assert client.get(f"/workers/{worker}.json").get_json()["messages"][0]["id"] == row["id"]


def test_the_json_twin_answers_the_result(client, handler, built):
    worker = built.workers[0]
    body = {"run_id": built.run_id, "subject": SUBJECT, "message": MESSAGE}
    first = client.post(f"/workers/{worker}/notify.json", json=body, headers={"X-CSRF-Token": client.csrf})
    again = client.post(f"/workers/{worker}/notify.json", json=body, headers={"X-CSRF-Token": client.csrf})
    assert first.status_code == again.status_code == 200
    assert (first.get_json()["ok"], first.get_json()["repeated"]) == (True, False)
    assert (again.get_json()["repeated"], again.get_json()["review_action_id"]) == (
        True, first.get_json()["review_action_id"])
    assert len(notifications(handler)) == 1


def test_a_message_without_the_csrf_token_is_403_and_sends_nothing(client, handler, built):
    response = client.post(f"/workers/{built.workers[0]}/notify",
                           data={"run_id": built.run_id, "subject": SUBJECT, "message": MESSAGE})
    assert response.status_code == 403
    assert notifications(handler) == []


@pytest.mark.parametrize(("body", "status", "sentence"), [
    ({"run_id": "other", "subject": SUBJECT, "message": MESSAGE}, 400, "has no assignment in run 'other'"),
    ({"subject": SUBJECT, "message": MESSAGE}, 400, "has no assignment in run ''"),
    ({"run_id": None, "subject": "s" * 201, "message": MESSAGE}, 400, "the subject is 201 characters"),
    ({"run_id": None, "subject": SUBJECT, "message": ""}, 400, "a message needs a subject and a text"),
])
def test_bad_messages_are_4xx_with_a_sentence_and_send_nothing(client, handler, built, body, status, sentence):
    body = {**body, "run_id": built.run_id} if "run_id" in body and body["run_id"] is None else body
    response = client.post(f"/workers/{built.workers[0]}/notify.json", json=body,
                           headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == status
    assert sentence in response.get_json()["message"]
    assert notifications(handler) == []


def test_an_unknown_worker_is_404(client, built):
    response = client.post("/workers/NOBODY/notify.json", json={"run_id": built.run_id, "subject": SUBJECT,
                                                               "message": MESSAGE},
                           headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 404
