"""A provider package as a new marketplace would add one (CONTRIBUTING.md, "Adding a
provider"): its `ENTRY`, its flags and a command. Its class is the local provider's with
another name, which is all the tests of the registry need."""
from __future__ import annotations

import argparse
from typing import Any

from crowd.base import CommandHandler, Launch, Provider, ProviderEntry
from crowd.local.provider import LocalProvider


class ExampleProvider(LocalProvider):
    name = "example"

    def __init__(self, pool: str = "everyone") -> None:
        super().__init__()
        self.pool = pool


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("--example-pool", default="everyone", help="which workers the example marketplace asks")


def from_args(launch: Launch) -> Provider:
    return ExampleProvider(pool=launch.args.example_pool)


def add_commands(commands: Any) -> dict[str, CommandHandler]:
    commands.add_parser("example-balance", help="the example marketplace's balance")
    return {"example-balance": lambda args: print("balance: $0.00") or 0}


ENTRY = ProviderEntry(name="example", label="an example marketplace", load=lambda: ExampleProvider,
                      has_sandbox=True, ids={"hit": "slot", "assignment": "submission", "worker": "participant"},
                      add_run_arguments=add_run_arguments, from_args=from_args, add_commands=add_commands)
