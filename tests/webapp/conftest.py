"""A real webapp over the per-test store, and clients logged in or not."""
from __future__ import annotations

import pytest

from tests.support.reviewer import CSRF_FIELD
from tests.support.store_probes import Clock
from webapp import create_app

PASSWORD = "correct horse battery staple"
SECRET_KEY = "test-secret-key"


@pytest.fixture
def clock() -> Clock:
    """The webapp's clock (its CLOCK setting), moved by the test: expiry and lockouts
    without sleeping."""
    return Clock(1_750_000_000.0)


@pytest.fixture
def make_app(store_url, tmp_path, monkeypatch, clock):
    """Build a webapp over the per-test store; keyword arguments override its settings. Apps
    made by one test share the store, the session key and the clock, like the processes of
    one deployment."""
    monkeypatch.setenv("PARLEY_CONFIG", str(tmp_path / "webapp.json"))
    monkeypatch.delenv("PARLEY_ADMIN_PASSWORD", raising=False)
    made = []

    def make(**overrides):
        settings = {"DATABASE_URL": store_url, "ADMIN_PASSWORD": PASSWORD, "SECRET_KEY": SECRET_KEY,
                    "TESTING": True, "CLOCK": clock.time, **overrides}
        made.append(create_app({k: v for k, v in settings.items() if v is not None}))
        return made[-1]

    yield make
    for app in made:
        for manager in app.extensions["parley"].test_runs():
            manager.shutdown()


@pytest.fixture
def app(make_app):
    return make_app()


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


def logged_in_client(app):
    """A reviewer who has logged in; `client.csrf` is the form token they got at login."""
    client = app.test_client()
    response = log_in(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    client.csrf = csrf_of(client)
    return client


@pytest.fixture
def client(app):
    return logged_in_client(app)
