"""Login: one admin password (its hash from settings), a server-side session that ends at
logout, at a password change and at expiry (webapp/sessions.py), a throttle in front of the
password check (webapp/throttle.py), and a gate in front of every page but the public ones."""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.security import check_password_hash

from webapp.redirects import same_site_path
from webapp.sessions import check_session, end_session, start_session
from webapp.throttle import LoginLocked, begin_login_attempt, forget_login_attempt
from webapp.twins import wants_json

auth = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = frozenset({"auth.login", "health.healthz", "static", "favicon"})
PUBLIC_BLUEPRINTS = frozenset({"live"})
"""Workers' chat pages: protected by their signed tokens, not by the reviewer's login."""


def require_login() -> Any:
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or endpoint.split(".", 1)[0] in PUBLIC_BLUEPRINTS:
        return None
    if check_session():
        g.logged_in = True  # the layout shows the top bar
        return None
    if wants_json():
        return jsonify(error="login required"), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@auth.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", error=None)
    try:
        attempt = begin_login_attempt()
    except LoginLocked as locked:
        return render_template("login.html", error=str(locked)), 429, {"Retry-After": str(locked.retry_after)}
    if not check_password_hash(current_app.config["ADMIN_PASSWORD_HASH"], request.form.get("password", "")):
        return render_template("login.html", error="That password is not right."), 401
    forget_login_attempt(attempt)
    start_session()
    return redirect(same_site_path(request.args.get("next")))


@auth.post("/logout")
def logout() -> Any:
    end_session()
    return redirect(url_for("auth.login"))
