"""How the dashboard writes times, money and durations (templates call these as fmt.*)."""
from __future__ import annotations

import re
import time

from crowd import registry
from crowd.base import Refused
from datastore.money import to_dollars


def money(cents: int | None) -> str:
    return "—" if cents is None else f"${to_dollars(int(cents))}"


def when(epoch: float | None) -> str:
    return "—" if not epoch else time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))


def clock(epoch: float | None) -> str:
    return "" if not epoch else time.strftime("%H:%M:%S", time.gmtime(epoch))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds // 60 % 60:02d}m"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


IMAGE_URL = re.compile(r"^https?://[^\s\"'<>]+\.(png|jpe?g|gif|webp|svg)(\?[^\s\"'<>]*)?$", re.I)


def is_image_url(value: object) -> bool:
    """A string we show as an image: an http(s) URL of an image file, nothing else
    (never javascript: or data: URLs a worker could have typed)."""
    return isinstance(value, str) and bool(IMAGE_URL.match(value))


def where(provider: str, is_sandbox: bool) -> str:
    """Where a run ran: its provider, and sandbox or live where the provider has both."""
    try:
        has_sandbox = registry.entry(provider).has_sandbox
    except Refused:  # a run of a provider this Parley does not have
        has_sandbox = False
    return f"{provider} · {'sandbox' if is_sandbox else 'live'}" if has_sandbox else provider
