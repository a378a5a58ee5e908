"""The fake OpenAI-compatible server, driven with a plain HTTP client (requests) and with the
official openai client: each test states one behaviour of the documented Chat Completions
protocol, or one choice the fake's docstring writes down."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import requests

from tests.fakes.openai_server import DROP, EMPTY, MALFORMED, SLOW, FakeOpenAI, pieces

HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def post(fake: FakeOpenAI, body: Any, key: str | None = None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.post(f"{fake.url}/chat/completions", json=body, headers=headers, **{"timeout": 10, **kwargs})


def test_a_completion_answers_a_chat_completion_object_with_the_reply_and_usage(fake):
    answer = post(fake, {"model": "tiny", "messages": HELLO})
    assert answer.status_code == 200
    body = answer.json()
    assert body["object"] == "chat.completion" and body["model"] == "tiny" and body["id"].startswith("chatcmpl-")
    assert body["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "You said: Hello there",
                                                         "refusal": None},
                                "logprobs": None, "finish_reason": "stop"}]
    assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 4, "total_tokens": 8}
    assert fake.sent_messages == [HELLO]


def test_the_reply_is_a_function_of_the_messages(fake):
    fake.reply = lambda messages: f"{len(messages)} messages"
    assert post(fake, {"model": "m", "messages": HELLO}).json()["choices"][0]["message"]["content"] == "2 messages"


def test_a_stream_sends_chunks_then_usage_then_done():
    with FakeOpenAI(reply=lambda _: "Hi  there, you") as fake:
        answer = post(fake, {"model": "m", "messages": HELLO, "stream": True,
                             "stream_options": {"include_usage": True}}, stream=True)
        assert answer.headers["Content-Type"].startswith("text/event-stream")
        events = [line for line in answer.text.split("\n\n") if line]
    assert all(event.startswith("data: ") for event in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(event[len("data: "):]) for event in events[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    deltas = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    assert deltas[1:-1] == ["Hi  ", "there, ", "you"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 3


def test_pieces_join_back_to_the_text():
    assert "".join(pieces(" a  b c ")) == " a  b c "


def test_the_openai_client_reads_its_answers_plain_and_streamed(fake):
    client = openai.OpenAI(base_url=fake.url, api_key="unused", max_retries=0)
    completion = client.chat.completions.create(model="m", messages=HELLO)  # type: ignore[arg-type]
    assert completion.choices[0].message.content == "You said: Hello there"
    stream = client.chat.completions.create(model="m", messages=HELLO, stream=True)  # type: ignore[arg-type]
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices) == (
        "You said: Hello there")


@pytest.mark.parametrize(("body", "says"), [
    ([1, 2], "must be a JSON object"),
    ({"messages": HELLO}, "provide a model"),
    ({"model": "m", "messages": []}, "non-empty array"),
    ({"model": "m", "messages": [{"role": "robot", "content": "x"}]}, "messages[0]"),
])
def test_a_request_that_is_not_a_chat_completion_request_answers_400_with_an_error_body(fake, body, says):
    answer = post(fake, body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert says in error["message"] and error["type"] == "invalid_request_error"
    assert set(error) == {"message", "type", "param", "code"}


def test_with_a_key_every_request_needs_it_as_a_bearer_token():
    with FakeOpenAI(api_key="sk-fake") as fake:
        assert post(fake, {"model": "m", "messages": HELLO}).status_code == 401
        refused = post(fake, {"model": "m", "messages": HELLO}, key="sk-wrong")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
        assert post(fake, {"model": "m", "messages": HELLO}, key="sk-fake").status_code == 200
        assert [r.headers.get("Authorization") for r in fake.requests] == [None, "Bearer sk-wrong", "Bearer sk-fake"]


def test_another_path_answers_404_and_another_method_405(fake):
    assert requests.post(f"{fake.url}/completions", json={}, timeout=10).status_code == 404
    assert requests.get(f"{fake.url}/chat/completions", timeout=10).status_code == 405


@pytest.mark.parametrize(("status", "kind", "code"), [
    (500, "server_error", None), (429, "requests", "rate_limit_exceeded"), (503, "server_error", None)])
def test_a_status_fault_answers_that_status_with_an_error_body_and_a_short_retry_after(fake, status, kind, code):
    fake.fail_next(status=status)
    failed = post(fake, {"model": "m", "messages": HELLO})
    assert failed.status_code == status
    assert (failed.json()["error"]["type"], failed.json()["error"]["code"]) == (kind, code)
    assert failed.headers["retry-after-ms"] == "10"
    assert post(fake, {"model": "m", "messages": HELLO}).status_code == 200  # one fault, one request


def test_faults_are_taken_one_per_request_in_order(fake):
    fake.fail_next(status=500, times=2)
    fake.fail_next(EMPTY)
    statuses = [post(fake, {"model": "m", "messages": HELLO}) for _ in range(4)]
    assert [s.status_code for s in statuses] == [500, 500, 200, 200]
    assert [s.json()["choices"][0]["message"]["content"] for s in statuses[2:]] == ["", "You said: Hello there"]


def test_a_malformed_answer_is_a_200_whose_body_is_not_json(fake):
    fake.fail_next(MALFORMED)
    answer = post(fake, {"model": "m", "messages": HELLO})
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_a_slow_answer_outlasts_a_shorter_client_timeout_then_the_fake_answers_again(fake):
    fake.fail_next(SLOW, seconds=5)
    with pytest.raises(requests.Timeout):
        post(fake, {"model": "m", "messages": HELLO}, timeout=0.3)
    assert post(fake, {"model": "m", "messages": HELLO}).status_code == 200


def test_a_dropped_connection_gets_no_answer(fake):
    fake.fail_next(DROP)
    with pytest.raises(requests.ConnectionError):
        post(fake, {"model": "m", "messages": HELLO})


def test_an_unknown_fault_is_refused(fake):
    with pytest.raises(ValueError, match="unknown fault"):
        fake.fail_next("flaky")
    with pytest.raises(ValueError, match="not 418"):
        fake.fail_next(status=418)
