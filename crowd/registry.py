"""Every crowd provider Parley has, by name: the one place that lists them.

A provider is a package under `crowd/` whose `__init__` defines `ENTRY`, a
`crowd.base.ProviderEntry` (its class, flags, commands, what its ids mean and how its
worker's page submits). Adding one is that package plus one line in `PACKAGES`; nothing
else in Parley names a provider.
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache

from crowd.base import COMMON_IDS, Launch, Provider, ProviderEntry, Refused
from datastore import MTurkDataHandler
from datastore.records import Record

PACKAGES = {
    "local": "crowd.local",
    "mturk": "crowd.mturk",
    "prolific": "crowd.prolific",
}
DEFAULT = "local"
TESTING = "local"
"""The provider the dashboard tries tasks with: no marketplace, no money."""


def names() -> list[str]:
    return list(PACKAGES)


@cache
def entry(name: str) -> ProviderEntry:
    """The registered entry of the provider called `name`."""
    if name not in PACKAGES:
        raise Refused(f"there is no {name!r} provider (there are: {', '.join(PACKAGES)})")
    found: ProviderEntry = importlib.import_module(PACKAGES[name]).ENTRY
    return found


def marketplace_ids(name: str) -> Mapping[str, str]:
    """What the provider's marketplace calls the store's hit, assignment and worker ids (the
    common words for a provider this Parley does not have, e.g. of a store's older run)."""
    try:
        return entry(name).ids
    except Refused:
        return COMMON_IDS


def entries() -> list[ProviderEntry]:
    return [entry(name) for name in PACKAGES]


def provider_class(name: str) -> type[Provider]:
    """The class of the provider called `name`, for what it says of itself without being made."""
    return entry(name).load()


def rejection_rules(name: str) -> tuple[str, tuple[str, ...], int]:
    """The provider called `name` for people (its label), the rejection categories it files
    rejections under (empty: none) and the shortest rejection message it takes; for a
    provider this Parley does not have, its name and none of either."""
    if name not in PACKAGES:
        return name, (), 0
    kind = provider_class(name)
    return entry(name).label, kind.rejection_categories, kind.min_rejection_chars


def testing_provider() -> Provider:
    """A new provider for a test run of a task (the dashboard's task testing)."""
    return provider_class(TESTING)()


def provider_for_launch(name: str, launch: Launch) -> Provider:
    """The provider of a new run, made from the run's flags by the provider's own rules."""
    found = entry(name)
    if found.from_args is None:
        return found.load()()
    return found.from_args(launch)


def provider_for_run(handler: MTurkDataHandler, run: Record) -> Provider:
    """A provider of an existing run's kind, bound to it (a `get_run_data` row): for review
    calls and cleanup, which need no launch settings."""
    provider = provider_class(run["provider"]).for_review(is_sandbox=bool(run["is_sandbox"]))
    provider.bind(handler, run["run_id"], "")
    return provider


def provider_for_worker(handler: MTurkDataHandler, name: str, *, is_sandbox: bool) -> Provider:
    """A provider called `name` for actions on a worker that no run is for (a compensation,
    a message): review calls only, bound to no run."""
    provider = provider_class(name).for_review(is_sandbox=is_sandbox)
    provider.bind(handler, "", "")
    return provider
