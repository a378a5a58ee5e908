"""A worker's page gone rogue, as its own process (so its sending costs the runner's process
nothing but what the runner itself does with the frames): it says hello, sends unique messages
of TEXT_CHARS characters as fast as its socket takes them until the runner closes the socket,
then opens the socket again once, as a reloaded page would, and prints as JSON how many
messages it sent and the runner's first answer to the new socket.

    python -m bench.flooder WS_URL TOKEN

`start` runs it so from another program (bench/flood.py, the runner's budget tests).
"""
from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import simple_websocket

TEXT_CHARS = 15_000
PADDING = "x" * TEXT_CHARS


def is_flood(text: str) -> bool:
    """Whether a message's text (stored, or relayed to the flooder's partner) is the flood's."""
    return text.endswith(PADDING)


def flood(ws_url: str, token: str) -> int:
    ws = simple_websocket.Client(ws_url)
    ws.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
    sent = 0
    try:
        while True:
            ws.send(json.dumps({"type": "message", "cid": f"flood{sent}", "act": {"text": f"{sent} {PADDING}"}}))
            sent += 1
    except (simple_websocket.ConnectionClosed, OSError):
        return sent


def come_back(ws_url: str, token: str) -> dict:
    ws = simple_websocket.Client(ws_url)
    ws.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
    try:
        return json.loads(ws.receive(timeout=10))
    finally:
        with contextlib.suppress(simple_websocket.ConnectionClosed, OSError):  # the runner closed it
            ws.close()


def start(ws_url: str, token: str) -> subprocess.Popen[str]:
    """The flooder in a process of its own, taking over the page of the worker whose socket
    token is `token`; its report comes on its stdout when it exits."""
    return subprocess.Popen([sys.executable, "-m", "bench.flooder", ws_url, token],
                            cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, text=True)


def main(argv: list[str]) -> int:
    ws_url, token = argv
    sent = flood(ws_url, token)
    print(json.dumps({"sent": sent, "answer_on_return": come_back(ws_url, token)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
