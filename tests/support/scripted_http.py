"""A tiny local HTTP server that answers from a script and records every request: for testing
an HTTP client's retries and error mapping, and what a provider sends, without a fake of the
whole service. Answers are `(status, json_body, headers)`, or DROP to read the request and
close the connection without answering (a lost answer)."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DROP = object()
Answer = Any  # (status, body, headers) or DROP


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class ScriptedServer:
    answer: Callable[[Request], Answer] = lambda request: (200, {}, {})
    """The default answer for a request the queued answers do not cover."""
    queued: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def __enter__(self) -> ScriptedServer:
        script = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                request = Request(self.command, parts.path, parse_qs(parts.query),
                                  json.loads(raw) if raw else None, dict(self.headers))
                script.requests.append(request)
                queue = script.queued.get((self.command, parts.path))
                answer = queue.pop(0) if queue else script.answer(request)
                if answer is DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, body, headers = answer
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _any

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def queue(self, method: str, path: str, *answers: Answer) -> None:
        self.queued.setdefault((method, path), []).extend(answers)

    def sent(self, method: str | None = None, path: str | None = None) -> list[Request]:
        return [r for r in self.requests if (method is None or r.method == method)
                and (path is None or r.path == path)]
