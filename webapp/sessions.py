"""The reviewer's login session. The cookie (signed, HttpOnly, SameSite=Lax, and Secure over
https) carries a random token; the session itself is a row in the store, so logging out ends
it in every process, a new admin password ends every session opened before it, and it ends
SESSION_HOURS after login whatever the cookie says."""
from __future__ import annotations

import hashlib
import secrets

from flask import Flask, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from webapp.services import services

TOKEN = "session_token"
"""The key of the session's token in the cookie."""


class ReviewerCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over https (directly,
    or through a trusted proxy's X-Forwarded-Proto), and always with SESSION_COOKIE_SECURE."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def start_session() -> None:
    """Log the reviewer in: a new token (and, with the rest of the cookie cleared, a new
    CSRF token), its session recorded in the store. A session already open is ended."""
    end_session()
    token = secrets.token_urlsafe(32)
    now = current_app.config["CLOCK"]()
    services().handler.open_reviewer_session(
        _digest(token), current_app.config["ADMIN_CREDENTIAL"], now=now,
        expires=now + current_app.config["SESSION_HOURS"] * 3600)
    session.permanent = True
    session[TOKEN] = token


def end_session() -> None:
    """Log out: the session ends in the store (so a copy of the cookie is worthless) and the
    cookie is emptied."""
    token = session.get(TOKEN)
    if isinstance(token, str):
        services().handler.end_reviewer_session(_digest(token))
    session.clear()


def check_session() -> bool:
    """Whether the cookie names a session still open under the current password. A cookie
    that names one no longer open (logged out, expired, another password) is emptied."""
    token = session.get(TOKEN)
    if not isinstance(token, str):
        return False
    if services().handler.reviewer_session_is_open(
            _digest(token), current_app.config["ADMIN_CREDENTIAL"], current_app.config["CLOCK"]()):
        return True
    end_session()
    return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
