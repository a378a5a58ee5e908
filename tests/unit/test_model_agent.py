"""ModelAgent against the fake OpenAI-compatible server: what it sends, what it says, and the
line it says instead of raising when the model cannot answer."""
from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from runner.model_agent import API_KEY_ENV, ModelAgent, shown_url
from tests.fakes.openai_server import DROP, EMPTY, MALFORMED, SLOW, FakeOpenAI

KEY = "sk-parley-test-0123456789abcdef"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_key_in_the_environment(monkeypatch):
    monkeypatch.delenv(API_KEY_ENV, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def asked(agent: ModelAgent, text: str = "What is a good name for a cat?", speaker: str = "System") -> dict:
    agent.observe({"id": speaker, "text": text})
    return agent.act()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_reply_is_the_servers_and_the_prompt_goes_as_a_user_message_after_the_system_prompt(fake):
    fake.reply = lambda messages: "  Call it Biscuit.  "
    agent = ModelAgent("Model", fake.url, "tiny-chat", system_prompt="You are helpful.")
    assert asked(agent) == {"id": "Model", "text": "Call it Biscuit.", "episode_done": False}
    assert fake.sent_messages == [[{"role": "system", "content": "You are helpful."},
                                   {"role": "user", "content": "What is a good name for a cat?"}]]
    assert fake.requests[0].body["model"] == "tiny-chat"
    assert "temperature" not in fake.requests[0].body and "max_tokens" not in fake.requests[0].body


def test_its_own_replies_go_back_as_assistant_and_several_speakers_are_named(fake):
    agent = ModelAgent("Model", fake.url, "m")
    asked(agent, "Hello", speaker="Alice")
    agent.observe({"id": "Model", "text": "You said: Hello"})  # its own act, echoed by a world: kept once
    agent.observe({"id": "Bob", "text": "And me?"})
    agent.observe({"id": "Alice", "text": ""})  # nothing said: nothing sent
    agent.act()
    assert fake.sent_messages[-1] == [
        {"role": "user", "content": "Alice: Hello"},
        {"role": "assistant", "content": "You said: Hello"},
        {"role": "user", "content": "Bob: And me?"},
    ]


def test_temperature_and_max_tokens_are_sent_when_given(fake):
    asked(ModelAgent("Model", fake.url, "m", temperature=0.2, max_tokens=50))
    body = fake.requests[0].body
    assert (body["temperature"], body["max_tokens"]) == (0.2, 50)


def test_a_streamed_reply_is_the_deltas_joined(fake):
    fake.reply = lambda messages: "Biscuit, or maybe Pepper."
    agent = ModelAgent("Model", fake.url, "m", stream=True)
    assert asked(agent)["text"] == "Biscuit, or maybe Pepper."
    assert fake.requests[0].body["stream"] is True


def test_server_errors_are_retried_by_the_client_and_a_later_success_is_the_reply(fake):
    fake.fail_next(status=503, times=2)
    agent = ModelAgent("Model", fake.url, "m", max_retries=2)
    assert asked(agent)["text"] == "You said: What is a good name for a cat?"
    assert len(fake.requests) == 3


@pytest.mark.parametrize(("fault", "options", "kind", "line"), [
    ({"status": 500, "times": 3}, {}, "status_500",
     "[The model could not answer: the server said 500 Internal Server Error.]"),
    ({"status": 429, "times": 3}, {}, "status_429",
     "[The model could not answer: the server said 429 Too Many Requests (rate_limit_exceeded).]"),
    ({"status": 404}, {}, "status_404",
     "[The model could not answer: the server said 404 Not Found (model_not_found).]"),
    ({"kind": SLOW, "seconds": 10}, {"timeout": 0.2, "max_retries": 0}, "timeout",
     "[The model could not answer: the server did not answer within 0.2 seconds.]"),
    ({"kind": DROP}, {"max_retries": 0}, "connection",
     "[The model could not answer: the server could not be reached.]"),
    ({"kind": MALFORMED}, {}, "malformed",
     "[The model could not answer: the server's answer was not a chat completion.]"),
    ({"kind": EMPTY}, {}, "empty", "[The model could not answer: the server's answer was empty.]"),
    ({"kind": EMPTY}, {"stream": True}, "empty", "[The model could not answer: the server's answer was empty.]"),
], ids=["500", "429", "404", "timeout", "dropped", "malformed", "empty", "empty-stream"])
def test_a_model_that_cannot_answer_gives_a_line_marked_model_error(fake, fault, options, kind, line):
    fake.fail_next(**fault)
    agent = ModelAgent("Model", fake.url, "m", **options)
    assert asked(agent) == {"id": "Model", "text": line, "episode_done": False, "model_error": kind}


def test_a_refused_connection_gives_a_line_and_the_url_goes_only_to_the_log(caplog):
    agent = ModelAgent("Model", f"http://127.0.0.1:{closed_port()}/v1", "m", max_retries=0)
    with caplog.at_level(logging.WARNING, logger="parley.runner"):
        act = asked(agent)
    assert act["model_error"] == "connection"
    assert act["text"] == "[The model could not answer: the server could not be reached.]"
    assert "could not answer: the server could not be reached" in caplog.text and "127.0.0.1" in caplog.text


def test_a_failure_line_is_not_sent_back_to_the_model_and_the_next_question_is_answered(fake):
    fake.fail_next(status=500, times=3)
    agent = ModelAgent("Model", fake.url, "m", failure_text="(no answer: {reason})")
    assert asked(agent, "First?")["text"] == "(no answer: the server said 500 Internal Server Error)"
    assert asked(agent, "Second?", speaker="System")["text"] == "You said: Second?"
    assert fake.sent_messages[-1] == [{"role": "user", "content": "First?"}, {"role": "user", "content": "Second?"}]


def test_the_key_is_the_argument_else_the_environment_else_a_placeholder(fake, monkeypatch):
    asked(ModelAgent("Model", fake.url, "m", api_key=KEY))
    monkeypatch.setenv(API_KEY_ENV, "sk-from-the-environment")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-parleys")
    asked(ModelAgent("Model", fake.url, "m"))
    monkeypatch.delenv(API_KEY_ENV)
    asked(ModelAgent("Model", fake.url, "m"))
    assert [r.headers["Authorization"] for r in fake.requests] == [
        f"Bearer {KEY}", "Bearer sk-from-the-environment", "Bearer not-needed"]


def test_the_key_is_in_no_log_line_act_or_observation_whatever_happens(caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)  # every logger: ours, openai's, the HTTP client's
    with FakeOpenAI(api_key=KEY) as fake:
        fake.reply = lambda messages: "Fine."
        good = ModelAgent("Model", fake.url, "m", api_key=KEY, max_retries=1)
        acts = [asked(good)]
        fake.fail_next(status=500, times=2)
        acts.append(asked(good))
        fake.fail_next(MALFORMED)
        acts.append(asked(good))
        monkeypatch.setenv(API_KEY_ENV, KEY[:-1])  # a wrong key: the server refuses it
        acts.append(asked(ModelAgent("Model", fake.url, "m", max_retries=0)))
        acts.append(asked(ModelAgent("Model", f"http://127.0.0.1:{closed_port()}/v1", "m", api_key=KEY,
                                     max_retries=0)))
        assert fake.requests[0].headers["Authorization"] == f"Bearer {KEY}"  # it was sent, to the server
    assert [act.get("model_error") for act in acts] == [None, "status_500", "malformed", "status_401", "connection"]
    assert KEY[:12] not in caplog.text
    assert caplog.records  # the log was captured, with what each failure says
    assert not any(KEY[:12] in repr(act) for act in acts)
    assert not any(KEY[:12] in repr(act) for act in good.observed)


def test_shown_url_drops_user_info_query_and_fragment():
    assert shown_url("https://user:sk-secret@models.example:8443/v1?key=sk-secret#x") == (
        "https://models.example:8443/v1")
    assert shown_url("http://localhost:11434/v1") == "http://localhost:11434/v1"
