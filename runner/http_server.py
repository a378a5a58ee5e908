"""The runner's HTTP server: werkzeug's threaded WSGI server with a gate in front of its
threads and a bound on how many connections it serves at once.

A connection gets no thread until its request line and headers have arrived. Until then it
waits at the gate: one thread that reads what arrives on every waiting connection without
blocking. A connection whose headers are not all in `header_timeout` seconds after it was
accepted is answered 408 and closed, however slowly it keeps sending; when `max_connections`
are waiting, the one that has waited longest is closed to make room. So slow clients hold
neither threads nor places that anyone else needs, and a request that arrives whole (as a
browser's does) goes straight through whatever a crowd of slow ones is doing.

Once its headers are in, a connection is served on a thread of its own, up to
`max_connections` at once (chat sockets included); one more is answered 503. A request's
body and response must keep moving (no gap longer than `header_timeout`); a chat socket, once
upgraded, has no such limit (runner/live_socket.py lifts it).

Built from socketserver's own hooks (`process_request`, `process_request_thread`,
`server_close`) and http.server's (`setup`); what the gate knows of HTTP is where the headers
end.
"""
from __future__ import annotations

import contextlib
import io
import logging
import queue
import re
import resource
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

log = logging.getLogger("parley.runner")

MAX_HEAD_BYTES = 32 * 1024
"""A request line and headers longer than this are refused (431): far more than a browser
sends to the runner, and little enough that thousands of waiting connections hold little."""
END_OF_HEAD = re.compile(rb"\n\r?\n")
"""The blank line after the headers (http.server accepts lines ending in \\n alone too)."""
SPARE_FILES = 64
"""Open files the process needs besides its connections (the store, logs, the gate)."""


@dataclass(frozen=True)
class ServerLimits:
    header_timeout: float = 10.0
    """Seconds a connection has to send its request line and headers (and the longest gap
    allowed in a request's body or response)."""
    max_connections: int = 2000
    """Connections served at once; as many again may wait at the gate."""


def _response(status: str, sentence: str, *headers: str) -> bytes:
    body = (sentence + "\n").encode()
    head = [f"HTTP/1.1 {status}", "Content-Type: text/plain; charset=utf-8",
            f"Content-Length: {len(body)}", "Connection: close", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


TOO_SLOW = _response("408 Request Timeout", "The request did not arrive in time.")
BUSY = _response("503 Service Unavailable", "The server is busy. Please try again in a moment.",
                 "Retry-After: 5")
TOO_LARGE = _response("431 Request Header Fields Too Large", "The request's headers are too large.")


def _answer_and_close(sock: socket.socket, answer: bytes) -> None:
    """Send a short answer if the connection takes it at once, and close it."""
    with contextlib.suppress(OSError):
        sock.setblocking(False)
        sock.send(answer)
    sock.close()


@dataclass
class _Waiting:
    address: Any
    deadline: float
    head: bytearray = field(default_factory=bytearray)


class HeaderGate:
    """Holds accepted connections, on one thread and without a thread each, until their
    request line and headers have arrived; then hands each to `ready(sock, address, head)`
    (on the gate's thread) with the bytes read so far."""

    def __init__(self, ready: Callable[[socket.socket, Any, bytes], None], limits: ServerLimits) -> None:
        self._ready = ready
        self._limits = limits
        self._selector = selectors.DefaultSelector()
        self._waiting: dict[socket.socket, _Waiting] = {}
        """In the order they were accepted, which is also the order of their deadlines."""
        self._arrivals: queue.SimpleQueue[tuple[socket.socket, Any]] = queue.SimpleQueue()
        self._bell, self._bell_rope = socket.socketpair()
        for end in (self._bell, self._bell_rope):
            end.setblocking(False)
        self._selector.register(self._bell, selectors.EVENT_READ)
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="header-gate", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def admit(self, sock: socket.socket, address: Any) -> None:
        """A connection was accepted (called on the accepting thread)."""
        self._arrivals.put((sock, address))
        self._ring()

    def close(self) -> None:
        """Stop the gate and close every connection still waiting at it."""
        self._closing = True
        self._ring()
        if self._thread.is_alive():
            self._thread.join(5)
        while not self._arrivals.empty():
            self._arrivals.get_nowait()[0].close()
        for sock in list(self._waiting):
            sock.close()
        self._waiting.clear()
        self._selector.close()
        self._bell.close()
        self._bell_rope.close()

    def _ring(self) -> None:
        with contextlib.suppress(OSError):  # full: the gate has a wake-up pending anyway
            self._bell_rope.send(b"\0")

    def _run(self) -> None:
        while not self._closing:
            for key, _ in self._selector.select(self._until_next_deadline()):
                if key.fileobj is self._bell:
                    self._take_arrivals()
                else:
                    self._read(key.fileobj)  # type: ignore[arg-type]
            self._drop_late()

    def _until_next_deadline(self) -> float | None:
        first = next(iter(self._waiting.values()), None)
        return None if first is None else max(0.0, first.deadline - time.monotonic())

    def _take_arrivals(self) -> None:
        with contextlib.suppress(OSError):
            while self._bell.recv(4096):
                pass
        while not self._arrivals.empty():
            sock, address = self._arrivals.get_nowait()
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
            self._waiting[sock] = _Waiting(address, time.monotonic() + self._limits.header_timeout)
            if len(self._waiting) > self._limits.max_connections:
                self._turn_away(next(iter(self._waiting)), BUSY)

    def _read(self, sock: socket.socket) -> None:
        waiting = self._waiting[sock]
        try:
            data = sock.recv(16 * 1024)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the client gave up
            self._turn_away(sock, b"")
            return
        searched = max(0, len(waiting.head) - 2)  # the blank line may begin in an earlier read
        waiting.head += data
        end = END_OF_HEAD.search(waiting.head, searched)
        if (end.end() if end else len(waiting.head)) > MAX_HEAD_BYTES:
            self._turn_away(sock, TOO_LARGE)
        elif end:
            self._forget(sock)
            sock.setblocking(True)
            try:
                self._ready(sock, waiting.address, bytes(waiting.head))
            except Exception:  # the gate must outlive any one connection
                log.exception("could not serve a request from %s", waiting.address)
                sock.close()

    def _drop_late(self) -> None:
        now = time.monotonic()
        while self._waiting:
            sock, waiting = next(iter(self._waiting.items()))
            if waiting.deadline > now:
                return
            self._turn_away(sock, TOO_SLOW)

    def _turn_away(self, sock: socket.socket, answer: bytes) -> None:
        self._forget(sock)
        _answer_and_close(sock, answer)

    def _forget(self, sock: socket.socket) -> None:
        del self._waiting[sock]
        self._selector.unregister(sock)


class _HeadFirst(io.RawIOBase):
    """A request as its handler reads it: what the gate read already, then the socket."""

    def __init__(self, head: bytes, rest: io.BufferedIOBase) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._rest.readinto1(buffer)

    def close(self) -> None:
        self._rest.close()
        super().close()


class GatedRequestHandler(WSGIRequestHandler):
    """werkzeug's handler for a connection the gate let through."""

    server: GatedWSGIServer

    def setup(self) -> None:
        super().setup()
        self.rfile = io.BufferedReader(_HeadFirst(self.server.take_head(self.connection), self.rfile))
        self.connection.settimeout(self.server.limits.header_timeout)


class GatedWSGIServer(ThreadedWSGIServer):
    """werkzeug's threaded server whose connections pass the gate before they get a thread."""

    def __init__(self, host: str, port: int, app: Any, limits: ServerLimits, fd: int | None = None) -> None:
        """`fd`: a socket already listening (see werkzeug's make_server)."""
        self.limits = limits
        _allow_open_files(2 * limits.max_connections + SPARE_FILES)
        super().__init__(host, port, app, handler=GatedRequestHandler, fd=fd)
        self._served = threading.BoundedSemaphore(limits.max_connections)
        self._heads: dict[socket.socket, bytes] = {}
        self.gate = HeaderGate(self._headers_in, limits)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self.gate.start()
        super().serve_forever(poll_interval)

    def process_request(self, request: Any, client_address: Any) -> None:
        """socketserver's hook for an accepted connection: it waits at the gate, not on a thread."""
        self.gate.admit(request, client_address)

    def _headers_in(self, sock: socket.socket, address: Any, head: bytes) -> None:
        if not self._served.acquire(blocking=False):
            _answer_and_close(sock, BUSY)
            return
        self._heads[sock] = head
        try:
            super().process_request(sock, address)  # ThreadingMixIn: a thread for this connection
        except BaseException:
            self._heads.pop(sock, None)
            self._served.release()
            raise

    def take_head(self, sock: socket.socket) -> bytes:
        """What the gate read of this connection's request (once, for its handler)."""
        return self._heads.pop(sock, b"")

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._served.release()

    def server_close(self) -> None:
        # werkzeug also calls this inside __init__, before the gate exists, to close the
        # socket TCPServer made for itself when it is handed a listening one (`fd`).
        gate = getattr(self, "gate", None)
        if gate is not None:
            gate.close()
        super().server_close()


def _allow_open_files(needed: int) -> None:
    """Raise this process's soft limit on open files to `needed` if it is lower, as far as the
    hard limit allows (as Go's runtime does for every program): the bound on connections is
    only worth something if the process may open that many sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        log.warning("this process may open %d files, fewer than the %d that %d connections need",
                    target, needed, (needed - SPARE_FILES) // 2)
