"""Login: one admin password (its hash from settings), a signed session cookie that
expires, and a gate in front of every page but the public ones."""
from __future__ import annotations

import time
from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.security import check_password_hash

from webapp.redirects import same_site_path
from webapp.twins import wants_json

auth = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = frozenset({"auth.login", "health.healthz", "static", "favicon"})
PUBLIC_BLUEPRINTS = frozenset({"live"})
"""Workers' chat pages: protected by their signed tokens, not by the reviewer's login."""


def logged_in() -> bool:
    started = session.get("login_at")
    hours = current_app.config["SESSION_HOURS"]
    return isinstance(started, (int, float)) and time.time() - started < hours * 3600


def require_login() -> Any:
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS or endpoint.split(".", 1)[0] in PUBLIC_BLUEPRINTS or logged_in():
        return None
    session.pop("login_at", None)
    if wants_json():
        return jsonify(error="login required"), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@auth.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if check_password_hash(current_app.config["ADMIN_PASSWORD_HASH"], password):
            csrf = session.get("csrf")
            session.clear()
            session.permanent = True
            session["login_at"] = time.time()
            if csrf:
                session["csrf"] = csrf
            return redirect(same_site_path(request.args.get("next")))
        error = "That password is not right."
    return render_template("login.html", error=error), 401 if error else 200


@auth.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))
