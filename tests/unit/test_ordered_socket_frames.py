"""Frames reach the page in the order they were made, and nothing after our close frame: the
thread handling a page's frames and the socket's reader both write to one socket."""
from __future__ import annotations

import threading

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage
from wsproto.utilities import LocalProtocolError

from runner.live_socket import _OrderedConnection


class SlowFirstWrite:
    """A socket whose first write waits until the test lets it go."""

    def __init__(self) -> None:
        self.written = b""
        self.first_write_started, self.let_go = threading.Event(), threading.Event()
        self._writes = 0

    def sendall(self, data: bytes) -> None:
        self._writes += 1
        if self._writes == 1:
            self.first_write_started.set()
            self.let_go.wait(10)
        self.written += data


def open_pair() -> tuple[WSConnection, WSConnection]:
    server, client = WSConnection(ConnectionType.SERVER), WSConnection(ConnectionType.CLIENT)
    server.receive_data(client.send(Request(host="localhost", target="/ws")))
    next(server.events())
    client.receive_data(server.send(AcceptConnection()))
    next(client.events())
    return server, client


def test_a_close_made_while_a_message_is_being_written_goes_after_it_and_nothing_follows():
    server, client = open_pair()
    sock = SlowFirstWrite()
    ordered = _OrderedConnection(server, sock)  # type: ignore[arg-type]
    message = threading.Thread(target=ordered.send, args=(TextMessage(data="state"),))
    message.start()
    assert sock.first_write_started.wait(10)
    close = threading.Thread(target=ordered.send, args=(CloseConnection(1009, "Message is too big"),))
    close.start()
    close.join(0.3)  # without the lock the close would be made and written meanwhile
    sock.let_go.set()
    message.join(10)
    close.join(10)

    with pytest.raises(LocalProtocolError):
        ordered.send(TextMessage(data="too late"))
    client.receive_data(sock.written)
    events = list(client.events())
    assert [type(e) for e in events] == [TextMessage, CloseConnection]
    assert events[0].data == "state" and (events[1].code, events[1].reason) == (1009, "Message is too big")


def test_the_library_is_left_nothing_to_write():
    server, _ = open_pair()
    sock = SlowFirstWrite()
    sock.let_go.set()
    assert _OrderedConnection(server, sock).send(TextMessage(data="x")) == b""  # type: ignore[arg-type]
    assert sock.written
