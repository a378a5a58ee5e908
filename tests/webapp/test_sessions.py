"""A login is a session kept in the store: logging out, a new admin password and expiry end
it for real, in every process on the store, whatever a saved copy of the cookie says. The
cookie is Secure when the dashboard is reached over https, and a proxy's word on that (or on
the client's address) is believed only when PARLEY_TRUST_PROXY says a proxy is there."""
import pytest
from werkzeug.security import generate_password_hash

from tests.webapp.conftest import PASSWORD, log_in, logged_in_client
from webapp.settings import write_config_file

NEW_PASSWORD = "a new password after a leak"


def saved_cookie(client) -> str:
    return client.get_cookie("session").value


def client_with_cookie(app, cookie: str):
    """Someone else's client that presents a copy of a reviewer's cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def assert_logged_out(client) -> None:
    assert client.get("/index.json").status_code == 401
    page = client.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_a_cookie_saved_before_logout_is_refused_after_it(client, app):
    saved = saved_cookie(client)
    assert client_with_cookie(app, saved).get("/index.json").status_code == 200

    assert client.post("/logout", data={"csrf_token": client.csrf}).status_code == 302

    assert_logged_out(client_with_cookie(app, saved))
    assert_logged_out(client)


def test_logging_out_on_one_process_ends_the_session_on_every_other(make_app):
    first, second = make_app(), make_app()
    reviewer = logged_in_client(first)
    on_second = client_with_cookie(second, saved_cookie(reviewer))
    assert on_second.get("/index.json").status_code == 200

    reviewer.post("/logout", data={"csrf_token": reviewer.csrf})

    assert_logged_out(on_second)


def test_processes_given_the_same_password_in_the_environment_accept_each_others_sessions(make_app, monkeypatch):
    """Each process hashes PARLEY_ADMIN_PASSWORD with its own salt; the session still holds."""
    monkeypatch.setenv("PARLEY_ADMIN_PASSWORD", PASSWORD)
    first, second = make_app(ADMIN_PASSWORD=None), make_app(ADMIN_PASSWORD=None)
    reviewer = logged_in_client(first)
    assert client_with_cookie(second, saved_cookie(reviewer)).get("/index.json").status_code == 200


def set_password(source: str, password: str, make_app, monkeypatch, tmp_path):
    """A webapp started with `password` set the way `source` sets it."""
    if source == "environment":
        monkeypatch.setenv("PARLEY_ADMIN_PASSWORD", password)
        return make_app(ADMIN_PASSWORD=None)
    if source == "config file":
        write_config_file({"admin_password_hash": generate_password_hash(password)}, tmp_path / "webapp.json")
        return make_app(ADMIN_PASSWORD=None)
    return make_app(ADMIN_PASSWORD=password)


@pytest.mark.parametrize("source", ["environment", "config file", "create_app"])
def test_a_new_admin_password_ends_the_sessions_opened_under_the_old_one(source, make_app, monkeypatch, tmp_path):
    before = set_password(source, PASSWORD, make_app, monkeypatch, tmp_path)
    saved = saved_cookie(logged_in_client(before))

    after = set_password(source, NEW_PASSWORD, make_app, monkeypatch, tmp_path)

    assert_logged_out(client_with_cookie(after, saved))
    assert log_in(after.test_client(), PASSWORD).status_code == 401
    assert log_in(after.test_client(), NEW_PASSWORD).status_code == 302


def test_a_session_ends_session_hours_after_login(make_app, clock):
    app = make_app(SESSION_HOURS=2)
    reviewer = logged_in_client(app)
    saved = saved_cookie(reviewer)

    clock.now += 2 * 3600 - 1
    assert reviewer.get("/index.json").status_code == 200

    clock.now += 1
    assert_logged_out(client_with_cookie(app, saved))
    assert_logged_out(reviewer)


# The cookie's Secure flag and the proxy in front ---------------------------------------------

def login_cookie(app, **request) -> str:
    """The Set-Cookie header with which a login answers."""
    response = log_in(app.test_client(), **request)
    assert response.status_code == 302
    [cookie] = response.headers.getlist("Set-Cookie")
    return cookie


def is_secure(cookie: str) -> bool:
    return "secure" in [part.strip().lower() for part in cookie.split(";")]


HTTPS_BY_PROXY = {"headers": {"X-Forwarded-Proto": "https"}}


def test_the_cookie_is_secure_on_a_direct_https_request_and_not_on_plain_http(app):
    assert is_secure(login_cookie(app, base_url="https://localhost"))
    assert not is_secure(login_cookie(app))


def test_behind_a_trusted_proxy_the_cookie_is_secure_when_the_proxy_says_https(make_app):
    app = make_app(TRUST_PROXY=1)
    assert is_secure(login_cookie(app, **HTTPS_BY_PROXY))
    assert not is_secure(login_cookie(app))


def test_without_trust_proxy_a_forwarded_https_is_not_believed(app):
    assert not is_secure(login_cookie(app, **HTTPS_BY_PROXY))


def test_trust_proxy_and_a_forced_secure_cookie_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("PARLEY_TRUST_PROXY", "1")
    assert is_secure(login_cookie(make_app(), **HTTPS_BY_PROXY))
    monkeypatch.setenv("PARLEY_TRUST_PROXY", "0")
    monkeypatch.setenv("PARLEY_SECURE_COOKIE", "1")
    assert is_secure(login_cookie(make_app()))


def test_a_forced_secure_cookie_is_secure_even_on_plain_http(make_app):
    assert is_secure(login_cookie(make_app(SESSION_COOKIE_SECURE=True)))
