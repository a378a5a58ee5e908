"""What every fake server shares: a WSGI app served on a free local port from a background
thread, started and stopped by the test (or as a context manager), with no request log."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Self

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class BackgroundServer:
    def __init__(self, app: Callable[..., Any], host: str, port: int, name: str) -> None:
        self._server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self._name = name
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        # A short poll interval: stop() waits for the serving loop to look up, and tests stop a lot.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """http://host:port of the server."""
        return f"http://{self._server.host}:{self._server.port}"
