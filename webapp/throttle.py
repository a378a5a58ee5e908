"""The login throttle: at most LOGIN_LIMIT_PER_ADDRESS failed logins from one client address
and LOGIN_LIMIT_OVERALL from all addresses together within LOGIN_WINDOW_SECONDS. Past either
limit every login is refused with 429, the right password too, until the window moves on.

The counts are rows in the store (`login_attempts`), not in the process or in Redis: every
gunicorn process on the store shares them, a restart does not reset them, and Parley needs
nothing but its database. An attempt is counted before its password is checked, so guesses
sent in parallel count as fast as they arrive; a right password takes its count back."""
from __future__ import annotations

import ipaddress
import math

from flask import current_app, request

from datastore.reviewer_access import Lockout, LockoutScope, LoginLimits
from webapp.services import services

UNKNOWN_ADDRESS = "unknown"
REFUSALS = {
    LockoutScope.ADDRESS: "Too many failed logins from your address. Try again in {wait}.",
    LockoutScope.OVERALL: "Too many failed logins to this dashboard; logins are paused for everyone. "
                          "Try again in {wait}.",
}


class LoginLocked(Exception):
    """Logins from this client are refused for now; the message says for how long."""

    def __init__(self, lockout: Lockout, now: float) -> None:
        self.retry_after = max(1, math.ceil(lockout.until - now))
        """Seconds until the lockout ends (the Retry-After header)."""
        super().__init__(REFUSALS[lockout.scope].format(wait=_duration(self.retry_after)))


def client_address() -> str:
    """Whom the per-address limit counts: the address the request came from, or, behind
    PARLEY_TRUST_PROXY proxies, the one they forwarded (ProxyFix has put it in remote_addr).
    An IPv6 address counts as its /64 network, which one machine usually has all to itself."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:  # no address at all (a unix socket), or a proxy that sent nonsense
        return UNKNOWN_ADDRESS
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def begin_login_attempt() -> int:
    """Count this request's login attempt; answers its id. Raises LoginLocked (and counts
    nothing) while this client is locked out."""
    config = current_app.config
    limits = LoginLimits(per_address=config["LOGIN_LIMIT_PER_ADDRESS"],
                         overall=config["LOGIN_LIMIT_OVERALL"], window=config["LOGIN_WINDOW_SECONDS"])
    now = config["CLOCK"]()
    counted = services().handler.begin_login_attempt(client_address(), limits, now)
    if isinstance(counted, Lockout):
        raise LoginLocked(counted, now)
    return counted


def forget_login_attempt(attempt_id: int) -> None:
    """The password was right: the attempt counts against no one."""
    services().handler.forget_login_attempt(attempt_id)


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
