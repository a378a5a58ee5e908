"""The `local` provider: no marketplace; each HIT is a link a person opens."""
from __future__ import annotations

from crowd.base import Provider, ProviderEntry


def _load() -> type[Provider]:
    from crowd.local.provider import LocalProvider

    return LocalProvider


ENTRY = ProviderEntry(name="local", label="the local provider (no marketplace)", load=_load)
