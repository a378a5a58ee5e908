"""Models for the reviewer's dashboard: who may use it (its open login sessions and the recent
failed logins its throttle counts, kept in the store so every webapp process agrees), and each
run's totals, kept current as the run changes so its pages cost the same at any size."""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from datastore.models import ID, Base

DIGEST = String(64)
"""A SHA-256 in hex."""


class ReviewerSession(Base):
    """One login to the dashboard, open until it is ended (logout) or `expires` passes.

    The reviewer's cookie carries a random token; only its SHA-256 is kept here, so a copy of
    the store does not hand out cookies. `credential` names the admin password the login was
    made with: once the password changes, no process accepts the session any more.
    """

    __tablename__ = "reviewer_sessions"

    token_digest: Mapped[str] = mapped_column(DIGEST, primary_key=True)
    credential: Mapped[str] = mapped_column(DIGEST)
    created: Mapped[float] = mapped_column(Float)
    expires: Mapped[float] = mapped_column(Float, index=True)


class LoginAttempt(Base):
    """A failed login (or one whose password is still being checked), kept for as long as
    the login throttle's window looks back. Attempts refused by the throttle are not kept,
    so the table never holds more than the overall limit's rows per window."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float, index=True)

    __table_args__ = (Index(None, "address", "at"),)


class RunTotal(Base):
    """One of a run's totals, kept current by the writers in the same transaction as the change
    it counts (datastore/run_totals.py), so the dashboard reads a run's counts and charts in
    one index range however big the run is: `n` of the run's rows fall under (`kind`, `key`),
    e.g. ("status", "approved") or ("completed_hour", "17")."""

    __tablename__ = "run_totals"

    run_id: Mapped[str] = mapped_column(ID, ForeignKey("runs.run_id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
