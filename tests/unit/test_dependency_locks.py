"""The dependency locks: every requirement pinned in requirements*.txt is locked at the same
version with its hashes (so `make run` and `make test` install exactly what was reviewed), and
`make audit` says which packages it checked, which it could not, and fails on a vulnerability."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.audit import findings, verdict

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\[\],-]+)==([^\s\\;]+)", re.M)


def pins(path: Path) -> dict[str, str]:
    return {re.sub(r"\[.*\]", "", name).lower().replace("_", "-"): version
            for name, version in PIN.findall(path.read_text())}


@pytest.mark.parametrize(("wanted", "lock"), [("requirements.txt", "requirements.lock"),
                                              ("requirements-dev.txt", "requirements-dev.lock")])
def test_every_requirement_is_locked_at_its_pinned_version(wanted, lock):
    required, locked = pins(REPO / wanted), pins(REPO / lock)
    if wanted == "requirements-dev.txt":
        required |= pins(REPO / "requirements.txt")
    assert {name: locked.get(name) for name in required} == required, f"run `make lock` after changing {wanted}"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_carries_its_hashes(lock):
    entries = re.split(r"\n(?=[A-Za-z0-9])", (REPO / lock).read_text())
    packages = [e for e in entries if PIN.match(e)]
    assert len(packages) == len(pins(REPO / lock)) > 20
    assert all("--hash=sha256:" in entry for entry in packages)


def test_an_audit_that_found_a_vulnerability_fails_and_names_it():
    report = {"dependencies": [
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "werkzeug", "version": "3.0.0", "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.0.6"]}]},
    ]}
    code, sentence = verdict("requirements.lock", findings(report))
    assert code == 1 and "werkzeug 3.0.0: GHSA-xxxx (fixed in 3.0.6)" in sentence


def test_an_audit_that_could_check_nothing_says_so_instead_of_reporting_clean():
    report = {"dependencies": [{"name": "flask", "skip_reason": "Dependency not found on PyPI"},
                               {"name": "alembic", "skip_reason": "Dependency not found on PyPI"}]}
    code, sentence = verdict("requirements.lock", findings(report))
    assert code == 0 and sentence.startswith("requirements.lock: NOT CHECKED") and "all 2 packages" in sentence


def test_an_audit_that_checked_some_packages_names_the_ones_it_could_not():
    report = {"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []},
                               {"name": "private-pkg", "skip_reason": "not on PyPI"}]}
    code, sentence = verdict("requirements.lock", findings(report))
    assert code == 0 and "no known vulnerabilities in 1 packages; 1 could not be checked: private-pkg" in sentence
