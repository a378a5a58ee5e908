"""A form task's config checked, and its items loaded: everything wrong with either is a
FormConfigError with one sentence (runner.tasks turns it into a TaskError naming the task)."""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.forms.answers import validate_answers
from runner.forms.fields import FieldError, check_fields
from runner.forms.policy import (
    POLICY_KEYS,
    Comparison,
    GoldPolicy,
    PolicyError,
    comparison,
    gold_policy,
)
from runner.forms.render import ItemRenderer, RenderError

FORM_KEYS = ("fields", "items", "items_per_assignment", "annotations_per_item", "gold_rate", "template",
             *POLICY_KEYS)
MAX_ITEM_ID_CHARS = 64


class FormConfigError(ValueError):
    """A form task's config or items Parley cannot use; the message says what."""


@dataclass(frozen=True)
class FormTask:
    fields: list[dict[str, Any]]
    items: list[dict[str, Any]]
    """{"item_id", "data", "gold"} in the order given (gold None for an ordinary item)."""
    items_per_assignment: int
    annotations_per_item: int
    gold_rate: float
    renderer: ItemRenderer
    gold: GoldPolicy
    comparison: Comparison | None

    @property
    def ordinary_items(self) -> int:
        return sum(item["gold"] is None for item in self.items)

    @property
    def golds_per_assignment(self) -> int:
        """How many of an assignment's items the store makes golds (as claim_form_items does)."""
        if not self.gold_rate or all(item["gold"] is None for item in self.items):
            return 0
        return max(1, round(self.items_per_assignment * self.gold_rate))

    def conversations_needed(self) -> int:
        """Assignments that answer every ordinary item N times, when each takes its K items."""
        per_assignment = max(1, self.items_per_assignment - self.golds_per_assignment)
        return math.ceil(self.ordinary_items * self.annotations_per_item / per_assignment)

    def render(self, item_id: str, data: dict[str, Any], assignment_id: str = "") -> str:
        """The item's HTML for the page of `assignment_id` (with a comparison, the template's
        `sides` are in the order drawn for that assignment)."""
        sides = self.comparison.positions(assignment_id, item_id) if self.comparison else None
        return self.renderer.render(item_id, data, sides=sides)

    def page_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """What the page gets of an item's data beside its HTML: the turns its per-turn labels
        are for, and nothing else (a compared item's data names its models, which the page
        must never see)."""
        keys = {field["dialog_key"] for field in self.fields if field["type"] == "turn_labels"}
        return {key: data[key] for key in keys if key in data}

    def as_run_config(self) -> dict[str, Any]:
        """What the store keeps of the form with its run, for readers that never load the task
        (the run page's agreement, gold and win-rate tables)."""
        return {"fields": self.fields, "items_per_assignment": self.items_per_assignment,
                "annotations_per_item": self.annotations_per_item, "gold_rate": self.gold_rate,
                "gold_min_answers": self.gold.min_answers, "gold_min_accuracy": self.gold.min_accuracy,
                "comparison": self.comparison.as_config() if self.comparison else None}


def check_form_config(config: dict[str, Any], task_dir: Path) -> FormTask:
    try:
        fields = check_fields(config.get("fields"))
    except FieldError as exc:
        raise FormConfigError(str(exc)) from None
    per_assignment = _at_least_one(config, "items_per_assignment")
    per_item = _at_least_one(config, "annotations_per_item")
    gold_rate = config.get("gold_rate", 0)
    if not isinstance(gold_rate, int | float) or isinstance(gold_rate, bool) or not 0 <= gold_rate <= 1:
        raise FormConfigError("gold_rate must be a fraction from 0 to 1")
    template = config.get("template")
    if template is not None and (not isinstance(template, str) or not _inside(task_dir, template)):
        raise FormConfigError("template must name a file in the task folder")
    try:
        renderer = ItemRenderer(task_dir, template)
    except RenderError as exc:
        raise FormConfigError(str(exc)) from None
    items = load_items(config.get("items"), task_dir, fields)
    has_golds = bool(gold_rate) and any(item["gold"] is not None for item in items)
    try:
        gold, compared = gold_policy(config, has_golds), comparison(config, fields, items)
    except PolicyError as exc:
        raise FormConfigError(str(exc)) from None
    form = FormTask(fields, items, per_assignment, per_item, float(gold_rate), renderer, gold, compared)
    for item in items:  # a template that fails on some item fails now, not mid-run
        try:
            form.render(item["item_id"], item["data"])
        except RenderError as exc:
            raise FormConfigError(str(exc)) from None
    return form


def _at_least_one(config: dict[str, Any], key: str) -> int:
    value = config.get(key, 1)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise FormConfigError(f"{key} must be a whole number, 1 or more")
    return value


def _inside(task_dir: Path, name: str) -> bool:
    path = (task_dir / name).resolve()
    return path.is_file() and path.is_relative_to(task_dir.resolve())


def load_items(source: Any, task_dir: Path, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items of `source` (a JSONL path relative to the task folder, an iterable of item
    dicts, or a callable answering one), checked and numbered."""
    if source is None:
        raise FormConfigError("items must name a JSONL file in the task folder, or be a list or a "
                              "function of item dicts")
    if isinstance(source, str):
        raw = list(_read_jsonl(task_dir, source))
    else:
        if callable(source):
            try:
                source = source()
            except Exception as exc:
                raise FormConfigError(f"the items function failed: {type(exc).__name__}: {exc}") from None
        if not isinstance(source, Iterable) or isinstance(source, str | bytes | dict):
            raise FormConfigError("items must name a JSONL file, or be a list or a function of item dicts")
        raw = [(n, item) for n, item in enumerate(source, 1)]
    if not raw:
        raise FormConfigError("items holds no item")
    items = [_check_item(number, item, fields) for number, item in raw]
    seen: set[str] = set()
    for item in items:
        if item["item_id"] in seen:
            raise FormConfigError(f"the item id {item['item_id']!r} is used twice")
        seen.add(item["item_id"])
    if all(item["gold"] is not None for item in items):
        raise FormConfigError("every item is a gold item: a run needs items whose answers are not known")
    return items


def _read_jsonl(task_dir: Path, name: str) -> Iterable[tuple[int, Any]]:
    if not _inside(task_dir, name):
        raise FormConfigError(f"items: there is no file {name} in the task folder")
    with open(task_dir / name, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except ValueError:
                raise FormConfigError(f"{name} line {number} is not JSON") from None


def _check_item(number: int, item: Any, fields: list[dict[str, Any]]) -> dict[str, Any]:
    where = f"item {number}"
    if not isinstance(item, dict) or set(item) - {"id", "data", "gold"}:
        raise FormConfigError(f"{where} must be an object with data, and optionally id and gold")
    item_id = item.get("id", f"item-{number}")
    if not isinstance(item_id, str) or not item_id.strip() or len(item_id) > MAX_ITEM_ID_CHARS:
        raise FormConfigError(f"{where}: the id must be text of 1 to {MAX_ITEM_ID_CHARS} characters")
    data, gold = item.get("data"), item.get("gold")
    if not isinstance(data, dict):
        raise FormConfigError(f"item {item_id!r}: data must be an object")
    for field in fields:
        if field["type"] == "turn_labels" and not isinstance(data.get(field["dialog_key"]), list):
            raise FormConfigError(f"item {item_id!r}: the field {field['name']!r} labels the turns of "
                                  f"data[{field['dialog_key']!r}], which must be a list")
    if gold is not None:
        if not isinstance(gold, dict) or not gold:
            raise FormConfigError(f"item {item_id!r}: gold must map field names to known answers")
        if unknown := [name for name in gold if not any(f["name"] == name for f in fields)]:
            raise FormConfigError(f"item {item_id!r}: gold names {', '.join(unknown)}, not a field of the form")
        known = [f for f in fields if f["name"] in gold]
        if problems := validate_answers(known, gold, data):
            name, problem = next(iter(problems.items()))
            raise FormConfigError(f"item {item_id!r}: the gold answer of {name!r} is not one a worker "
                                  f"could give ({problem})")
    return {"item_id": item_id, "data": data, "gold": gold}
