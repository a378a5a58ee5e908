"""make lint's static checks catch what they are there for: a call with a wrong argument
type (mypy, configured in pyproject.toml) and an import against the layers (import-linter,
.importlinter). Each is run on a small bad change, in a copy, never on the real tree."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_mypy_refuses_a_call_with_a_wrong_argument_type(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from crowd.registry import provider_class\n\n\ndef f() -> None:\n    provider_class(3)\n")
    done = subprocess.run([BIN / "mypy", bad], cwd=ROOT, capture_output=True, text=True,
                          env={"MYPYPATH": str(ROOT), "PATH": str(BIN)})
    assert done.returncode == 1
    assert 'Argument 1 to "provider_class" has incompatible type "int"; expected "str"' in done.stdout


def test_the_tree_passes_mypy():
    done = subprocess.run([BIN / "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def _lint_imports_with(tmp_path: Path, module: str, source: str) -> subprocess.CompletedProcess[str]:
    copy = tmp_path / "tree"
    for name in ("datastore", "crowd", "runner", "webapp"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    (copy / module).write_text(source)
    return subprocess.run([BIN / "lint-imports"], cwd=copy, capture_output=True, text=True,
                          env={"PYTHONPATH": str(copy), "PATH": str(BIN)})


def test_import_linter_refuses_the_store_importing_the_crowd_layer(tmp_path):
    done = _lint_imports_with(tmp_path, "datastore/upward.py", "import crowd.registry\n")
    assert done.returncode == 1
    assert "BROKEN" in done.stdout and "datastore.upward -> crowd.registry" in done.stdout


def test_import_linter_refuses_one_provider_importing_another(tmp_path):
    done = _lint_imports_with(tmp_path, "crowd/local/sideways.py", "import crowd.mturk\n")
    assert done.returncode == 1
    assert "Providers are independent of each other BROKEN" in done.stdout


def test_import_linter_refuses_a_circle(tmp_path):
    done = _lint_imports_with(tmp_path, "crowd/mturk/circle.py", "import crowd.mturk.provider\n")
    source = (ROOT / "crowd/mturk/reconcile.py").read_text()
    (tmp_path / "tree/crowd/mturk/reconcile.py").write_text(source + "\nfrom crowd.mturk import circle\n")
    done = subprocess.run([BIN / "lint-imports"], cwd=tmp_path / "tree", capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path / "tree"), "PATH": str(BIN)})
    assert done.returncode == 1
    assert "No import circle anywhere BROKEN" in done.stdout


def test_the_tree_keeps_every_import_contract():
    done = subprocess.run([BIN / "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
