"""Nothing outside a provider's own package (and the registry that lists the packages) names
a provider: the store, the runner, the webapp and the pages ask the registry or the
provider object instead, so a new marketplace is one package plus one registry line."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("datastore", "crowd", "runner", "webapp", "server.py")
SUFFIXES = {".py", ".js", ".html", ".css"}
PROVIDER_DIRS = {p.parent for p in (ROOT / "crowd").glob("*/__init__.py")}
ALLOWED_FILES = {ROOT / "crowd/registry.py"}
NAMES = re.compile(r"mturk|mechanical\s+turk|prolific|\"local\"|'local'", re.IGNORECASE)
ALLOWED = [
    "MTurkDataHandler",  # ParlAI's name for the store's API, kept so its scripts run unchanged
    "mturk_hit_creation_response",  # ParlAI's argument name of log_hit_status
    "'MTurk System'",  # ParlAI's system agent id, which ported worlds still send
    'provider: str = "local",',  # a run logged the ParlAI way, with no provider, is a local one
]


def scanned_files() -> list[Path]:
    files = []
    for name in SCANNED:
        path = ROOT / name
        found = [path] if path.is_file() else [p for p in path.rglob("*") if p.suffix in SUFFIXES]
        files += [p for p in found if "__pycache__" not in p.parts]
    return [p for p in files
            if p not in ALLOWED_FILES and not any(d in p.parents for d in PROVIDER_DIRS)]


def test_no_file_outside_a_providers_package_names_a_provider():
    found = []
    for path in scanned_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for allowed in ALLOWED:
                line = line.replace(allowed, "")
            if NAMES.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_scan_sees_the_files_it_guards():
    files = {p.relative_to(ROOT).as_posix() for p in scanned_files()}
    assert {"datastore/lifecycle.py", "runner/cli.py", "runner/server.py", "runner/static/chat.js",
            "webapp/templates/runs.html", "crowd/review.py", "crowd/base.py", "server.py"} <= files
    assert not any(f.startswith(("crowd/mturk/", "crowd/local/")) for f in files)
