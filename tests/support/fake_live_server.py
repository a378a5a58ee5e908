"""A stand-in for the runner's worker-facing server that speaks the live-channel protocol
(runner/protocol.py) from a small script, so browser tests can drive the real chat page
(runner/templates/live/chat.html with runner/static/) without worlds, agents or a store.

The default script: on `hello`, say `welcome` and (the first time) a `state` in_task; on each
`message`, `ack` it and answer with a partner `message`. Tests steer it while it runs:
`push_message`, `push_state`, `drop` (optionally refusing reconnects for a while),
`ack_messages = False`, or their own `on_message(server, session, conn, frame)`.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, render_template, request
from flask_sock import Sock
from jinja2.utils import htmlsafe_json_dumps
from simple_websocket import ConnectionClosed
from werkzeug.serving import WSGIRequestHandler, make_server

RUNNER = Path(__file__).resolve().parents[2] / "runner"
WS_PATH = "/ws"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DEFAULT_DESCRIPTION = (
    "<p>Chat with your partner about the picture on the left.</p>"
    "<ul><li>Be friendly and specific.</li><li>Send at least three messages.</li></ul>"
)

Frame = dict[str, Any]


def tiny_png(width: int = 160, height: int = 100, rgb: tuple[int, int, int] = (120, 160, 220)) -> bytes:
    """A solid-colour PNG, so the context pane has a same-origin image to load."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


class Connection:
    """One open websocket; sends are locked because tests push from their own thread."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._lock = threading.Lock()

    def send(self, frame: Frame) -> None:
        with self._lock:
            self.ws.send(json.dumps(frame))

    def close(self) -> None:
        # Already gone is fine: closing twice is what a drop test does.
        with contextlib.suppress(Exception):
            self.ws.close()


@dataclass
class Session:
    """What the server remembers about one worker tab (one token) across reconnects."""

    token: str
    agent_id: str
    state: str = "connecting"
    started: bool = False
    log: list[Frame] = field(default_factory=list)      # numbered frames, replayed after hello
    stored_cids: set[str] = field(default_factory=set)
    connections: list[Connection] = field(default_factory=list)


def default_reply(text: str) -> str | None:
    return f"You said: {text}"


def default_on_message(server: FakeLiveServer, session: Session, conn: Connection, frame: Frame) -> None:
    cid = frame["cid"]
    if cid in session.stored_cids:
        server.ack(conn, cid)  # a resend of something already kept: ack again, store once
        return
    if not server.ack_messages:
        return  # as if the store never answered: the page must keep it and send it again
    session.stored_cids.add(cid)
    server.ack(conn, cid)
    answer = server.reply(frame["act"].get("text", ""))
    if answer is not None:
        server.push_message(session.token, {"id": server.partner_id, "text": answer})


class FakeLiveServer:
    def __init__(
        self,
        *,
        agents: dict[str, str] | None = None,
        title: str = "Talk about a picture",
        task_description_html: str = DEFAULT_DESCRIPTION,
        partner_id: str = "Partner",
        reply: Callable[[str], str | None] = default_reply,
        agent_id_in_page: bool = True,
        submit: Frame | None = None,
        heartbeat_seconds: float = 1,
        custom_js: str | None = None,
        in_task_text: str = "You are paired. Say hello!",
        free_chat: bool = True,
        roles: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.agents = agents or {"tok-worker": "Worker"}
        self.title = title
        self.task_description_html = task_description_html
        self.partner_id = partner_id
        self.reply = reply
        self.agent_id_in_page = agent_id_in_page
        self.submit = submit or {"kind": "done"}
        self.heartbeat_seconds = heartbeat_seconds
        self.custom_js = custom_js
        self.in_task_text = in_task_text
        self.free_chat = free_chat
        """False: the page takes turns, and only a pushed turn frame lets it send."""
        self.roles = roles or {}
        """The task config's `roles`: how the page names and colours each agent."""
        self.ack_messages = True
        self.on_message: Callable[[FakeLiveServer, Session, Connection, Frame], None] = default_on_message
        self.sessions = {token: Session(token, agent) for token, agent in self.agents.items()}
        self.turk_submissions: list[dict[str, str]] = []
        self.redirects: list[dict[str, str]] = []
        """The queries of the pages a `redirect` submit sent the worker to (/marketplace/complete)."""
        self._received: list[tuple[str | None, Frame]] = []
        self._changed = threading.Condition()
        self._lock = threading.RLock()
        self._seq = itertools.count(1)
        self._ack_ids = itertools.count(1)
        self._refuse_until = 0.0
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    # -- lifecycle

    def start(self) -> FakeLiveServer:
        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-live-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def chat_url(self, token: str | None = None) -> str:
        return self.url(f"/chat/{token or next(iter(self.agents))}")

    # -- what tests do while the page runs

    def push(self, token: str, frame: Frame) -> Frame:
        """Send a frame to the tab(s) holding `token`; message and state frames are numbered
        and kept, so a reconnect replays what came after the client's last_seq."""
        session = self.sessions[token]
        with self._lock:
            if frame["type"] in ("message", "state", "turn"):
                frame = {**frame, "seq": next(self._seq)}
                session.log.append(frame)
            if frame["type"] == "state":
                session.state = frame["state"]
            for conn in list(session.connections):
                try:
                    conn.send(frame)
                except ConnectionClosed:
                    session.connections.remove(conn)
        return frame

    def push_message(self, token: str, act: Frame) -> Frame:
        return self.push(token, {"type": "message", "act": act})

    def push_state(self, token: str, state: str, text: str | None = None) -> Frame:
        return self.push(token, {"type": "state", "state": state, "text": text})

    def ack(self, conn: Connection, cid: str) -> None:
        conn.send({"type": "ack", "cid": cid, "id": next(self._ack_ids)})

    def drop(self, token: str | None = None, *, refuse_for: float = 0.0) -> None:
        """Close the open websockets (of one token, or all); with `refuse_for`, answer new
        websocket requests with 503 for that many seconds, like a server that is down."""
        self._refuse_until = time.monotonic() + refuse_for
        with self._lock:
            sessions = [self.sessions[token]] if token else list(self.sessions.values())
            for session in sessions:
                for conn in session.connections:
                    conn.close()
                session.connections.clear()

    # -- what the server heard

    def frames(self, kind: str | None = None, token: str | None = None) -> list[Frame]:
        with self._changed:
            return [f for t, f in self._received
                    if (kind is None or f.get("type") == kind) and (token is None or t == token)]

    def wait_for(self, predicate: Callable[[list[Frame]], Any], timeout: float = 5.0) -> Any:
        """Wait until predicate(all frames received so far) is truthy, and return its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate([f for _, f in self._received])
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the fake server did not see that within {timeout}s; it saw {self._received!r}")
                self._changed.wait(left)

    def wait_for_frames(self, kind: str, count: int = 1, timeout: float = 5.0, **fields: Any) -> list[Frame]:
        """Wait for `count` frames of `kind` whose fields match `fields`; return them all. An
        `act` matches whatever composition signals the page added to it, unless it names them."""
        def matching(frames: list[Frame]) -> list[Frame] | None:
            found = [f for f in frames if f.get("type") == kind
                     and all(_field(f, k, v) == v for k, v in fields.items())]
            return found if len(found) >= count else None
        return self.wait_for(matching, timeout)

    def _record(self, token: str | None, frame: Frame) -> None:
        with self._changed:
            self._received.append((token, frame))
            self._changed.notify_all()

    # -- the app

    def _config(self, session: Session) -> Frame:
        return {
            "token": session.token,
            "ws_path": WS_PATH,
            "title": self.title,
            "task_description_html": self.task_description_html,
            "state": "connecting",
            "agent_id": session.agent_id if self.agent_id_in_page else None,
            "submit": self.submit,
            "heartbeat_seconds": self.heartbeat_seconds,
            "free_chat": self.free_chat,
            "roles": self.roles,
        }

    def _build_app(self) -> Flask:
        app = Flask(__name__, template_folder=str(RUNNER / "templates"), static_folder=None)
        # The runner's templates link their assets through the live blueprint's static route.
        app.register_blueprint(Blueprint("live", __name__, static_folder=str(RUNNER / "static"),
                                         static_url_path="/live-static"))
        sock = Sock(app)

        @app.before_request
        def refuse_while_down() -> Any:
            if request.path == WS_PATH and time.monotonic() < self._refuse_until:
                return Response("down for a moment", status=503)
            return None

        @app.after_request
        def strict_csp(response: Response) -> Response:
            response.headers["Content-Security-Policy"] = CSP
            response.headers["Cache-Control"] = "no-store"
            return response

        @app.get("/chat/<token>")
        def chat(token: str) -> str:
            session = self.sessions.get(token) or abort(404)
            return render_template(
                "live/chat.html",
                title=self.title,
                config_json=htmlsafe_json_dumps(self._config(session)),
                custom_js_url="/task/custom.js" if self.custom_js else None,
            )

        @app.get("/refused")
        def refused() -> str:
            return render_template("live/refused.html", title=self.title,
                                   reason=request.args.get("reason", "You have already done this task."))

        @app.get("/task/custom.js")
        def custom_js() -> Response:
            if not self.custom_js:
                abort(404)
            return Response(self.custom_js, mimetype="application/javascript")

        @app.get("/favicon.ico")
        def favicon() -> Response:
            return Response(status=204)

        @app.get("/test-image.png")
        def image() -> Response:
            return Response(tiny_png(), mimetype="image/png")

        @app.post("/turk/mturk/externalSubmit")
        def turk_submit() -> str:
            self.turk_submissions.append(request.form.to_dict())
            return "<!doctype html><title>Submitted</title><p id='turk-done'>Submitted to the fake MTurk.</p>"

        @app.get("/marketplace/complete")
        def marketplace_complete() -> str:
            self.redirects.append(request.args.to_dict())
            return "<!doctype html><title>Complete</title><p id='marketplace-done'>Back on the marketplace.</p>"

        @sock.route(WS_PATH)
        def live(ws: Any) -> None:
            self._serve(Connection(ws))

        return app

    def _serve(self, conn: Connection) -> None:
        session: Session | None = None
        try:
            while True:
                raw = conn.ws.receive()
                if raw is None:
                    continue
                frame = json.loads(raw)
                self._record(session.token if session else frame.get("token"), frame)
                kind = frame.get("type")
                if kind == "hello":
                    session = self._hello(conn, frame)
                    if session is None:
                        return
                elif session is None:
                    conn.send({"type": "error", "error": "say hello first"})
                elif kind == "message":
                    self.on_message(self, session, conn, frame)
                elif kind == "heartbeat":
                    conn.send({"type": "heartbeat"})
        except ConnectionClosed:
            pass
        finally:
            if session is not None:
                with self._lock:
                    if conn in session.connections:
                        session.connections.remove(conn)

    def _hello(self, conn: Connection, frame: Frame) -> Session | None:
        session = self.sessions.get(frame.get("token"))
        if session is None:
            conn.send({"type": "error", "error": "the token is not valid"})
            conn.close()
            return None
        last_seq = frame.get("last_seq", 0)
        with self._lock:
            conn.send({"type": "welcome", "state": session.state if session.started else "in_task",
                       "agent_id": session.agent_id, "conversation_id": "conv-1"})
            for old in session.log:
                if old["seq"] > last_seq:
                    conn.send(old)
            session.connections.append(conn)
            first = not session.started
            session.started = True
        if first:
            self.push_state(session.token, "in_task", self.in_task_text)
        return session


def _field(frame: Frame, key: str, wanted: Any) -> Any:
    """The frame's `key`, without the act's signals when `wanted` does not name them."""
    value = frame.get(key)
    if key == "act" and isinstance(value, dict) and isinstance(wanted, dict) and "signals" not in wanted:
        return {k: v for k, v in value.items() if k != "signals"}
    return value
