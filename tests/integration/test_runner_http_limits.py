"""The runner's HTTP server against slow and greedy clients, mostly as `python -m runner run`
serves it: headers must arrive within --header-timeout however slowly they trickle, a body may
not stall longer, a chat socket is not held to that once it is open, a crowd of slow clients
does not keep /healthz or a worker waiting, and --max-http-connections bounds what is served
at once."""
from __future__ import annotations

import contextlib
import os
import select
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import simple_websocket
from flask import Flask, request

from runner.http_server import ServerLimits
from runner.server import RunnerServer
from tests.faults.crowd import open_link
from tests.faults.processes import PAIR_CHAT, Runner

PATIENCE = 5.0
"""How long a test's client waits for the runner to act: well past the --header-timeout of 1 s
the tests set, and short of the default (10 s), so a runner that never acts, or ignores the
flag, fails the test rather than passing it slowly."""
HALF_A_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"


assert PATIENCE < ServerLimits.header_timeout


@pytest.fixture
def runner_with(store_url, tmp_path) -> Iterator:
    started: list[Runner] = []

    def start(*flags: str) -> Runner:
        started.append(Runner(tmp_path, os.environ.copy(), PAIR_CHAT, "--db", store_url, *flags))
        return started[-1]

    yield start
    for runner in started:
        runner.stop()


def connect(runner: Runner) -> socket.socket:
    address = urlsplit(runner.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=PATIENCE)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the runner sends until it closes the connection (or resets it)."""
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(4096):
            received += chunk
    return received


def healthz(runner: Runner, timeout: float = PATIENCE) -> int:
    try:
        with urllib.request.urlopen(runner.url + "/healthz", timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_client_that_stops_halfway_through_its_headers_is_answered_408_and_dropped(runner_with):
    runner = runner_with("--header-timeout", "1")
    with connect(runner) as sock:
        sock.sendall(HALF_A_REQUEST)
        started = time.monotonic()
        answer = read_until_closed(sock)  # a runner that waited forever would fail at PATIENCE
        print(f"dropped after {time.monotonic() - started:.2f} s")
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert healthz(runner) == 200


def test_a_client_trickling_its_headers_is_dropped_at_the_header_timeout_however_it_keeps_sending(runner_with):
    runner = runner_with("--header-timeout", "1")
    with connect(runner) as sock:
        started = time.monotonic()
        dropped = False
        request = iter(HALF_A_REQUEST + b"X-Padding: " + b"a" * 10_000)
        while not dropped and time.monotonic() - started < PATIENCE:
            try:
                sock.send(bytes([next(request)]))  # a byte every tenth of a second, never the blank line
            except OSError:
                dropped = True
            readable, _, _ = select.select([sock], [], [], 0.1)
            if readable:
                with contextlib.suppress(OSError):
                    sock.recv(4096)
                dropped = True
        print(f"dropped after {time.monotonic() - started:.2f} s")
    assert dropped, "the runner kept a client that sent its headers a byte at a time"


def test_a_chat_socket_stays_open_past_the_header_timeout(runner_with):
    runner = runner_with("--header-timeout", "1", "--disconnect-timeout", "60")
    alice, bob = (open_link(runner.url, link) for link in runner.links(2))
    try:
        for worker in (alice, bob):
            worker.heartbeats = False  # silence both ways: the runner's beats come every 5 s
            worker.wait_state("in_task")
        time.sleep(3)
        alice.say("still here after three quiet seconds")
        bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "still here after three quiet seconds")
    finally:
        alice.close()
        bob.close()


def test_a_thousand_slow_clients_do_not_keep_healthz_or_a_worker_waiting(runner_with):
    runner = runner_with("--max-http-connections", "1000", "--header-timeout", "60")
    slow = []
    try:
        for _ in range(1000):
            sock = connect(runner)
            sock.sendall(HALF_A_REQUEST)
            slow.append(sock)
        seconds = []
        for _ in range(5):
            started = time.monotonic()
            assert healthz(runner, timeout=1.0) == 200  # answers within a second, or raises
            seconds.append(time.monotonic() - started)
        alice, bob = (open_link(runner.url, link) for link in runner.links(2))
        alice.wait_state("in_task")
        alice.say("heard over the crowd")
        bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "heard over the crowd")
        alice.close()
        bob.close()
        print(f"/healthz under 1,000 slow clients: {', '.join(f'{s * 1000:.1f}' for s in seconds)} ms")
    finally:
        for sock in slow:
            sock.close()


def test_connections_past_max_http_connections_are_answered_503(runner_with):
    runner = runner_with("--max-http-connections", "3")
    ws_url = runner.url.replace("http", "ws", 1) + "/ws"
    held = [simple_websocket.Client(ws_url) for _ in range(3)]  # open until they say hello (10 s)
    try:
        with connect(runner) as sock:
            sock.sendall(HALF_A_REQUEST + b"\r\n")
            assert read_until_closed(sock).startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        assert healthz(runner) == 503
    finally:
        for ws in held:
            ws.close()
    deadline = time.monotonic() + PATIENCE
    while healthz(runner) != 200:
        assert time.monotonic() < deadline, "the runner never served again after its sockets closed"
        time.sleep(0.1)


def test_a_request_whose_headers_run_past_32_KiB_is_answered_431(runner_with):
    runner = runner_with()
    with connect(runner) as sock:
        sock.sendall(HALF_A_REQUEST + b"X-Padding: " + b"a" * 40_000 + b"\r\n\r\n")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


def test_a_request_whose_body_stalls_is_dropped_after_the_header_timeout():
    app = Flask(__name__)
    app.post("/echo")(lambda: request.get_data())
    server = RunnerServer(app, limits=ServerLimits(header_timeout=1.0)).start()
    try:
        address = urlsplit(server.url)
        with socket.create_connection((address.hostname, address.port), timeout=PATIENCE) as sock:
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"a" * 10)
            read_until_closed(sock)  # a server that waited for the other 90 bytes would fail at PATIENCE
    finally:
        server.stop()
