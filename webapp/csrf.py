"""CSRF protection: one random token per session, required on every state-changing request
(a form's `csrf_token` field or an `X-CSRF-Token` header). A request without it gets 403
before any view runs, so nothing changes."""
from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's token (made on first use); templates put it in every form."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf")
    # Bytes: compare_digest refuses str with non-ASCII characters, which anyone can send.
    if not expected or not sent or not hmac.compare_digest(str(sent).encode(), str(expected).encode()):
        abort(403, description="This form has expired or did not come from Parley. Reload the page and try again.")
