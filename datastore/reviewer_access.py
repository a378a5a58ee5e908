"""Who may use the reviewer's dashboard: its login sessions and the failed logins its throttle
counts. The webapp decides the policy (limits, window, clock) and passes it in; the store keeps
the rows, so every webapp process sees the same sessions and the same counts, and it makes the
throttle's check and count one step, so parallel guesses cannot slip past the limit together."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from datastore.access import StoreAccess
from datastore.models_dashboard import LoginAttempt, ReviewerSession

LOGIN_THROTTLE_LOCK = 724052
"""The PostgreSQL advisory lock that queues login checks (724051 queues migrations). On
SQLite, the write transaction's BEGIN IMMEDIATE queues them already."""


class LockoutScope(StrEnum):
    ADDRESS = "address"
    """Too many failed logins from one client address."""
    OVERALL = "overall"
    """Too many failed logins from all addresses together."""


@dataclass(frozen=True)
class LoginLimits:
    """At most `per_address` failed logins from one address, and `overall` from all of them,
    within the last `window` seconds."""

    per_address: int
    overall: int
    window: float


@dataclass(frozen=True)
class Lockout:
    """Logins are refused, because of `scope`, until `until` (epoch seconds)."""

    scope: LockoutScope
    until: float


class ReviewerAccess(StoreAccess):
    # The login throttle ------------------------------------------------------------------

    def begin_login_attempt(self, address: str, limits: LoginLimits, now: float) -> int | Lockout:
        """Count a login attempt from `address` before its password is checked. Answers the
        attempt's id (pass it to `forget_login_attempt` once the password proves right), or,
        when a limit is already reached, the Lockout, and then nothing is written."""

        def write(s: Session) -> int | Lockout:
            if s.get_bind().dialect.name == "postgresql":
                s.execute(select(func.pg_advisory_xact_lock(LOGIN_THROTTLE_LOCK)))
            s.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - limits.window))  # out of the window
            lockouts = [
                Lockout(scope, until)
                for scope, limit, where in (
                    (LockoutScope.ADDRESS, limits.per_address, [LoginAttempt.address == address]),
                    (LockoutScope.OVERALL, limits.overall, []),
                )
                if (until := _limit_reached_until(s, where, limit, limits.window)) is not None
            ]
            if lockouts:
                return max(lockouts, key=lambda lockout: lockout.until)
            attempt = LoginAttempt(address=address, at=now)
            s.add(attempt)
            s.flush()
            return attempt.id

        return self._write(write)

    def forget_login_attempt(self, attempt_id: int) -> None:
        """The attempt's password was right: it does not count against anyone."""
        self._write(lambda s: s.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id)))

    # Reviewer sessions -------------------------------------------------------------------

    def open_reviewer_session(self, token_digest: str, credential: str, *, now: float, expires: float) -> None:
        """Record a login; sessions that have expired are dropped on the way."""

        def write(s: Session) -> None:
            s.execute(delete(ReviewerSession).where(ReviewerSession.expires <= now))
            s.add(ReviewerSession(token_digest=token_digest, credential=credential, created=now,
                                  expires=expires))

        self._write(write)

    def reviewer_session_is_open(self, token_digest: str, credential: str, now: float) -> bool:
        """Whether that session was opened under `credential`, and is neither ended nor expired."""
        query = select(ReviewerSession.token_digest).where(
            ReviewerSession.token_digest == token_digest, ReviewerSession.credential == credential,
            ReviewerSession.expires > now)
        return self._read(lambda s: s.scalar(query) is not None)

    def end_reviewer_session(self, token_digest: str) -> None:
        self._write(lambda s: s.execute(
            delete(ReviewerSession).where(ReviewerSession.token_digest == token_digest)))


def _limit_reached_until(s: Session, where: list[Any], limit: int, window: float) -> float | None:
    """When `limit` failed logins matching `where` are kept (all are in the window: the rest
    were just deleted), the time the oldest of the newest `limit` leaves the window and the
    count drops below the limit. Else None."""
    limit_th_newest = s.scalar(
        select(LoginAttempt.at).where(*where).order_by(LoginAttempt.at.desc()).offset(limit - 1).limit(1))
    return None if limit_th_newest is None else limit_th_newest + window
