"""How the runner drives simple-websocket for a worker's page: the options its sockets are
made with (a frame size limit, and a reader thread of our own) and the orderly end of a socket.

simple-websocket reads each socket on a thread of its own and queues the frames it parses
for the thread that handles them. Our reader thread (`ReaderThread`) stops reading while
READ_AHEAD_FRAMES of its frames wait, so a page that sends faster than the runner handles
its frames is held back by TCP instead of parsed ahead, in memory and at the cost of every
other socket's turn for Python. And every frame is made and written under one lock per
socket (`_OrderedConnection`), so that nothing is ever written after our close frame.
"""
from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from typing import Any

from wsproto.connection import ConnectionState
from wsproto.utilities import LocalProtocolError

from runner.protocol import MAX_FRAME_BYTES

READ_AHEAD_FRAMES = 8
"""Frames of one socket parsed and not yet handled, past which its reader waits: more than a
page sends at once after a reconnect, few enough that a flood costs the runner next to nothing."""
READ_AHEAD_PAUSE_SECONDS = 0.005
CLOSE_WAIT_SECONDS = 5.0
"""How long an ending socket waits for the page's side of the close before dropping it (a busy
machine took over 2 s to read the rest of a 1 MiB frame and the page's close now and then)."""


class _HeldBackSocket:
    """A websocket's socket as its reader sees it: `recv` waits while READ_AHEAD_FRAMES of
    the socket's frames wait to be handled (simple-websocket tells nobody when its queue
    shrinks, so the wait polls; only a page that outpaces the runner ever waits)."""

    def __init__(self, sock: socket.socket, websocket: Any) -> None:
        self._sock, self._websocket = sock, websocket

    def recv(self, size: int) -> bytes:
        while len(self._websocket.input_buffer) >= READ_AHEAD_FRAMES and self._websocket.connected:
            time.sleep(READ_AHEAD_PAUSE_SECONDS)
        return self._sock.recv(size)

    def send(self, data: bytes) -> int:
        """`_OrderedConnection` wrote the frame already; the library's own write is empty."""
        return self._sock.send(data) if data else 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _OrderedConnection:
    """A websocket's wsproto connection whose `send` makes a frame and writes it under one
    lock, and leaves the library nothing to write. simple-websocket makes a frame and writes it
    in two unlocked steps, both from the thread handling the page's frames and from its reader
    (our close for an oversized frame, the answer to the page's close): a frame made just
    before the reader's close could be written just after it, and a browser fails a connection
    that sends anything after its close frame (the page saw 1006 and no reason, now and then,
    on a busy machine). Under the lock, a frame made after the close is refused by wsproto
    (LocalProtocolError), as the library's senders expect."""

    def __init__(self, connection: Any, sock: socket.socket) -> None:
        self._connection, self._sock = connection, sock
        self._lock = threading.Lock()

    def send(self, event: Any) -> bytes:
        with self._lock:
            self._sock.sendall(self._connection.send(event))
        return b""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class ReaderThread(threading.Thread):
    """simple-websocket's reader thread for one socket, made once the handshake is done: it
    reads through `_HeldBackSocket` with no timeout (a chat socket lives as long as its page,
    quiet or not; the live channel's heartbeats judge silence, and the HTTP server's timeouts
    are for requests), makes the socket's frames in order (`_OrderedConnection`), and it wakes
    the socket's receiver once more as it ends. For a frame
    over the size limit the library sets its event before it marks the socket closed; a
    receiver that woke in between would otherwise wait out its whole timeout before it saw
    the close."""

    def __init__(self, target: Any, **kwargs: Any) -> None:
        super().__init__(target=target, **kwargs)
        self._websocket = websocket = target.__self__  # the library's own `_thread` method
        websocket.sock.settimeout(None)
        websocket.ws = _OrderedConnection(websocket.ws, websocket.sock)
        websocket.sock = _HeldBackSocket(websocket.sock, websocket)

    def run(self) -> None:
        try:
            super().run()
        finally:
            self._websocket.event.set()


SOCK_OPTIONS = {"max_message_size": 4 * MAX_FRAME_BYTES, "thread_class": ReaderThread}
"""flask-sock's SOCK_SERVER_OPTIONS for every app that serves the live blueprint."""


def finish_socket(ws: Any, wait_for_page: bool = True) -> None:
    """End a worker's websocket so that the page gets its close frame (code and reason)
    whatever it was doing. Send ours unless one went already (simple-websocket sends 1009
    itself for a frame over its size limit, then stops reading); read what the page still
    sends up to its own close frame, then tell it nothing more follows and read until it
    closes the connection (all for at most CLOSE_WAIT_SECONDS, or not at all unless
    `wait_for_page`); then shut the connection.
    Closing with the rest of an oversized frame unread would reset the connection, and a reset
    can destroy the close frame before the page reads it; a browser waits for the server to
    close first; and nothing may follow our close frame (werkzeug writes its own response once
    the app returns: after the shutdown it goes nowhere)."""
    with contextlib.suppress(Exception):  # closed already, or the connection is gone
        if ws.connected:
            ws.close()
    wait = CLOSE_WAIT_SECONDS if wait_for_page else 0.0
    deadline = time.monotonic() + wait
    with contextlib.suppress(OSError, LocalProtocolError):
        ws.thread.join(wait)  # simple-websocket's reader ends at the page's close
        if not ws.thread.is_alive():
            _read_until_the_page_closes(ws, deadline)
    with contextlib.suppress(OSError):
        if not wait_for_page:
            # Reset the connection when it is closed: a page we stopped reading may have filled
            # our window, and a page waiting on a closed window would hear nothing more of a
            # connection that merely ended.
            ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        ws.sock.shutdown(socket.SHUT_RDWR)  # also wakes a reader still waiting on a silent page


def _read_until_the_page_closes(ws: Any, deadline: float) -> None:
    """Read and drop the page's frames (the rest of an oversized one) up to its close frame,
    then half-close and read until the page closes its side."""
    half_closed = False
    while (left := deadline - time.monotonic()) > 0:
        if not half_closed and ws.ws.state is ConnectionState.CLOSED:
            ws.sock.shutdown(socket.SHUT_WR)
            half_closed = True
        ws.sock.settimeout(left)
        data = ws.sock.recv(65536)
        if not data:
            return
        if not half_closed:
            ws.ws.receive_data(data)
            for _ in ws.ws.events():
                pass
