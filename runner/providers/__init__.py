"""Crowd providers: where workers come from and where money moves. `local` needs no
marketplace; `mturk` (its own module) speaks to Amazon Mechanical Turk."""
from runner.providers.base import Provider, Refused
from runner.providers.local import LocalProvider

__all__ = ["LocalProvider", "Provider", "Refused", "make_provider"]


def make_provider(name: str, *, is_sandbox: bool = True) -> Provider:
    if name == "local":
        return LocalProvider()
    raise Refused(f"the {name!r} provider is not available in this version of Parley")
