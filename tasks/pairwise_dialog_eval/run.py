"""Launch this task: `python run.py [flags]` (the flags are those of `python -m runner run`)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, for `runner`
from runner.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["run", str(Path(__file__).parent), *sys.argv[1:]]))
