"""Failed logins are limited per client address and in all, within a window: past a limit
every login is refused with 429, a sentence and Retry-After, even with the right password,
until the window has moved on. The counts are in the store, so every process shares them."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.webapp.conftest import PASSWORD, log_in
from webapp import create_app
from webapp.settings import SettingsError

WRONG = "not the password"
BY_ADDRESS = "Too many failed logins from your address. Try again in"
FOR_EVERYONE = "logins are paused for everyone"


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def fail(client, times: int = 1, **request) -> None:
    for _ in range(times):
        assert log_in(client, WRONG, **request).status_code == 401


def assert_locked_out(response, sentence: str, retry_after: int) -> None:
    assert response.status_code == 429
    assert sentence in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == str(retry_after)


def assert_logged_in(response) -> None:
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_right_password_after_two_hundred_wrong_ones_is_still_refused(app):
    """What a hostile tester did: 200 wrong passwords, then the right one (default limits)."""
    attacker = app.test_client()
    answers = [log_in(attacker, f"guess {n}").status_code for n in range(200)]
    limit = app.config["LOGIN_LIMIT_PER_ADDRESS"]
    assert answers == [401] * limit + [429] * (200 - limit)

    response = log_in(attacker, PASSWORD)

    assert_locked_out(response, BY_ADDRESS, app.config["LOGIN_WINDOW_SECONDS"])
    assert attacker.get("/index.json").status_code == 401


def test_after_the_per_address_limit_the_right_password_is_refused_with_a_sentence(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS=3, LOGIN_WINDOW_SECONDS=600)
    client = app.test_client()
    fail(client, 3)

    assert_locked_out(log_in(client, PASSWORD), BY_ADDRESS + " 10 minutes.", 600)
    assert client.get("/index.json").status_code == 401


def test_the_lockout_ends_when_the_window_has_passed(make_app, clock):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS=2, LOGIN_WINDOW_SECONDS=60)
    client = app.test_client()
    fail(client)
    clock.now += 10
    fail(client)

    clock.now += 49  # the first failure is 59 s old
    assert_locked_out(log_in(client, PASSWORD), BY_ADDRESS + " 1 second.", 1)
    clock.now += 1
    assert_logged_in(log_in(client, PASSWORD))


def test_one_addresss_failures_do_not_lock_out_another_address(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS=2)
    client = app.test_client()
    fail(client, 2, **from_address("203.0.113.5"))
    assert log_in(client, PASSWORD, **from_address("203.0.113.5")).status_code == 429

    assert_logged_in(log_in(client, PASSWORD, **from_address("198.51.100.7")))


def test_after_the_overall_limit_every_address_is_refused(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS=100, LOGIN_LIMIT_OVERALL=3, LOGIN_WINDOW_SECONDS=300)
    client = app.test_client()
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        fail(client, **from_address(address))

    response = log_in(client, PASSWORD, **from_address("198.51.100.7"))

    assert_locked_out(response, FOR_EVERYONE, 300)


def test_a_right_password_does_not_count_toward_the_limit(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS=2)
    for _ in range(3):
        assert_logged_in(log_in(app.test_client(), PASSWORD))
    fail(app.test_client())


def test_an_ipv6_client_counts_as_its_64_network(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS=2)
    client = app.test_client()
    fail(client, **from_address("2001:db8:1:2::1"))
    fail(client, **from_address("2001:db8:1:2::beef"))

    assert log_in(client, PASSWORD, **from_address("2001:db8:1:2:ffff::9")).status_code == 429
    assert_logged_in(log_in(client, PASSWORD, **from_address("2001:db8:1:3::1")))


def test_without_trust_proxy_a_forwarded_address_does_not_escape_the_limit(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS=2)
    client = app.test_client()
    fail(client, headers={"X-Forwarded-For": "192.0.2.1"})
    fail(client, headers={"X-Forwarded-For": "192.0.2.2"})

    assert log_in(client, PASSWORD, headers={"X-Forwarded-For": "192.0.2.3"}).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_counted(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS=2, TRUST_PROXY=1)
    client = app.test_client()
    fail(client, 2, headers={"X-Forwarded-For": "192.0.2.1"})

    assert log_in(client, PASSWORD, headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 429
    assert_logged_in(log_in(client, PASSWORD, headers={"X-Forwarded-For": "192.0.2.2"}))


def test_every_process_on_the_store_shares_the_counts(make_app):
    first, second = (make_app(LOGIN_LIMIT_PER_ADDRESS=2) for _ in range(2))
    fail(first.test_client(), 2)

    assert log_in(second.test_client(), PASSWORD).status_code == 429


def test_guesses_sent_at_once_are_counted_before_any_is_checked(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS=4)

    def guess(n: int) -> int:
        return log_in(app.test_client(), f"guess {n}").status_code

    with ThreadPoolExecutor(8) as pool:
        answers = sorted(pool.map(guess, range(16)))

    assert answers == [401] * 4 + [429] * 12


def test_the_limits_and_window_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("PARLEY_LOGIN_LIMIT_PER_ADDRESS", "1")
    monkeypatch.setenv("PARLEY_LOGIN_LIMIT_OVERALL", "2")
    monkeypatch.setenv("PARLEY_LOGIN_WINDOW_SECONDS", "30")
    client = make_app().test_client()
    fail(client, **from_address("203.0.113.1"))
    assert_locked_out(log_in(client, PASSWORD, **from_address("203.0.113.1")), BY_ADDRESS, 30)

    fail(client, **from_address("203.0.113.2"))
    assert_locked_out(log_in(client, PASSWORD, **from_address("203.0.113.3")), FOR_EVERYONE, 30)


@pytest.mark.parametrize("variable, value", [
    ("PARLEY_LOGIN_LIMIT_PER_ADDRESS", "0"), ("PARLEY_LOGIN_LIMIT_OVERALL", "many"),
    ("PARLEY_LOGIN_WINDOW_SECONDS", "-5"), ("PARLEY_TRUST_PROXY", "yes"), ("PARLEY_SECURE_COOKIE", "maybe"),
])
def test_a_setting_the_webapp_cannot_take_stops_it_with_a_sentence(store_url, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        create_app({"DATABASE_URL": store_url, "ADMIN_PASSWORD": PASSWORD, "IGNORE_CONFIG_FILE": True})
    assert str(refused.value).startswith(f"{variable} must be ") and repr(value) in str(refused.value)
