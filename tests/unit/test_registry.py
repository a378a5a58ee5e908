"""A provider is one package plus one line in crowd/registry.py: the CLI, launches, the
chat page and the dashboard take it from there (CONTRIBUTING.md, "Adding a provider")."""
from __future__ import annotations

import argparse

import pytest

from crowd import registry
from crowd.base import Launch, Refused
from runner import cli
from tests.support.example_provider import ExampleProvider
from webapp import formatting


@pytest.fixture
def with_example(monkeypatch):
    monkeypatch.setitem(registry.PACKAGES, "example", "tests.support.example_provider")
    registry.entry.cache_clear()
    yield
    registry.entry.cache_clear()


def test_a_registered_package_is_offered_by_the_cli_with_its_own_flags_and_commands(with_example, capsys):
    parser, commands = cli.build_parser()
    args = parser.parse_args(["run", "qa_data_collection", "--provider", "example", "--example-pool", "experts"])
    assert (args.provider, args.example_pool) == ("example", "experts")
    assert cli.main(["example-balance"]) == 0
    assert capsys.readouterr().out == "balance: $0.00\n"
    assert set(commands) >= {"example-balance", "hits"}


def test_a_launch_makes_the_provider_by_its_own_rules(with_example):
    args = argparse.Namespace(example_pool="experts")
    provider = registry.provider_for_launch("example", Launch(args, None, None, None))  # type: ignore[arg-type]
    assert isinstance(provider, ExampleProvider) and provider.pool == "experts"


def test_the_dashboard_names_its_runs_as_the_entry_says(with_example):
    assert "example" in registry.names()
    assert formatting.where("example", True) == "example · sandbox"
    assert formatting.where("local", False) == "local"
    assert formatting.where("gone", False) == "gone"  # a provider this Parley no longer has


def test_a_provider_without_a_package_is_refused_with_the_list_of_those_there_are():
    with pytest.raises(Refused, match=r"there is no 'crowdflower' provider \(there are: local, mturk, prolific\)"):
        registry.entry("crowdflower")
    assert cli.main(["run", "qa_data_collection", "--provider", "crowdflower"]) == 2


def test_without_the_registry_line_the_package_is_not_a_provider():
    assert "example" not in registry.names()
    with pytest.raises(Refused):
        registry.entry("example")
