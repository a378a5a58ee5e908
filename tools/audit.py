"""`make audit`: check the locked dependencies (requirements*.lock) for known vulnerabilities
with pip-audit, and say plainly what could and could not be checked.

pip-audit asks a vulnerability database on the internet (PyPI's JSON API by default). Where
that cannot be reached, pip-audit either fails or skips every package and still reports "no
known vulnerabilities"; this script turns both into one sentence saying nothing was checked,
and exits 0, so an offline machine is not mistaken for a clean audit or for a failure.
Exit codes: 0 nothing known (or nothing could be checked, said so), 1 vulnerabilities found.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

LOCKS = ("requirements.lock", "requirements-dev.lock")
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Findings:
    checked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    vulnerable: list[str] = field(default_factory=list)
    """One line per vulnerability: package, version, id, the versions that fix it."""


def findings(report: dict) -> Findings:
    """What a pip-audit JSON report says, package by package."""
    found = Findings()
    for dependency in report.get("dependencies", []):
        name = f"{dependency['name']} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            found.skipped.append(name)
            continue
        found.checked.append(name)
        for vuln in dependency.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            found.vulnerable.append(f"{name}: {vuln['id']} (fixed in {fixes})")
    return found


def verdict(lock: str, found: Findings) -> tuple[int, str]:
    """The exit code and the sentence for one lock file."""
    if found.vulnerable:
        return 1, f"{lock}: known vulnerabilities:\n  " + "\n  ".join(found.vulnerable)
    if not found.checked:
        return 0, (f"{lock}: NOT CHECKED: the vulnerability database could not be reached from here "
                   f"(all {len(found.skipped)} packages skipped). Run `make audit` on a machine that "
                   "reaches pypi.org's JSON API.")
    if found.skipped:
        return 0, (f"{lock}: no known vulnerabilities in {len(found.checked)} packages; "
                   f"{len(found.skipped)} could not be checked: {', '.join(found.skipped)}")
    return 0, f"{lock}: no known vulnerabilities in {len(found.checked)} packages"


def audit(lock: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--requirement", str(REPO / lock), "--require-hashes",
         "--disable-pip", "--format", "json", "--progress-spinner", "off"],
        capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return 0, (f"{lock}: NOT CHECKED: pip-audit could not reach its vulnerability database ({last}). "
                   "Run `make audit` on a machine that reaches pypi.org's JSON API.")
    return verdict(lock, findings(report))


def main() -> int:
    worst = 0
    for lock in LOCKS:
        code, sentence = audit(lock)
        print(sentence, flush=True)
        worst = max(worst, code)
    return worst


if __name__ == "__main__":
    sys.exit(main())
