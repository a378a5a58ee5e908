"""Crowd providers: where workers come from and where money moves. `local` needs no
marketplace; `mturk` speaks to Amazon Mechanical Turk through boto3."""
from __future__ import annotations

from typing import Any

from datastore import MTurkDataHandler
from datastore.records import Record
from runner.providers.base import Provider, Refused
from runner.providers.local import LocalProvider

__all__ = ["LocalProvider", "Provider", "Refused", "make_provider", "provider_class", "provider_for_run"]


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


def provider_for_run(handler: MTurkDataHandler, run: Record) -> Provider:
    """A provider of an existing run's kind, bound to it (a `get_run_data` row): for review
    calls and cleanup, which need no launch settings."""
    provider = make_provider(run["provider"], is_sandbox=bool(run["is_sandbox"]))
    provider.bind(handler, run["run_id"], "")
    return provider
