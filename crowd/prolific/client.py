"""A small client for Prolific's REST API (https://docs.prolific.com/api-reference).

Token auth (`Authorization: Token …`) from PROLIFIC_API_TOKEN; base URL from
PARLEY_PROLIFIC_ENDPOINT (the tests' fake) else Prolific's own. 429 is always retried
(Prolific refused before acting), honouring Retry-After up to a bound; 5xx is retried only
for calls that are safe to repeat (reads, and transitions Prolific documents as
idempotent), because Prolific may have acted before failing. 4xx is never retried: it
becomes `Refused` with one sentence. A request whose answer was lost becomes
`OutcomeUnknown`, so money is never sent twice behind the caller's back.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from crowd.base import OutcomeUnknown, Refused

DEFAULT_ENDPOINT = "https://api.prolific.com"
NO_TOKEN = ("no Prolific API token: set PROLIFIC_API_TOKEN to a token made in Prolific's "
            "settings (API tokens)")
ATTEMPTS = 5
MAX_RETRY_AFTER = 30.0
"""The longest Retry-After we wait (seconds); a longer one is waited this long."""
TIMEOUT = (10.0, 30.0)
"""Seconds to connect, and to wait for an answer once the request is sent."""


class ProlificClient:
    def __init__(self, token: str | None = None, endpoint: str | None = None, *,
                 session: requests.Session | None = None, attempts: int = ATTEMPTS,
                 max_retry_after: float = MAX_RETRY_AFTER,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        token = token or os.environ.get("PROLIFIC_API_TOKEN")
        if not token:
            raise Refused(NO_TOKEN)
        self.endpoint = (endpoint or os.environ.get("PARLEY_PROLIFIC_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.attempts, self.max_retry_after, self.sleep = attempts, max_retry_after, sleep

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any = None, *, repeatable: bool = False) -> Any:
        """POST `body`; `repeatable`: Prolific documents the call as idempotent, so a 5xx may be retried."""
        return self.request("POST", path, json=body, repeatable=repeatable)

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                repeatable: bool | None = None) -> Any:
        """One call, answered as parsed JSON (None for an empty body)."""
        if repeatable is None:
            repeatable = method in ("GET", "HEAD", "PUT", "DELETE")
        what = f"{method} {path}"
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.session.request(method, self.endpoint + path, json=json, params=params,
                                                timeout=TIMEOUT)
            except requests.ConnectTimeout:
                raise Refused(f"Prolific could not be reached ({what}): the connection timed out") from None
            except requests.ConnectionError as exc:
                if _never_sent(exc):
                    raise Refused(f"Prolific could not be reached ({what}): {_reason(exc)}") from None
                raise OutcomeUnknown(f"Prolific's answer to {what} was lost: {_reason(exc)}") from None
            except requests.Timeout:
                raise OutcomeUnknown(f"Prolific did not answer {what} in time; it may have acted") from None
            status = response.status_code
            retry = status == 429 or (status >= 500 and repeatable)
            if retry and attempt < self.attempts:
                self.sleep(self._wait(response, attempt))
                continue
            if status >= 500:
                kind = Refused if method == "GET" else OutcomeUnknown
                raise kind(f"Prolific failed on its side ({what}, HTTP {status}): {_detail(response)}")
            if status == 429:
                raise Refused(f"Prolific is limiting requests ({what}); try again in a while")
            if status in (401, 403):
                raise Refused(f"Prolific did not accept the API token in PROLIFIC_API_TOKEN ({what}): "
                              f"{_detail(response)}")
            if status >= 400:
                raise Refused(f"Prolific refused {what} (HTTP {status}): {_detail(response)}")
            return response.json() if response.content else None
        raise AssertionError("unreachable")

    def _wait(self, response: requests.Response, attempt: int) -> float:
        """Retry-After in seconds if Prolific sent one (bounded), else exponential backoff."""
        try:
            wanted = float(response.headers.get("Retry-After", ""))
        except ValueError:
            wanted = 0.5 * 2 ** (attempt - 1)
        return max(0.0, min(wanted, self.max_retry_after))


def _never_sent(exc: requests.ConnectionError) -> bool:
    """The connection was never made (refused, no route, bad name): nothing reached Prolific."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, NewConnectionError)


def _reason(exc: Exception) -> str:
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return str(reason or exc)


def _detail(response: requests.Response) -> str:
    """Prolific's own sentence from an error body (`{"error": {"title", "detail"}}`), else the text."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason or ""
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        detail = error.get("detail") or error.get("title") or error
        if isinstance(detail, (dict, list)):
            return "; ".join(f"{k}: {v}" for k, v in detail.items()) if isinstance(detail, dict) else str(detail)
        return str(detail)
    return str(error)
