"""A local fake of an OpenAI-compatible Chat Completions server (what vLLM, llama.cpp's server,
Ollama and OpenAI's own API answer at `POST {base}/chat/completions`), so a real client (the
official `openai` package) can be pointed at it.

    with FakeOpenAI(reply=lambda messages: "Hi!") as fake:
        client = openai.OpenAI(base_url=fake.url, api_key="anything")
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "Hello"}])
        fake.requests[-1].body["messages"]   # what the client sent

What it models, following OpenAI's API reference for Chat Completions:
- The request: a JSON object with `model` (a string) and `messages` (a non-empty list of
  objects with a `role` among system, developer, user, assistant, tool, and a `content`);
  `stream`, `stream_options.include_usage`, `temperature` and `max_tokens` are read, any other
  field is accepted and ignored. Anything else answers 400.
- The answer: a `chat.completion` object (`id`, `object`, `created`, `model`, `choices` with one
  choice `{index, message: {role: "assistant", content, refusal}, logprobs, finish_reason}`,
  `usage` with `prompt_tokens`, `completion_tokens`, `total_tokens`).
- Streaming (`"stream": true`): server-sent events, one `data: <chat.completion.chunk>` per
  piece (the first delta carries the role, then content deltas, then an empty delta with
  `finish_reason`), a usage-only chunk (`choices: []`) when `stream_options.include_usage`,
  and `data: [DONE]` last.
- Errors: `{"error": {"message", "type", "param", "code"}}` with the HTTP status.
- Auth: with `api_key` set, every request needs `Authorization: Bearer <api_key>`, else 401
  (`invalid_api_key`); without it any or no Authorization passes, as for a local server.

Where the reference is silent or the fake simplifies:
- The reply is `reply(messages)`, a function of the request's messages (by default an echo of
  the last user message, "You said: ..."); a token is a whitespace-separated word; a stream
  sends the reply a word at a time (with its following space).
- Faults (`fail_next`) are taken one per request, in order: an HTTP status with an error body
  (429 and 5xx also send `retry-after-ms`, 10 ms by default, which the openai client honours,
  so retries come quickly), `SLOW` (answer only after `seconds`), `MALFORMED` (200 with a body
  that is not JSON), `EMPTY` (a completion whose content is "") or `DROP` (close the
  connection without an answer).
- Every request that reaches the endpoint is recorded in `requests`, the refused ones too
  (their headers included: tests check what a client sent, a key too).
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.serving import BackgroundServer

Messages = list[dict[str, Any]]
Reply = Callable[[Messages], str]

ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
SLOW, MALFORMED, EMPTY, DROP = "slow", "malformed", "empty", "drop"
STATUS = "status"
DEFAULT_RETRY_AFTER_MS = 10
ERROR_KINDS = {  # status -> (type, code) of OpenAI's error body
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", None),
}


def echo(messages: Messages) -> str:
    """The default reply: the last user message, said back."""
    said = [m.get("content") for m in messages if m.get("role") == "user"]
    return f"You said: {said[-1] if said else ''}"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 500
    seconds: float = 0.0
    retry_after_ms: int | None = DEFAULT_RETRY_AFTER_MS


class FakeOpenAI(BackgroundServer):
    """The fake server on a free local port, served from background threads.

    reply: what the model says to a request's messages (settable later as `fake.reply`).
    api_key: the key every request must present, or None for a server that needs none.
    """

    def __init__(self, *, reply: Reply = echo, api_key: str | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.reply = reply
        self.api_key = api_key
        self._faults: deque[Fault] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = 0
        super().__init__(self._wsgi, host, port, "fake-openai")

    def stop(self) -> None:
        self._stopping.set()  # a SLOW answer stops waiting
        super().stop()

    @property
    def url(self) -> str:
        """The base URL a client is given (the endpoint is `{url}/chat/completions`)."""
        return f"{self.origin}/v1"

    # -- faults and what was asked ---------------------------------------------------------------

    def fail_next(self, kind: str = STATUS, *, status: int = 500, seconds: float = 0.0, times: int = 1,
                  retry_after_ms: int | None = DEFAULT_RETRY_AFTER_MS) -> None:
        """Make the next `times` requests fail: STATUS (answer `status` with an error body),
        SLOW (answer normally after `seconds`), MALFORMED, EMPTY or DROP."""
        if kind not in (STATUS, SLOW, MALFORMED, EMPTY, DROP):
            raise ValueError(f"unknown fault {kind!r}; use one of {[STATUS, SLOW, MALFORMED, EMPTY, DROP]}")
        if kind == STATUS and status not in ERROR_KINDS:
            raise ValueError(f"the fake answers errors with one of {sorted(ERROR_KINDS)}, not {status}")
        with self._lock:
            self._faults.extend([Fault(kind, status, seconds, retry_after_ms)] * times)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def sent_messages(self) -> list[Messages]:
        """The `messages` of every well-formed request, in order."""
        return [r.body["messages"] for r in self.requests if isinstance(r.body, dict) and "messages" in r.body]

    # -- the HTTP side ---------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self._respond(Request(environ), environ)(environ, start_response)

    def _respond(self, request: Request, environ: dict[str, Any]) -> Response:
        if request.path.rstrip("/") != "/v1/chat/completions":
            return error(404, f"Unknown request URL: {request.method} {request.path}.", code="unknown_url")
        if request.method != "POST":
            return error(405, f"Method {request.method} is not allowed here; use POST.")
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            body = None
        with self._lock:
            self._requests.append(RecordedRequest(request.method, request.path, dict(request.headers), body))
            fault = self._faults.popleft() if self._faults else None
        if self.api_key is not None and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return error(401, "Incorrect API key provided.")
        if problem := request_problem(body):
            return error(400, problem)
        if fault is not None:
            if fault.kind == STATUS:
                return error(fault.status, f"The fake was told to answer {fault.status}.",
                             retry_after_ms=fault.retry_after_ms)
            if fault.kind == DROP:
                environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
                raise ConnectionAbortedError("connection dropped by FakeOpenAI.fail_next")
            if fault.kind == MALFORMED:
                return Response('{"id": "chatcmpl-broken", "choices": [', status=200,
                                content_type="application/json")
            if fault.kind == SLOW:
                self._stopping.wait(fault.seconds)
        text = "" if fault is not None and fault.kind == EMPTY else self.reply(body["messages"])
        completion_id = self._next_id()
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return Response(stream_events(completion_id, body, text, usage), status=200,
                            content_type="text/event-stream")
        return Response(json.dumps(completion(completion_id, body, text)), status=200,
                        content_type="application/json")

    def _next_id(self) -> str:
        with self._lock:
            self._ids += 1
            return f"chatcmpl-fake{self._ids}"


def request_problem(body: Any) -> str | None:
    """Why a request body is not a Chat Completions request, or None."""
    if not isinstance(body, dict):
        return "The request body must be a JSON object."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "You must provide a model parameter."
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array."
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES or "content" not in message:
            return f"Invalid value for 'messages[{index}]': each needs a role among {sorted(ROLES)} and content."
    return None


def error(status: int, message: str, *, code: str | None = None,
          retry_after_ms: int | None = None) -> Response:
    kind, default_code = ERROR_KINDS.get(status, ("invalid_request_error", None))
    headers = {}
    if retry_after_ms is not None and (status == 429 or status >= 500):
        headers["retry-after-ms"] = str(retry_after_ms)
    body = {"error": {"message": message, "type": kind, "param": None, "code": code or default_code}}
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)


def usage(messages: Messages, text: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content") or "").split()) for m in messages)
    completion_tokens = len(text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens,
            "total_tokens": prompt + completion_tokens}


def completion(completion_id: str, body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": usage(body["messages"], text),
    }


def stream_events(completion_id: str, body: dict[str, Any], text: str, include_usage: bool) -> Iterator[bytes]:
    created = int(time.time())

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                   "model": body["model"], "choices": choices, **extra}
        return f"data: {json.dumps(payload)}\n\n".encode()

    def delta(content: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {"index": 0, "delta": content, "logprobs": None, "finish_reason": finish_reason}

    yield chunk([delta({"role": "assistant", "content": ""})])
    for piece in pieces(text):
        yield chunk([delta({"content": piece})])
    yield chunk([delta({}, "stop")])
    if include_usage:
        yield chunk([], usage=usage(body["messages"], text))
    yield b"data: [DONE]\n\n"


def pieces(text: str) -> list[str]:
    """The text a word at a time, each with the spaces after it (so they join back exactly)."""
    found: list[str] = []
    for char in text:
        if found and not char.isspace() and found[-1][-1:].isspace():
            found.append(char)
        elif found:
            found[-1] += char
        else:
            found.append(char)
    return found
