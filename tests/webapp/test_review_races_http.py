"""The money guard over HTTP: concurrent POSTs to a real webapp server (threads released
together), against a provider with a marketplace's 50 ms round trip."""
from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.request
from collections import Counter
from urllib.parse import urlencode

import pytest

from datastore import MTurkDataHandler
from runner.server import RunnerServer
from tests.support.builders import completed_conversation
from tests.support.review_races import SlowProvider, dead_process, interrupt, rounds
from tests.webapp.conftest import PASSWORD
from webapp import create_app

ROUNDS = 20
AMOUNTS = ("1.00", "1.01", "1.02", "1.03", "1.04")


class Reviewer:
    """A logged-in browser session against a real server: cookies and the page's CSRF token."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        login = self.opener.open(f"{url}/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        self.opener.open(f"{url}/login", urlencode({"password": PASSWORD, "csrf_token": token}).encode())
        page = self.opener.open(f"{url}/").read().decode()
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf, "Accept": "application/json"})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


@pytest.fixture
def served(app):
    server = RunnerServer(app).start()
    yield server.url
    server.stop()


def post_together(reviewer: Reviewer, posts: list[tuple[str, dict]]) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(posts))
    answers: list = [None] * len(posts)

    def send(n: int) -> None:
        barrier.wait()
        answers[n] = reviewer.post(*posts[n])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_concurrent_bonus_and_verdict_posts_reach_the_provider_once_each(app, handler, served):
    provider = SlowProvider()
    app.extensions["parley"].review.provider_for = lambda run: provider
    reviewer = Reviewer(served)
    for n, (run_id, paid, judged) in enumerate(rounds(handler, ROUNDS)):
        answers = post_together(reviewer, [
            *[(f"/assignments/{paid}/bonus", {"amount": amount, "reason": "Thanks"}) for amount in AMOUNTS],
            (f"/assignments/{judged}/approve", {}),
            (f"/assignments/{judged}/reject", {"reason": "Copied answers"}),
        ])
        statuses = Counter(status for status, _ in answers[:5])
        assert statuses == Counter({200: 1, 409: 4}), f"round {n}: {answers[:5]}"
        assert Counter(status for status, _ in answers[5:]) == Counter({200: 1, 409: 1}), f"round {n}"
        refused = [body["results"][0]["message"] for status, body in answers if status == 409]
        assert all(re.search("being done right now|already|was rejected", m) for m in refused), refused
        assert provider.reached(paid) == Counter(bonus=1)
        assert sum(provider.reached(judged)[a] for a in ("approve", "reject")) == 1
        log = handler.get_review_actions(run_id=run_id)
        assert [r for r in log if r["outcome"] in ("pending", "unknown")] == []


def test_the_webapp_settles_review_actions_interrupted_by_a_dead_process_when_it_starts(
        store_url, tmp_path, monkeypatch):
    handler = MTurkDataHandler(db_url=store_url)
    built = completed_conversation(handler, provider="local")
    interrupt(handler, built.assignments[0], owner=dead_process())
    monkeypatch.setenv("PARLEY_CONFIG", str(tmp_path / "webapp.json"))
    create_app({"DATABASE_URL": store_url, "ADMIN_PASSWORD": PASSWORD, "SECRET_KEY": "k", "TESTING": True})
    [settled] = handler.get_review_actions()
    assert (settled["outcome"], settled["error"]) == ("failed", "local was asked afterwards and had not done it")
