"""The worker-facing web app: the chat page, the task's custom components, and one
websocket per worker tab speaking runner.protocol.

`live_blueprint(hub, sock)` holds the routes for every run in a `LiveHub`, so the runner
process (`create_runner_app`) and the webapp's task testing serve workers the same way.
`RunnerServer` runs an app in a background thread.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    make_response,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_sock import ConnectionClosed, Sock
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.serving import BaseWSGIServer, get_sockaddr, select_address_family

from crowd.base import Refused
from datastore import DatastoreError, InvalidValue
from runner.budget import CUT_OFF_TEXT, OverBudget
from runner.forms.world import AnswersRefused
from runner.http_server import GatedWSGIServer, ServerLimits
from runner.live import WorkerSession
from runner.live_socket import SOCK_OPTIONS, finish_socket
from runner.local_human import NOTHING_TO_SUBMIT, LocalHumanSession
from runner.manager import TaskManager
from runner.protocol import (
    ClientFrame,
    ProtocolError,
    TokenSigner,
    parse_client_frame,
)

log = logging.getLogger("parley.runner")

HELLO_TIMEOUT_SECONDS = 10
LOCAL_SUBMIT_KIND = "none"
"""A local human's page submits nothing and offers no Return (chat.js)."""
IDLE_WAKE_SECONDS = 30


def content_security_policy(form_action_sources: tuple[str, ...] = ()) -> str:
    """The worker pages' CSP; the page may post its submission only to itself and to the
    hosts the run's provider names (`Provider.form_action_sources`)."""
    form_action = " ".join(("'self'", *form_action_sources))
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:; "
            f"connect-src 'self'; form-action {form_action}; frame-ancestors *")


CSP = content_security_policy()


def script_json(value: Any) -> str:
    """JSON that is safe inside <script type="application/json">: no '<', '>' or '&'."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026"))


class LiveHub:
    """The runs this process serves live, by run id, and the key their workers' tokens are
    signed with. A runner process holds one run; the webapp holds every test run it starts."""

    def __init__(self, secret: str | None = None) -> None:
        self.signer = TokenSigner(secret or os.environ.get("PARLEY_SECRET_KEY") or secrets.token_hex(32))
        self._managers: list[TaskManager] = []
        self._lock = threading.Lock()

    def add(self, manager: TaskManager) -> None:
        """Serve `manager`'s run (it may be added before it starts and has a run id)."""
        with self._lock:
            self._managers.append(manager)

    def get(self, run_id: str) -> TaskManager | None:
        with self._lock:
            return next((m for m in self._managers if m.run_id and m.run_id == run_id), None)

    def managers(self) -> list[TaskManager]:
        with self._lock:
            return list(self._managers)


def live_blueprint(hub: LiveHub, sock: Sock) -> Blueprint:
    """The worker-facing routes: the chat page of any run in `hub`, its custom components,
    and the websocket (`sock` must be the app's flask-sock)."""
    live = Blueprint("live", __name__, template_folder="templates", static_folder="static",
                     static_url_path="/live-static")

    @live.before_request
    def refuse_compression() -> None:
        # Chat frames are a few hundred bytes: compressing them saves little on the wire and
        # costs a zlib stream per direction per socket, about 7 % of the runner's time at a
        # thousand workers (bench/load.py). simple-websocket accepts whatever compression the
        # page offers, so the offer is taken out of the request before its handshake.
        if request.endpoint == "live.worker_socket":
            request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)

    @live.get("/task/<run_id>")
    def task_page(run_id: str):  # type: ignore[no-untyped-def]
        manager = hub.get(run_id)
        if manager is None:
            return render_template("live/refused.html", title="Parley",
                                   reason="This link is not for a task running here."), 404
        task = manager.task
        title = task.config["hit_title"]
        try:
            ids = manager.provider.identify(request.args)
        except Refused as exc:
            return render_template("live/refused.html", title=title, reason=str(exc)), 400
        if ids is None:
            return render_template("live/preview.html", title=title,
                                   description_html=task.config["preview_description"]
                                   or task.config["task_description"])
        hit_id, assignment_id, worker_id = ids
        try:
            # Choosing a role is for task testing; on a marketplace the pairing decides.
            role = request.args.get("role") if manager.options.is_test else None
            session = manager.accept(hit_id, assignment_id, worker_id, preferred_role=role)
        except Refused as exc:
            return render_template("live/refused.html", title=title, reason=str(exc)), 403
        except InvalidValue:  # an id the store cannot take (too long, a NUL): not a link we made
            return render_template("live/refused.html", title=title,
                                   reason="This link's HIT, assignment or worker id is not valid."), 400
        return _chat_page(manager, session, assignment_id=assignment_id,
                          submit=manager.provider.page_submit(request.args, assignment_id),
                          max_wait=manager.options.max_wait)

    @live.get("/local/<run_id>/<key>")
    def local_human_page(run_id: str, key: str):  # type: ignore[no-untyped-def]
        """A local human's chat page (runner/local_human.py): the key in the link is the secret."""
        manager = hub.get(run_id)
        session = manager.local_humans.find(key) if manager is not None else None
        if manager is None or session is None:
            return render_template("live/refused.html", title="Parley",
                                   reason="This link is not for a conversation running here."), 404
        return _chat_page(manager, session, assignment_id=None, submit={"kind": LOCAL_SUBMIT_KIND}, max_wait=0)

    def _chat_page(manager: TaskManager, session: WorkerSession, *, assignment_id: str | None,
                   submit: dict[str, Any], max_wait: float) -> Any:
        task = manager.task
        title = task.config["hit_title"]
        config = {
            "token": hub.signer.issue(session.who),
            "ws_path": url_for("live.worker_socket"),
            "title": title,
            "kind": task.config["kind"],
            "task_description_html": task.config["task_description"],
            "state": session.state,
            "agent_id": session.agent.id if session.conversation else None,
            "role": session.role,
            "roles": task.config["roles"],
            "free_chat": task.config["free_chat"],
            "paste_policy": task.config["paste_policy"],
            "paste_refused_text": task.config["paste_refused_text"],
            "composition_notice": task.config["composition_notice"],
            "max_wait_seconds": max_wait,
            "waited_seconds": session.waited_seconds(),
            "heartbeat_seconds": manager.options.beat_seconds,
            "assignment_id": assignment_id,
            "submit": submit,
        }
        custom_js_url = url_for("live.custom_js", run_id=manager.run_id) if task.custom_js else None
        response = make_response(render_template("live/chat.html", title=title,
                                                 config_json=script_json(config), custom_js_url=custom_js_url))
        response.headers["Content-Security-Policy"] = content_security_policy(
            manager.provider.form_action_sources)
        return response

    @live.get("/task/<run_id>/custom.js")
    def custom_js(run_id: str):  # type: ignore[no-untyped-def]
        manager = hub.get(run_id)
        if manager is None or manager.task.custom_js is None:
            abort(404)
        return send_file(manager.task.custom_js, mimetype="text/javascript", max_age=0)

    @sock.route("/ws", bp=live)
    def worker_socket(ws: Any) -> None:
        session = None
        try:
            session, manager = _greet(ws)
            if session is None:
                return
            while not session.cut_off:  # what a cut-off worker sent after that is not read
                # The timeout only bounds a thread whose peer vanished without a close;
                # short timeouts cost a wake-up per worker per timeout under load.
                raw = ws.receive(timeout=IDLE_WAKE_SECONDS)
                if raw is None:
                    continue
                session.touch()
                try:
                    frame = parse_client_frame(raw)
                except ProtocolError as exc:
                    session.send({"type": "error", "error": str(exc)})
                    continue
                _handle(manager, session, frame)
        except ConnectionClosed:
            pass
        finally:
            if session is not None:
                session.detach(ws)
            # A worker cut off for flooding would only flood on while we waited for their close.
            finish_socket(ws, wait_for_page=session is None or not session.cut_off)

    def _greet(ws: Any) -> tuple[Any, Any]:
        raw = ws.receive(timeout=HELLO_TIMEOUT_SECONDS)
        try:
            if raw is None:
                raise ProtocolError("no hello received")
            frame = parse_client_frame(raw)
            if frame.type != "hello":
                raise ProtocolError("the first frame must be hello")
            who = hub.signer.verify(frame.token or "")
            manager = hub.get(who.run_id)
            session = manager.session_for(who) if manager is not None else None
            if session is None:
                raise ProtocolError("this task session is not active on this server")
            if session.cut_off:
                raise ProtocolError(CUT_OFF_TEXT)
        except ProtocolError as exc:
            ws.send(json.dumps({"type": "error", "error": str(exc), "fatal": True}))
            ws.close()
            return None, None
        session.attach(ws, frame.last_seq)
        return session, manager

    return live


def _handle(manager: TaskManager, session: Any, frame: ClientFrame) -> None:
    """One frame from a greeted worker or local human."""
    local = isinstance(session, LocalHumanSession)
    if frame.type == "heartbeat":
        session.send({"type": "heartbeat"})
    elif frame.type in ("message", "answer"):
        _store(manager, session, frame, local)
    elif local:
        session.send({"type": "error", "error": NOTHING_TO_SUBMIT})
    elif frame.type == "done":
        try:
            manager.worker_done(session)
        except Refused as exc:
            session.send({"type": "error", "error": str(exc)})
    elif frame.type == "return":
        manager.worker_left(session, "returned")
    else:
        session.send({"type": "error", "error": "hello was already received"})


def _store(manager: TaskManager, session: Any, frame: ClientFrame, local: bool) -> None:
    """Store a worker's (or a local human's) message or form answers, then ack it: an ack
    means it is in the store."""
    assert frame.cid is not None
    try:
        if frame.type == "answer":
            assert frame.item_id is not None and frame.answers is not None
            manager.store_form_answer(session, frame.item_id, frame.answers, frame.signals)
            ack: dict[str, Any] = {"type": "ack", "cid": frame.cid, "item_id": frame.item_id}
        else:
            assert frame.act is not None
            if local:
                message_id, position = None, session.receive(frame.cid, frame.act)
            else:
                message_id, position = manager.store_worker_message(session, frame.cid, frame.act)
            ack = {"type": "ack", "cid": frame.cid, "id": message_id, "position": position}
    except AnswersRefused as exc:
        session.send({"type": "error", "cid": frame.cid, "error": str(exc), "fields": exc.problems})
    except OverBudget as exc:
        session.send({"type": "error", "cid": frame.cid, "error": str(exc)})
        if exc.refusal.cut_off:
            manager.cut_off(session, exc.refusal)
    except Refused as exc:
        session.send({"type": "error", "cid": frame.cid, "error": str(exc)})
    except (DatastoreError, SQLAlchemyError) as exc:
        what = "answers" if frame.type == "answer" else "a message"
        log.warning("could not store %s of %s: %s", what, session.assignment_id, exc)
        session.send({"type": "error", "cid": frame.cid, "retry": True, "error": (
            "Your answers could not be saved yet; they will be sent again." if frame.type == "answer"
            else "Your message could not be saved yet; it will be sent again.")})
    else:
        session.send(ack)


def create_runner_app(manager: TaskManager, secret: str | None = None) -> Flask:
    """The runner process's own app: one run's chat pages and websocket, and /healthz."""
    app = Flask(__name__)
    # Frames above this are cut off by the websocket library itself (the socket closes with
    # 1009); frames between MAX_FRAME_BYTES and this get a readable error frame from us.
    app.config["SOCK_SERVER_OPTIONS"] = SOCK_OPTIONS
    hub = LiveHub(secret)
    hub.add(manager)
    app.register_blueprint(live_blueprint(hub, Sock(app)))

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "run_id": manager.run_id, **manager.progress()}

    @app.get("/favicon.ico")
    def favicon():  # type: ignore[no-untyped-def]
        return "", 204  # browsers ask for it on every page; a 404 would only be noise

    return app


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port, as werkzeug would open it."""
    family = select_address_family(host, port)
    listening = socket.socket(family, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(get_sockaddr(host, port, family))
        listening.listen(BaseWSGIServer.request_queue_size)
    except OSError:
        listening.close()
        raise
    return listening


class RunnerServer:
    """The app served by werkzeug in a background thread, behind runner.http_server's gate
    (development and tests; production can run the same app under gunicorn with threads)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0,
                 limits: ServerLimits | None = None) -> None:
        """Listen now; a port that cannot be had raises OSError (werkzeug, left to bind it,
        prints its own lines and exits the process instead)."""
        with _listen(host, port) as listening:
            self._server = GatedWSGIServer(host, port, app, limits or ServerLimits(), fd=listening.fileno())
        self.port = self._server.port
        self.host = host
        self._thread = threading.Thread(target=self._server.serve_forever, name="runner-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> RunnerServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
