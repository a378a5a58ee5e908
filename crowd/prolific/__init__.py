"""The `prolific` provider: Prolific's studies through its REST API (a draft study unless
`--live`, which publishes it). It takes the flags every marketplace shares
(crowd/options.py: `--sandbox`/`--live`, `--public-url`, `--budget`, `--expire-orphans`)
and has none of its own."""
from __future__ import annotations

from crowd.base import Launch, Provider, ProviderEntry


def _load() -> type[Provider]:
    from crowd.prolific.provider import ProlificProvider

    return ProlificProvider


def from_args(launch: Launch) -> Provider:
    from crowd.prolific.launch import prolific_provider

    return prolific_provider(launch)


ENTRY = ProviderEntry(
    name="prolific", label="Prolific", load=_load, has_sandbox=True,
    ids={"hit": "study", "assignment": "submission", "worker": "participant"},
    from_args=from_args, marketplace_flags=True,
)
