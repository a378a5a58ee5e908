"""A bot whose answers come from a language model on any OpenAI-compatible server (vLLM,
llama.cpp's server, Ollama, hosted APIs), asked through the official `openai` client.

The agent keeps the conversation as chat messages: its own replies as "assistant", everything
else it observed as "user" (each prefixed with its speaker's id once more than one other
speaker has spoken). When the model cannot answer (server unreachable, too slow, an error
status after the client's retries, an empty or malformed answer), `act()` answers a line the
worker can read and marks the act `model_error`, rather than raising: the world still ends.
The API key is given to the client and nowhere else: no log line, act or error text holds it.
"""
from __future__ import annotations

import http
import logging
import os
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import openai

from runner.agents import Act, Agent

log = logging.getLogger("parley.runner")

API_KEY_ENV = "PARLEY_MODEL_API_KEY"
NO_KEY = "not-needed"
"""What the client sends as the key when none is given: servers that need none ignore it."""
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_FAILURE_TEXT = "[The model could not answer: {reason}.]"
ERROR_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,59}")

# What `act["model_error"]` holds when the model failed (`status_<code>` for an error status).
CONNECTION, TIMEOUT, MALFORMED, EMPTY = "connection", "timeout", "malformed", "empty"


class ModelFailure(Exception):
    """The model gave no usable answer: `kind` for worlds, `reason` (a clause) for people."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason


def shown_url(url: str) -> str:
    """The URL without user info, query or fragment: what may be logged and stored."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class ModelAgent(Agent):
    """Answers with what `model` at `base_url` says to the conversation so far.

    timeout and max_retries are the client's (per attempt, and attempts after the first on a
    connection error, 408, 409, 429 or 5xx). failure_text is the line said when the model
    fails; `{reason}` in it becomes why."""

    def __init__(self, agent_id: str, base_url: str, model: str, system_prompt: str | None = None,
                 api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 max_retries: int = DEFAULT_MAX_RETRIES, stream: bool = False, temperature: float | None = None,
                 max_tokens: int | None = None, failure_text: str = DEFAULT_FAILURE_TEXT) -> None:
        super().__init__(agent_id)
        self.model = model
        self.url = shown_url(base_url)
        self.system_prompt = system_prompt
        self.timeout = timeout
        self.stream = stream
        self.failure_text = failure_text
        self._settings: dict[str, Any] = {
            name: value for name, value in (("temperature", temperature), ("max_tokens", max_tokens))
            if value is not None}
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or os.environ.get(API_KEY_ENV) or NO_KEY,
                                     timeout=timeout, max_retries=max_retries)
        self._said: list[tuple[str, str]] = []
        """(speaker id, text) of every message of the conversation, this agent's own included."""

    def observe(self, act: Act) -> None:
        super().observe(act)
        text = act.get("text")
        # Its own acts are kept when made; a failure line is not the model's and is never sent back.
        if act.get("id") != self.id and isinstance(text, str) and text.strip():
            self._said.append((str(act.get("id") or "Someone"), text))

    def messages(self) -> list[dict[str, str]]:
        """The chat messages the next request sends."""
        others = {speaker for speaker, _ in self._said if speaker != self.id}
        sent = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        for speaker, text in self._said:
            if speaker == self.id:
                sent.append({"role": "assistant", "content": text})
            else:
                sent.append({"role": "user", "content": f"{speaker}: {text}" if len(others) > 1 else text})
        return sent

    def act(self, timeout: float | None = None) -> Act:
        """The model's reply; the client's timeout and retries bound the wait, not `timeout`."""
        try:
            text = self._ask()
        except ModelFailure as failure:
            log.warning("model %s at %s could not answer: %s", self.model, self.url, failure.reason)
            line = self.failure_text.replace("{reason}", failure.reason)
            return {"id": self.id, "text": line, "episode_done": False, "model_error": failure.kind}
        self._said.append((self.id, text))
        return {"id": self.id, "text": text, "episode_done": False}

    def close(self) -> None:
        """Close the client's connections (the world's shutdown calls this)."""
        self._client.close()

    def _ask(self) -> str:
        try:
            completion = self._client.chat.completions.create(
                model=self.model, messages=self.messages(),  # type: ignore[arg-type]
                stream=self.stream, **self._settings)
            text = _joined(completion) if self.stream else _content(completion)
        except openai.APITimeoutError:
            seconds = f"{self.timeout:g} second{'' if self.timeout == 1 else 's'}"
            raise ModelFailure(TIMEOUT, f"the server did not answer within {seconds}") from None
        except openai.APIConnectionError:  # the URL is in the log line, not in what workers read
            raise ModelFailure(CONNECTION, "the server could not be reached") from None
        except openai.APIStatusError as error:
            raise ModelFailure(f"status_{error.status_code}", _status_reason(error)) from None
        except (openai.OpenAIError, ValueError):  # an answer that is not JSON, or not a completion
            raise ModelFailure(MALFORMED, "the server's answer was not a chat completion") from None
        if not text.strip():
            raise ModelFailure(EMPTY, "the server's answer was empty")
        return text.strip()


def _content(completion: Any) -> str:
    """choices[0].message.content, checked: a lenient client builds whatever JSON came."""
    choices = getattr(completion, "choices", None)
    message = getattr(choices[0], "message", None) if isinstance(choices, list) and choices else None
    content = getattr(message, "content", None)
    if message is None or (content is not None and not isinstance(content, str)):
        raise ValueError("not a chat completion")
    return content or ""


def _joined(chunks: Any) -> str:
    """The content deltas of a stream, joined (chunks without choices carry only usage)."""
    parts = []
    for chunk in chunks:
        choices = getattr(chunk, "choices", None)
        if not isinstance(choices, list):
            raise ValueError("not a chat completion chunk")
        for choice in choices:
            content = getattr(getattr(choice, "delta", None), "content", None)
            if isinstance(content, str):
                parts.append(content)
    return "".join(parts)


def _status_reason(error: openai.APIStatusError) -> str:
    """"the server said 500 Internal Server Error", with OpenAI's error code when it sent one.
    The server's own message is left out: a 401's may quote the key (so may a code that is not
    an identifier)."""
    try:
        phrase = http.HTTPStatus(error.status_code).phrase
    except ValueError:
        phrase = "error"
    code = f" ({error.code})" if error.code and ERROR_CODE.fullmatch(error.code) else ""
    return f"the server said {error.status_code} {phrase}{code}"
