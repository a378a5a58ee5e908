"""The money guard over HTTP: concurrent POSTs to a real webapp server (threads released
together), against a provider with a marketplace's 50 ms round trip."""
from __future__ import annotations

import json
import re
import threading
from collections import Counter

import pytest

from datastore import MTurkDataHandler
from runner.server import RunnerServer
from tests.support.builders import completed_conversation
from tests.support.review_races import SlowProvider, dead_process, interrupt, rounds
from tests.support.reviewer import Browser
from tests.webapp.conftest import PASSWORD
from webapp import create_app

ROUNDS = 20
AMOUNTS = ("1.00", "1.01", "1.02", "1.03", "1.04")


@pytest.fixture
def served(app):
    server = RunnerServer(app).start()
    yield server.url
    server.stop()


def post_together(reviewer: Browser, posts: list[tuple[str, dict]]) -> list[tuple[int, dict]]:
    """POST each form at once, each from its own thread; answers (status, JSON body) in order."""
    barrier = threading.Barrier(len(posts))
    answers: list = [None] * len(posts)

    def send(n: int) -> None:
        path, form = posts[n]
        barrier.wait()
        status, body = reviewer.post(path, {**form, "csrf_token": reviewer.csrf}, accept="application/json")
        answers[n] = (status, json.loads(body))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def test_concurrent_bonus_and_verdict_posts_reach_the_provider_once_each(app, handler, served):
    provider = SlowProvider()
    app.extensions["parley"].review.provider_for = lambda run: provider
    reviewer = Browser(served, PASSWORD)
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
