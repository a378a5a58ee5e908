"""A real webapp over the per-test store, and clients logged in or not."""
from __future__ import annotations

import re

import pytest

from webapp import create_app

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(store_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PARLEY_CONFIG", str(tmp_path / "webapp.json"))
    monkeypatch.delenv("PARLEY_ADMIN_PASSWORD", raising=False)
    app = create_app({"DATABASE_URL": store_url, "ADMIN_PASSWORD": PASSWORD,
                      "SECRET_KEY": "test-secret-key", "TESTING": True})
    yield app
    for manager in app.extensions["parley"].test_runs():
        manager.shutdown()


@pytest.fixture
def handler(app):
    """The store the app uses (the same one `store_url` names)."""
    return app.extensions["parley"].handler


@pytest.fixture
def anonymous(app):
    return app.test_client()


def csrf_of(client) -> str:
    """The form token of the client's session, as the login page shows it."""
    return CSRF_FIELD.search(client.get("/login").get_data(as_text=True)).group(1)


def log_in(client, password: str = PASSWORD, next_path: str | None = None, **request):
    """Post the login form as a browser does (with the form token of the page); answers the response."""
    path = "/login" if next_path is None else f"/login?next={next_path}"
    return client.post(path, data={"password": password, "csrf_token": csrf_of(client)}, **request)


@pytest.fixture
def client(app):
    """A reviewer who has logged in; `client.csrf` is their form token."""
    client = app.test_client()
    token = csrf_of(client)
    response = client.post("/login", data={"password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.csrf = token
    return client
