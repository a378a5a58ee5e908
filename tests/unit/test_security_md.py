"""SECURITY.md names, for each protection, the test that pins it: every test it names exists
(a renamed or deleted test would leave a protection with no proof)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `tests/x/test_y.py::test_z` names a file and a test; `::test_z` (or `test_y.py::test_z`)
# goes on in the file named last.
REFERENCE = re.compile(r"`((?:tests/[\w/]+/)?(?:test_\w+\.py)?)((?:::test_\w+)?)`")


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def named_tests() -> list[tuple[str, str]]:
    found, current = [], None
    for file_part, test_part in REFERENCE.findall((ROOT / "SECURITY.md").read_text()):
        if file_part:
            matches = [file_part] if file_part.startswith("tests/") else [
                str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob(file_part)]
            assert len(matches) == 1, f"SECURITY.md names {file_part}, which is {len(matches)} files"
            current = matches[0]
        if test_part:
            assert current is not None, f"SECURITY.md names {test_part} before any file"
            found.append((current, test_part[2:]))
    return found


def test_every_test_security_md_names_exists():
    named = named_tests()
    assert len(named) > 40
    missing = [f"{path}::{name}" for path, name in named
               if not (ROOT / path).exists() or name not in functions_in(ROOT / path)]
    assert missing == []
