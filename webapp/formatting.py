"""How the dashboard writes times, money and durations (templates call these as fmt.*)."""
from __future__ import annotations

import re
import time
from collections.abc import Mapping

from crowd import registry
from crowd.base import Refused
from datastore.money import USD, to_dollars

SYMBOLS = {USD: "$", "GBP": "£", "EUR": "€"}
"""Currencies written with their sign; any other is written with its code ("CAD 1.50")."""


def money(cents: int | None, currency: str = USD) -> str:
    """An amount in `currency` (its minor unit is a hundredth, as in every currency a
    marketplace of ours pays in): "$0.50", "£0.50", "CAD 0.50"."""
    if cents is None:
        return "—"
    amount = to_dollars(int(cents))
    return f"{SYMBOLS[currency]}{amount}" if currency in SYMBOLS else f"{currency} {amount}"


def currency_sign(currency: str) -> str:
    """What an amount of `currency` is written with (an input's placeholder)."""
    return SYMBOLS.get(currency, currency)


def ids(provider: str) -> Mapping[str, str]:
    """What the provider's marketplace calls the store's hit, assignment and worker ids."""
    return registry.marketplace_ids(provider)


def capital(word: str) -> str:
    """`word` with its first letter a capital and the rest left alone ("HIT", "Study")."""
    return word[:1].upper() + word[1:]


def marketplace_status(provider: str, status: str) -> str:
    """The marketplace's own word for a store status of one of its HITs or assignments, or
    "" where it has none (or the store's word is its own)."""
    try:
        words = registry.provider_class(provider).marketplace_statuses
    except Refused:
        return ""
    return words.get(status, "")


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
