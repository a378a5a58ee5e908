"""Parley's reviewer webapp. `create_app(config)` builds it (nothing happens at import);
`python server.py` serves it for development, `gunicorn 'webapp:create_app()'` in production."""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_sock import Sock
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from crowd import registry
from crowd.orphans import end_orphaned_runs
from datastore import DatastoreError, InvalidValue, MTurkDataHandler
from runner.server import SOCK_OPTIONS, LiveHub, live_blueprint
from webapp import formatting
from webapp.auth import auth, require_login
from webapp.csrf import check_csrf, csrf_token
from webapp.health import health
from webapp.monitor import monitor
from webapp.payments import payments
from webapp.queue import queue
from webapp.review_pages import review
from webapp.run_control import run_control
from webapp.runs import runs
from webapp.services import Services
from webapp.sessions import ReviewerCookie
from webapp.settings import load_settings
from webapp.testing import testing
from webapp.twins import url_with, wants_json
from webapp.workers import workers

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      PERMANENT_SESSION_LIFETIME=settings["SESSION_HOURS"] * 3600,
                      SOCK_SERVER_OPTIONS=SOCK_OPTIONS, JSON_SORT_KEYS=False)
    app.session_interface = ReviewerCookie()
    if settings["TRUST_PROXY"]:  # believe the client address and scheme these proxies forward
        proxies = settings["TRUST_PROXY"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    handler = MTurkDataHandler(db_url=settings["DATABASE_URL"])
    hub = LiveHub(settings["SECRET_KEY"])
    app.extensions["parley"] = services = Services(handler, hub)
    # Test runs this webapp ran in-process before it was killed, and local runs whose
    # runner died, are ended now rather than shown as running forever.
    for ended in end_orphaned_runs(handler, noticed_by="webapp"):
        app.logger.warning("%s", ended)
    # A money or verdict action whose process died mid-call is finished before anyone can
    # act on its assignment again (it would otherwise be settled at that moment).
    for action in services.review.settle_interrupted():
        app.logger.warning("review action %s is still unknown: its provider cannot be asked now", action["id"])

    app.before_request(require_login)
    app.before_request(check_csrf)
    app.context_processor(lambda: {"csrf_token": csrf_token, "fmt": formatting, "url_with": url_with,
                                   "provider_names": registry.names()})
    app.jinja_env.tests["image_url"] = formatting.is_image_url
    for blueprint in (health, auth, runs, run_control, review, queue, workers, payments, monitor, testing):
        app.register_blueprint(blueprint)
    app.register_blueprint(live_blueprint(hub, Sock(app)))
    _register_errors(app)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.get("/favicon.ico")
    def favicon():  # type: ignore[no-untyped-def]
        return "", 204

    return app


def _register_errors(app: Flask) -> None:
    """Every error a person can cause answers a sentence (HTML or JSON), never a traceback."""

    def answer(status: int, message: str):  # type: ignore[no-untyped-def]
        if wants_json() or request.blueprint == "live":
            return jsonify(error=message), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        return answer(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(DatastoreError)
    @app.errorhandler(OperationalError)  # the database itself failed: disk I/O, full, gone away
    def store_error(exc: Exception):  # type: ignore[no-untyped-def]
        app.logger.warning("store error on %s: %s", request.path, exc)
        return answer(503, "The database cannot answer right now. Try again in a moment.")

    @app.errorhandler(InvalidValue)  # a value from the request the store cannot take (a NUL, say)
    def invalid_value(exc: InvalidValue):  # type: ignore[no-untyped-def]
        return answer(400, str(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unexpected error on %s", request.path)
        return answer(500, "Something went wrong on our side; it has been logged.")
