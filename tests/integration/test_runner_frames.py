"""Frames a browser should never send, and tokens it was never given: each is refused with
an error frame, nothing is written, and the worker's honest frames still work after."""
import contextlib
import json
import socket
import time
from typing import Any

import pytest
import simple_websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Request

from runner import server as runner_server
from runner.protocol import MAX_FRAME_BYTES, MAX_TEXT_CHARS, TokenSigner, WorkerIdentity
from tests.support.live_runner import LiveRunner


@pytest.fixture
def runner(store_url):
    live = LiveRunner(store_url, "pair_chat", num_conversations=1)
    yield live
    live.stop()


@pytest.fixture
def paired(runner):
    alice, bob = runner.join("W1"), runner.join("W2")
    for worker in (alice, bob):
        worker.wait_state("in_task")
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "You are Bob.")
    return alice, bob


def stored_texts(runner):
    return [m["text"] for m in runner.handler.get_messages(runner.run_id, "t_1")]


def raw_socket(runner):
    return simple_websocket.Client(runner.server.url.replace("http", "ws", 1) + "/ws")


def first_answer(ws, timeout=10):
    """The server's first frame, and whether it then closed the socket."""
    frame = json.loads(ws.receive(timeout=timeout))
    try:
        closed = ws.receive(timeout=5) is None and not ws.connected
    except simple_websocket.ConnectionClosed:
        closed = True
    return frame, closed


def error_after(worker, count):
    return worker.wait_for(lambda f: f["type"] == "error", after=count)


BAD_FRAMES = [
    ("not json", "frame is not JSON"),
    ("[1, 2]", "frame must be an object with type one of"),
    ('{"type": "shout"}', "frame must be an object with type one of"),
    ('{"type": "message", "act": {"text": "x"}}', "a message needs a cid"),
    ('{"type": "message", "cid": "<script>", "act": {"text": "x"}}', "a message needs a cid"),
    ('{"type": "message", "cid": "c9", "act": "hi"}', "a message needs an act object"),
    ('{"type": "message", "cid": "c9", "act": {"text": 42}}', "act.text must be a string"),
    ('{"type": "message", "cid": "c9", "act": {"text": "   "}}', "an empty message cannot be sent"),
    ('{"type": "message", "cid": "c9", "act": {"text": "x", "task_data": [1]}}', "act.task_data must be an object"),
    ('{"type": "message", "cid": "c9", "act": {"text": "x", "signals": [1]}}', "act.signals must be an object"),
    ('{"type": "message", "cid": "c9", "act": {"text": "x", "signals": {"keys": 1}}}', "act.signals lacks compose_ms"),
    ('{"type": "message", "cid": "c9", "act": {"text": "x", "signals": {"keylog": "abc"}}}',
     "act.signals has unknown keys: keylog"),
    (json.dumps({"type": "message", "cid": "c9", "act": {"text": "x", "signals": {
        "compose_ms": -5, "keys": 1, "chars": 1, "pasted_count": 0, "pasted_chars": 0, "inserted_chars": 0,
        "hidden_ms": 0}}}), "act.signals.compose_ms must be a whole number"),
    (json.dumps({"type": "message", "cid": "c9", "act": {"text": "x" * (MAX_TEXT_CHARS + 1)}}),
     "message text too long"),
    (json.dumps({"type": "message", "cid": "c9", "act": {"text": "x", "pad": "y" * MAX_FRAME_BYTES}}),
     "frame too large"),
    ('{"type": "hello", "token": "again"}', "hello was already received"),
]


@pytest.mark.parametrize(("frame", "expected"), BAD_FRAMES, ids=[e for _, e in BAD_FRAMES])
def test_a_bad_frame_gets_an_error_and_changes_nothing(runner, paired, frame, expected):
    alice, bob = paired
    before = stored_texts(runner)
    seen = len(alice.frames)
    alice.send_frame(frame)
    assert expected in error_after(alice, seen)["error"]
    assert stored_texts(runner) == before
    alice.say("still here")  # the socket and the session carry on
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "still here")
    assert stored_texts(runner) == [*before, "still here"]
    assert "x" not in bob.texts()


@pytest.mark.parametrize("size", [300_000, 2**20, 10 * 2**20], ids=["300KB", "1MiB", "10MiB"])
def test_a_frame_beyond_the_socket_limit_is_closed_with_1009_and_a_reason_and_the_page_can_come_back(
        runner, paired, size):
    alice, bob = paired
    before = stored_texts(runner)
    with contextlib.suppress(simple_websocket.ConnectionClosed, OSError):  # the close may come first
        alice.send_frame(json.dumps({"type": "message", "cid": "big", "act": {"text": "x", "pad": "y" * size}}))
    alice._reader.join(timeout=10)
    assert not alice._reader.is_alive(), "the server kept a socket open after a frame over its limit"
    assert (alice.ws.close_reason, alice.ws.close_message) == (1009, "Message is too big")
    assert stored_texts(runner) == before
    alice.connect()
    alice.say("back again")
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "back again")


def test_the_first_frame_must_be_hello(runner, paired):
    ws = raw_socket(runner)
    ws.send(json.dumps({"type": "message", "cid": "c1", "act": {"text": "sneaky"}}))
    frame, closed = first_answer(ws)
    assert frame == {"type": "error", "error": "the first frame must be hello", "fatal": True}
    assert closed
    assert "sneaky" not in stored_texts(runner)


@pytest.mark.parametrize("make_token", [
    pytest.param(lambda runner, config: "", id="empty"),
    pytest.param(lambda runner, config: "made-up-token", id="made-up"),
    pytest.param(lambda runner, config: config["token"][:-2] + ("AA" if config["token"][-2:] != "AA" else "BB"),
                 id="edited"),
    pytest.param(lambda runner, config: TokenSigner("another-secret").issue(
        WorkerIdentity(runner.run_id, "A-W1-1", "W1")), id="signed-with-another-key"),
])
def test_a_forged_token_is_refused_and_nothing_is_written(runner, paired, make_token):
    alice, _ = paired
    before = stored_texts(runner)
    ws = raw_socket(runner)
    ws.send(json.dumps({"type": "hello", "token": make_token(runner, alice.config), "last_seq": 0}))
    ws.send(json.dumps({"type": "message", "cid": "forged", "act": {"text": "forged"}}))
    frame, closed = first_answer(ws)
    assert frame["type"] == "error" and frame["fatal"] is True
    assert frame["error"] in ("hello needs a token", "the token is not valid")
    assert closed
    assert stored_texts(runner) == before
    assert "forged" not in alice.texts()


def test_a_genuine_token_for_an_assignment_not_on_this_runner_is_refused(runner, paired):
    signer = TokenSigner("test-secret")  # the runner's own key: a real signature
    ws = raw_socket(runner)
    token = signer.issue(WorkerIdentity(runner.run_id, "A-never-accepted", "W9"))
    ws.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
    frame, closed = first_answer(ws)
    assert frame["error"] == "this task session is not active on this server"
    assert closed
    assert runner.handler.get_assignment_data("A-never-accepted") is None


def test_a_token_cannot_be_moved_to_another_worker(runner, paired):
    """The token binds worker and assignment together: W1's assignment under W2's name fails."""
    ws = raw_socket(runner)
    token = TokenSigner("test-secret").issue(WorkerIdentity(runner.run_id, "A-W1-1", "W2"))
    ws.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
    frame, _ = first_answer(ws)
    assert frame["error"] == "this task session is not active on this server"


def test_a_socket_that_never_says_hello_is_closed(runner, monkeypatch):
    monkeypatch.setattr(runner_server, "HELLO_TIMEOUT_SECONDS", 0.5)
    ws = raw_socket(runner)
    frame, closed = first_answer(ws)
    assert frame == {"type": "error", "error": "no hello received", "fatal": True}
    assert closed


def test_after_an_oversized_frame_the_server_reads_to_the_pages_close_and_never_resets(runner, paired):
    """A reset after the server's 1009 can destroy that close frame before a browser reads it
    (the browser then reports 1006 and no reason, as it did now and then on a busy machine).
    Over a raw TCP socket: the whole frame goes out, the server's close frame comes back, the
    page's own close goes out a moment later, and the connection then ends with an orderly
    end of stream, never a reset."""
    alice, _ = paired
    host, port = runner.server.url.split("//", 1)[1].rsplit(":", 1)
    client = WSConnection(ConnectionType.CLIENT)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(client.send(Request(host=host, target="/ws")))
        _events_until(sock, client, AcceptConnection)
        hello = {"type": "hello", "token": alice.config["token"], "last_seq": 0}
        big = {"type": "message", "cid": "big", "act": {"text": "x", "pad": "y" * 300_000}}
        sock.sendall(client.send(Message(data=json.dumps(hello))) + client.send(Message(data=json.dumps(big))))
        close = _events_until(sock, client, CloseConnection)
        assert (close.code, close.reason) == (1009, "Message is too big")
        time.sleep(0.5)  # long enough for a server that would drop the connection to have dropped it
        sock.sendall(client.send(close.response()))
        while data := sock.recv(65536):  # a reset raises ConnectionResetError here
            client.receive_data(data)
    assert stored_texts(runner)[-1] != "x"


def _events_until(sock: socket.socket, client: WSConnection, kind: type) -> Any:
    """Read from the socket until the client's connection yields an event of `kind`."""
    while True:
        for event in client.events():
            if isinstance(event, kind):
                return event
        data = sock.recv(65536)
        assert data, f"the server ended the connection before a {kind.__name__}"
        client.receive_data(data)
