"""A copy of the dialog_rating example task with some of its config changed, for tests that
need a run small enough to finish (every item answered N times) with a few workers."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from runner.tasks import TASKS_DIR

DIALOG_RATING = TASKS_DIR / "dialog_rating"

GOOD_ANSWERS: dict[str, Any] = {
    "overall": 4, "on_topic": "yes", "problems": ["unclear"], "engaging": 6,
    "summary": "The assistant answered the question well.", "comments": ""}


def dialog_rating_copy(directory: Path, *, item_ids: list[str] | None = None, **config: Any) -> Path:
    """dialog_rating copied into `directory`, keeping only `item_ids` (in that order) when
    given, with `config`'s keys replacing the task config's."""
    folder = directory / "dialog_rating"
    shutil.copytree(DIALOG_RATING, folder)
    if item_ids is not None:
        lines = {json.loads(line)["id"]: line for line in
                 (folder / "items.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()}
        (folder / "items.jsonl").write_text("".join(lines[i] + "\n" for i in item_ids), encoding="utf-8")
    with open(folder / "task_config.py", "a", encoding="utf-8") as source:
        source.write(f"\ntask_config.update({config!r})\n")
    return folder


def good_answers(item: dict[str, Any]) -> dict[str, Any]:
    """Answers every field accepts for a form frame's item (each turn labelled good)."""
    return {**GOOD_ANSWERS, "turns": ["good"] * len(item["data"]["dialog"])}
