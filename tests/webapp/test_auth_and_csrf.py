"""Nothing but /healthz, /login and static files without a session; no state change
without the session's CSRF token."""
import pytest

from tests.support.builders import completed_conversation
from tests.webapp.conftest import PASSWORD, csrf_of, log_in


@pytest.fixture
def built(handler):
    return completed_conversation(handler, provider="local")


def pages(built):
    run, conv, worker = built.run_id, built.conversation_id, built.workers[0]
    return ["/", f"/runs/{run}", f"/runs/{run}/conversations/{conv}", f"/workers/{worker}",
            f"/runs/{run}/payments", "/live", "/app/tasks", "/app/tasks/qa_data_collection"]


def json_twin(path):
    return "/index.json" if path == "/" else path + ".json"


def test_healthz_answers_without_login(anonymous):
    response = anonymous.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"ok": True}


def test_every_page_redirects_to_login_and_every_json_twin_answers_401(anonymous, built):
    for path in pages(built):
        page = anonymous.get(path)
        assert page.status_code == 302, path
        assert page.headers["Location"].startswith("/login?next="), path
        twin = anonymous.get(json_twin(path))
        assert twin.status_code == 401, json_twin(path)
        assert twin.get_json() == {"error": "login required"}


def test_a_wrong_password_is_refused_with_a_sentence(anonymous):
    token = csrf_of(anonymous)
    response = anonymous.post("/login", data={"password": "guess", "csrf_token": token})
    assert response.status_code == 401
    assert "That password is not right." in response.get_data(as_text=True)
    assert anonymous.get("/").status_code == 302


def test_login_itself_needs_the_csrf_token(anonymous):
    csrf_of(anonymous)
    response = anonymous.post("/login", data={"password": PASSWORD})
    assert response.status_code == 403
    assert anonymous.get("/").status_code == 302


@pytest.mark.parametrize("headers_or_form", ["none", "wrong", "other-session"])
def test_a_post_without_the_right_csrf_token_is_403_and_changes_nothing(client, app, handler, built, headers_or_form):
    assignment = built.assignments[0]
    data = {"none": {}, "wrong": {"csrf_token": "not-the-token"},
            "other-session": {"csrf_token": csrf_of(app.test_client())}}[headers_or_form]
    response = client.post(f"/assignments/{assignment}/approve", data=data)
    assert response.status_code == 403
    assert "did not come from Parley" in response.get_data(as_text=True)
    assert handler.get_assignment_data(assignment)["status"] == "completed"
    assert handler.get_review_actions() == []
    json_response = client.post(f"/assignments/{assignment}/bonus", json={"amount": "1", "reason": "x"})
    assert json_response.status_code == 403
    assert handler.get_review_actions() == []


def test_the_csrf_token_may_come_as_a_header(client, handler, built):
    response = client.post(f"/assignments/{built.assignments[0]}/approve", json={},
                           headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 200
    assert handler.get_assignment_data(built.assignments[0])["status"] == "approved"


def test_logout_ends_the_session(client):
    assert client.post("/logout", data={"csrf_token": client.csrf}).status_code == 302
    assert client.get("/").status_code == 302


def test_login_gives_a_new_csrf_token_and_the_one_from_before_login_is_refused(anonymous, handler, built):
    before = csrf_of(anonymous)
    assert anonymous.post("/login", data={"password": PASSWORD, "csrf_token": before}).status_code == 302
    after = csrf_of(anonymous)
    assert after != before
    assignment = built.assignments[0]
    refused = anonymous.post(f"/assignments/{assignment}/approve", json={}, headers={"X-CSRF-Token": before})
    assert refused.status_code == 403
    assert handler.get_review_actions() == []
    accepted = anonymous.post(f"/assignments/{assignment}/approve", json={}, headers={"X-CSRF-Token": after})
    assert accepted.status_code == 200


def test_logging_in_again_ends_the_session_it_replaces(client, app):
    replaced = client.get_cookie("session").value
    assert log_in(client).status_code == 302
    old = app.test_client()
    old.set_cookie("session", replaced)
    assert old.get("/index.json").status_code == 401
