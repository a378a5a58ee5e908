"""What the review pages show of a form assignment: each item it was handed, as its worker
saw it, with the worker's answers by field, and for a gold item whether it was answered
right and what the right answers are.

An item is shown with the task's own template (runner.forms: sandboxed, autoescaped) when
this process can load the task from the folder the run's config names (`task_dir`); when it
cannot (the folder is gone, or on another machine), the page shows the item's data as data,
escaped like everything else, and labels the answers by their field names."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from datastore import MTurkDataHandler
from datastore.forms import same_json
from datastore.records import Record
from runner.forms import FormTask
from runner.forms.render import RenderError
from runner.tasks import TaskError, load_task
from webapp.authenticity import badges

LOADED_TASKS = 16
"""Form tasks kept loaded (their fields and template), so a reviewer walking a run does not
load its task, items and all, on every page."""

Shown = str | list[str] | None
"""An answer as the page shows it: text, a list of texts (choices, turn labels), or nothing."""


def form_of_assignment(handler: MTurkDataHandler, run: Record, assignment_id: str) -> dict[str, Any] | None:
    """{"fields": the form's fields, "items": the assignment's items, each with its answers}
    for an assignment of a form run; None for any other."""
    rows = handler.get_assignment_form_items(assignment_id)
    if not rows:
        return None
    form = task_form(run)
    fields = form.fields if form is not None else _fields_named_in(rows)
    return {"fields": fields, "items": [_item(row, fields, form) for row in rows]}


def task_form(run: Record) -> FormTask | None:
    """The run's form task as loaded from its folder now, or None when it cannot be."""
    task_dir = (run["config"] or {}).get("task_dir")
    if not isinstance(task_dir, str) or not task_dir:
        return None
    try:
        stamp = _stamp(Path(task_dir))
    except OSError:  # the folder is gone, or is not one
        return None
    return _loaded(task_dir, stamp)


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Each file of the folder with its time and size: a task edited since it was loaded
    (its config, items or template) is loaded again."""
    with os.scandir(folder) as entries:
        return tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries if e.is_file()))


@lru_cache(maxsize=LOADED_TASKS)
def _loaded(task_dir: str, stamp: tuple[tuple[str, int, int], ...]) -> FormTask | None:
    try:
        return load_task(Path(task_dir)).form
    except TaskError:
        return None


def _fields_named_in(rows: list[Record]) -> list[dict[str, Any]]:
    """Without the task: a field for each name the answers use, labelled with it."""
    names = dict.fromkeys(name for row in rows for name in (row["answers"] or {}))
    return [{"name": name, "label": name} for name in names]


def _item(row: Record, fields: list[dict[str, Any]], form: FormTask | None) -> dict[str, Any]:
    answers, gold = row["answers"], row["gold"]
    named = {field["name"] for field in fields}
    extra = [{"name": name, "label": name} for name in (answers or {}) if name not in named]
    return {
        "item_id": row["item_id"], "state": row["state"], "data": row["data"], "is_gold": gold is not None,
        "gold": gold, "answers": answers, "gold_correct": row["gold_correct"], "answered_at": row["answered_at"],
        "html": _html(form, row["item_id"], row["data"]),
        "shown": [{**_shown_field(field, answers, gold), "badges": _answer_badges(field["name"], row)}
                  for field in [*fields, *extra]],
    }


def _answer_badges(name: str, row: Record) -> list[dict[str, Any]]:
    """The badges of one free-text answer, as a chat message's: its flags, or "typed"."""
    signals = (row["signals"] or {}).get(name)
    flags = [flag for flag in row["flags"] or () if flag.get("field") == name]
    return badges({"signals": signals, "flags": flags}, {})


def _html(form: FormTask | None, item_id: str, data: dict[str, Any]) -> str | None:
    if form is None:
        return None
    try:
        return form.render(item_id, data)
    except RenderError:  # a template edited since the run, failing on this item: shown as data
        return None


def _shown_field(field: dict[str, Any], answers: dict[str, Any] | None,
                 gold: dict[str, Any] | None) -> dict[str, Any]:
    name, answers, gold = field["name"], answers or {}, gold or {}
    given, known = name in answers, name in gold
    return {"name": name, "label": field["label"],
            "value": shown_answer(field, answers[name]) if given else None,
            "expected": shown_answer(field, gold[name]) if known else None,
            "right": same_json(answers[name], gold[name]) if known and given else None}


def shown_answer(field: dict[str, Any], value: Any) -> Shown:
    """A value of the field as a person reads it: choices by their option labels, a point of
    a labelled scale with its label; nothing for an empty answer."""
    if value is None or value == "" or value == []:
        return None
    labels = {option["value"]: option["label"] for option in field.get("options", [])}
    if isinstance(value, list):
        return [labels.get(v, _text(v)) if isinstance(v, str) else _text(v) for v in value]
    if isinstance(value, str):
        return labels.get(value, value)
    scale = field.get("labels")
    if field.get("type") == "likert" and isinstance(value, int) and scale and 1 <= value <= len(scale):
        return f"{value} · {scale[value - 1]}"
    return _text(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
