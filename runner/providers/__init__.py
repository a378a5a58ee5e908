"""Crowd providers: where workers come from and where money moves. `local` needs no
marketplace; `mturk` speaks to Amazon Mechanical Turk through boto3."""
from __future__ import annotations

from typing import Any

from runner.providers.base import Provider, Refused
from runner.providers.local import LocalProvider

__all__ = ["LocalProvider", "Provider", "Refused", "make_provider", "provider_class"]


def provider_class(name: str) -> type[Provider]:
    """The class of the provider called `name`, for what it says of itself without being made."""
    if name == "local":
        return LocalProvider
    if name == "mturk":
        from runner.providers.mturk import MTurkProvider  # boto3 is loaded only when used

        return MTurkProvider
    raise Refused(f"there is no {name!r} provider (there are: local, mturk)")


def make_provider(name: str, *, is_sandbox: bool = True, **options: Any) -> Provider:
    """A provider by name; `options` go to its constructor (the MTurk HIT settings)."""
    cls = provider_class(name)
    if cls is LocalProvider:  # no marketplace, so no sandbox and no settings
        return LocalProvider()
    return cls(is_sandbox=is_sandbox, **options)
