"""The `mturk` provider: Amazon Mechanical Turk through boto3 (sandbox unless `--live`).

This module stays light: boto3 is imported only when a run or command uses MTurk.
"""
from __future__ import annotations

import argparse
from typing import Any

from crowd.base import COMMON_IDS, CommandHandler, Launch, Provider, ProviderEntry


def _load() -> type[Provider]:
    from crowd.mturk.provider import MTurkProvider

    return MTurkProvider


def from_args(launch: Launch) -> Provider:
    from crowd.mturk.cli import mturk_provider

    return mturk_provider(launch)


def add_commands(commands: Any) -> dict[str, CommandHandler]:
    hits = commands.add_parser("hits", help="list, expire or delete a run's MTurk HITs")
    hits.add_argument("action", choices=("list", "expire", "delete"))
    which = hits.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", metavar="RUN_ID")
    which.add_argument("--all", action="store_true", help="every MTurk run (sandbox, or live with --live)")
    hits.add_argument("--live", action="store_true", help="the live marketplace's runs (default: sandbox)")
    hits.add_argument("--db", metavar="URL")

    def hits_command(args: argparse.Namespace) -> int:
        from crowd.mturk.cli import hits_command

        return hits_command(args)

    return {"hits": hits_command}


ENTRY = ProviderEntry(
    name="mturk", label="Amazon Mechanical Turk", load=_load, has_sandbox=True,
    ids=COMMON_IDS,
    from_args=from_args, add_commands=add_commands, marketplace_flags=True,
)
