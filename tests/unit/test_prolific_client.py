"""The Prolific client's retries and error mapping, against a scripted local HTTP server:
429 is retried honouring Retry-After (bounded), 4xx never, 5xx only when repeating is safe;
a lost answer is OutcomeUnknown; no token is refused before any call."""
from __future__ import annotations

import socket

import pytest

from crowd.base import OutcomeUnknown, Refused
from crowd.prolific.client import ProlificClient
from tests.support.scripted_http import DROP, ScriptedServer

STUDIES = "/api/v1/studies/"


@pytest.fixture
def server():
    with ScriptedServer() as scripted:
        yield scripted


def client(server, waits=None, **kwargs):
    waits = waits if waits is not None else []
    return ProlificClient("tok-123", server.url, sleep=waits.append, **kwargs)


def test_requests_carry_the_token_and_go_to_the_endpoint_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("PROLIFIC_API_TOKEN", "env-token")
    monkeypatch.setenv("PARLEY_PROLIFIC_ENDPOINT", server.url)
    server.queue("GET", "/api/v1/users/me/", (200, {"id": "me"}, {}))
    assert ProlificClient().get("/api/v1/users/me/") == {"id": "me"}
    assert server.requests[0].headers["Authorization"] == "Token env-token"


def test_no_token_is_one_sentence_before_any_call(server, monkeypatch):
    monkeypatch.delenv("PROLIFIC_API_TOKEN", raising=False)
    with pytest.raises(Refused, match="^no Prolific API token: set PROLIFIC_API_TOKEN"):
        ProlificClient(endpoint=server.url)
    assert server.requests == []


def test_429_is_retried_after_the_seconds_retry_after_asks(server):
    server.queue("POST", STUDIES, (429, {}, {"Retry-After": "2"}), (201, {"id": "S1"}, {}))
    waits: list[float] = []
    assert client(server, waits).post(STUDIES, {"name": "x"}) == {"id": "S1"}
    assert waits == [2.0] and len(server.sent("POST", STUDIES)) == 2


def test_a_long_retry_after_is_waited_only_up_to_the_bound(server):
    server.queue("GET", STUDIES, (429, {}, {"Retry-After": "3600"}), (200, {"results": []}, {}))
    waits: list[float] = []
    client(server, waits, max_retry_after=5).get(STUDIES)
    assert waits == [5]


def test_429_that_never_ends_is_refused_after_the_attempts(server):
    server.answer = lambda request: (429, {}, {"Retry-After": "0"})
    with pytest.raises(Refused, match="Prolific is limiting requests"):
        client(server, attempts=3).get(STUDIES)
    assert len(server.requests) == 3


def test_400_is_not_retried_and_is_prolifics_own_sentence(server):
    server.queue("POST", STUDIES, (400, {"error": {"status": 400, "title": "Bad request",
                                                   "detail": {"reward": ["must be at least 1"]}}}, {}))
    with pytest.raises(Refused) as refused:
        client(server).post(STUDIES, {"reward": 0})
    assert type(refused.value) is Refused
    assert str(refused.value) == "Prolific refused POST /api/v1/studies/ (HTTP 400): reward: ['must be at least 1']"
    assert len(server.requests) == 1


def test_a_token_prolific_does_not_accept_says_which_setting_to_fix(server):
    server.queue("GET", STUDIES, (401, {"error": {"detail": "Invalid token."}}, {}))
    with pytest.raises(Refused, match="did not accept the API token in PROLIFIC_API_TOKEN .*Invalid token"):
        client(server).get(STUDIES)


def test_5xx_is_retried_for_a_read_but_a_post_that_may_have_acted_is_outcome_unknown(server):
    server.queue("GET", STUDIES, (503, {}, {}), (200, {"results": []}, {}))
    assert client(server).get(STUDIES) == {"results": []}
    server.queue("POST", "/api/v1/bulk-bonus-payments/B1/pay/", (502, {}, {}), (200, {}, {}))
    with pytest.raises(OutcomeUnknown, match="HTTP 502"):
        client(server).post("/api/v1/bulk-bonus-payments/B1/pay/")
    assert len(server.sent("POST", "/api/v1/bulk-bonus-payments/B1/pay/")) == 1


def test_5xx_is_retried_for_a_post_prolific_documents_as_idempotent(server):
    path = "/api/v1/submissions/X/transition/"
    server.queue("POST", path, (500, {}, {}), (200, {"status": "APPROVED"}, {}))
    assert client(server).post(path, {"action": "APPROVE"}, repeatable=True) == {"status": "APPROVED"}


def test_an_answer_lost_after_sending_is_outcome_unknown_and_not_repeated(server):
    server.queue("POST", "/api/v1/bulk-bonus-payments/B1/pay/", DROP)
    with pytest.raises(OutcomeUnknown, match="answer to POST /api/v1/bulk-bonus-payments/B1/pay/ was lost"):
        client(server).post("/api/v1/bulk-bonus-payments/B1/pay/")
    assert len(server.requests) == 1


def test_a_server_that_cannot_be_reached_is_refused_not_unknown():
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(Refused) as refused:
            ProlificClient("tok", f"http://127.0.0.1:{port}").get(STUDIES)
    assert type(refused.value) is Refused and "could not be reached" in str(refused.value)
