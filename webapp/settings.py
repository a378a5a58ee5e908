"""Where the webapp's settings come from: the environment first, then a config file outside
the repository (`PARLEY_CONFIG`, default ~/.config/parley/webapp.json). The file holds only
the admin password's hash and the session key, and is readable by its owner alone; the login
throttle and the proxy in front are set by environment variables."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.security import generate_password_hash

SESSION_HOURS = 12
NUMBERS_FROM_ENVIRONMENT: dict[str, tuple[str, int, int]] = {
    # config key: (environment variable, default, smallest value allowed)
    "LOGIN_LIMIT_PER_ADDRESS": ("PARLEY_LOGIN_LIMIT_PER_ADDRESS", 10, 1),
    "LOGIN_LIMIT_OVERALL": ("PARLEY_LOGIN_LIMIT_OVERALL", 100, 1),
    "LOGIN_WINDOW_SECONDS": ("PARLEY_LOGIN_WINDOW_SECONDS", 900, 1),
    "TRUST_PROXY": ("PARLEY_TRUST_PROXY", 0, 0),
}
"""LOGIN_*: at most so many failed logins per client address and in all, within the window.
TRUST_PROXY: how many reverse proxies stand in front; their X-Forwarded-For and
X-Forwarded-Proto are believed only when this is 1 or more."""
TEST_RUN_IDLE_MINUTES = ("PARLEY_TEST_RUN_IDLE_MINUTES", 60.0)
"""A test run started from the dashboard with nothing happening in it (no worker opening its
page or moving on, no message) for this many minutes stops itself; 0: never
(`RunOptions.test_idle_minutes`)."""
YES, NO = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


class SettingsError(Exception):
    """The webapp cannot start as configured; the message says what to do."""


def config_path() -> Path:
    return Path(os.environ.get("PARLEY_CONFIG") or Path.home() / ".config" / "parley" / "webapp.json")


def read_config_file(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read the config file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"the config file {path} must hold a JSON object")
    return data


def write_config_file(data: dict[str, Any], path: Path | None = None) -> Path:
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2)
    return path


@dataclass(frozen=True)
class FirstStartPassword:
    """A password made on the first start and not kept yet. The webapp starts on `config_file`
    (the config file as it will be: `create_app({"CONFIG_FILE_DATA": ...})`); `keep()` writes
    it once the server listens, so a start that fails (a busy port) leaves no hash nobody saw."""

    password: str
    config_file: dict[str, Any]
    path: Path

    def keep(self) -> Path:
        return write_config_file(self.config_file, self.path)


def first_start_password(path: Path | None = None) -> FirstStartPassword | None:
    """When no password is set anywhere: a new one, with the config file holding only its
    hash (and a session key). Otherwise None."""
    if os.environ.get("PARLEY_ADMIN_PASSWORD"):
        return None
    path = path or config_path()
    data = read_config_file(path)
    if data.get("admin_password_hash"):
        return None
    password = secrets.token_urlsafe(12)
    data["admin_password_hash"] = generate_password_hash(password)
    data.setdefault("secret_key", secrets.token_hex(32))
    return FirstStartPassword(password, data, path)


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Flask config for `create_app`: explicit overrides, then the environment, then
    the config file. Raises SettingsError when no admin password is configured, or when a
    setting from the environment is not a value it can take."""
    overrides = dict(overrides or {})
    file = overrides.pop("CONFIG_FILE_DATA", None) or (
        read_config_file() if not overrides.get("IGNORE_CONFIG_FILE") else {})
    settings: dict[str, Any] = {
        "DATABASE_URL": os.environ.get("PARLEY_DATABASE_URL"),
        "SECRET_KEY": os.environ.get("PARLEY_SECRET_KEY") or file.get("secret_key"),
        "ADMIN_PASSWORD_HASH": file.get("admin_password_hash"),
        "TASKS_DIR": str(Path(__file__).resolve().parents[1] / "tasks"),
        "SESSION_HOURS": SESSION_HOURS,
        "SESSION_COOKIE_SECURE": _flag_from_environment("PARLEY_SECURE_COOKIE"),
        "CLOCK": time.time,  # tests pass a clock they move by hand
    }
    for key, (variable, default, least) in NUMBERS_FROM_ENVIRONMENT.items():
        settings[key] = _number_from_environment(variable, default, least)
    settings["TEST_RUN_IDLE_MINUTES"] = _minutes_from_environment(*TEST_RUN_IDLE_MINUTES)
    password = overrides.pop("ADMIN_PASSWORD", None) or os.environ.get("PARLEY_ADMIN_PASSWORD")
    if password:
        settings["ADMIN_PASSWORD_HASH"] = generate_password_hash(password)
    settings.update(overrides)
    if not settings["ADMIN_PASSWORD_HASH"]:
        raise SettingsError(
            "no admin password is set: set PARLEY_ADMIN_PASSWORD, or run `python server.py` once "
            f"to create one (its hash is kept in {config_path()})")
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = secrets.token_hex(32)  # sessions then end when the process does
    known_password = password if password and "ADMIN_PASSWORD_HASH" not in overrides else None
    settings["ADMIN_CREDENTIAL"] = credential_id(
        known_password or settings["ADMIN_PASSWORD_HASH"], settings["SECRET_KEY"])
    return settings


def credential_id(password_or_hash: str, secret_key: str) -> str:
    """A name for the admin password that sessions are opened under: the same in every
    process configured with the same password and session key, different once the password
    changes, so that the change ends every session opened before it.

    The hash cannot serve: each process hashes PARLEY_ADMIN_PASSWORD with a salt of its own.
    scrypt salted with the session key, so that the name (kept in the store) is, like the
    password's own hash, slow to test guesses against."""
    derived = hashlib.scrypt(password_or_hash.encode(), salt=f"parley-credential:{secret_key}".encode(),
                             n=2**14, r=8, p=1, dklen=32)
    return derived.hex()


def _number_from_environment(variable: str, default: int, least: int) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value: int | None = int(raw)
    except ValueError:
        value = None
    if value is None or value < least:
        raise SettingsError(f"{variable} must be a whole number of at least {least}, not {raw!r}")
    return value


def _minutes_from_environment(variable: str, default: float) -> float:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise SettingsError(f"{variable} must be a number of minutes, 0 or more (0: never), not {raw!r}")
    return value


def _flag_from_environment(variable: str) -> bool:
    raw = os.environ.get(variable, "").strip().lower()
    if raw not in YES + NO:
        raise SettingsError(f"{variable} must be 1 (on) or 0 (off), not {raw!r}")
    return raw in YES
