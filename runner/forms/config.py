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
             "onboarding", *POLICY_KEYS)
ONBOARDING_KEYS = ("items", "min_accuracy")
MAX_ITEM_ID_CHARS = 64


class FormConfigError(ValueError):
    """A form task's config or items Parley cannot use; the message says what."""


@dataclass(frozen=True)
class Onboarding:
    """A gold test each worker passes before their items: `items` are gold items (with their
    known answers, which never leave the runner), passed when right / total >= min_accuracy."""
    items: list[dict[str, Any]]
    min_accuracy: float

    def passes(self, right: int) -> bool:
        return right / len(self.items) >= self.min_accuracy


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
    onboarding: Onboarding | None = None
    """The gold test before a worker's items, when the task has one."""

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

    def text_fields(self) -> list[str]:
        """The names of the free-text fields (text and long text), whose composition is kept."""
        return [field["name"] for field in self.fields if field["type"] in ("text", "long_text")]

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
    if all(item["gold"] is not None for item in items):
        raise FormConfigError("every item is a gold item: a run needs items whose answers are not known")
    onboarding = check_onboarding(config.get("onboarding"), task_dir, fields, items)
    has_golds = bool(gold_rate) and any(item["gold"] is not None for item in items)
    shown = [*items, *(onboarding.items if onboarding else [])]
    try:
        gold, compared = gold_policy(config, has_golds), comparison(config, fields, shown)
    except PolicyError as exc:
        raise FormConfigError(str(exc)) from None
    form = FormTask(fields, items, per_assignment, per_item, float(gold_rate), renderer, gold, compared, onboarding)
    for item in shown:  # a template that fails on some item fails now, not mid-run
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


def check_onboarding(declared: Any, task_dir: Path, fields: list[dict[str, Any]],
                     items: list[dict[str, Any]]) -> Onboarding | None:
    """The task's onboarding gold test (None when it has none): its items load as the task's
    do, each with a gold, none with the id of a task item (a page and the results name
    items by id)."""
    if declared is None:
        return None
    if not isinstance(declared, dict) or "items" not in declared or set(declared) - set(ONBOARDING_KEYS):
        raise FormConfigError('onboarding must be {"items": gold items, "min_accuracy": a fraction (optional)}')
    tests = load_items(declared["items"], task_dir, fields, key="onboarding items")
    if ungraded := [item["item_id"] for item in tests if item["gold"] is None]:
        raise FormConfigError(f"onboarding item {ungraded[0]!r} has no gold: every onboarding item needs "
                              "known answers to score the worker by")
    task_ids = {item["item_id"] for item in items}
    if shared := [item["item_id"] for item in tests if item["item_id"] in task_ids]:
        raise FormConfigError(f"onboarding item {shared[0]!r} has the id of a task item; give it another")
    min_accuracy = declared.get("min_accuracy", 1.0)
    if not isinstance(min_accuracy, int | float) or isinstance(min_accuracy, bool) or not 0 < min_accuracy <= 1:
        raise FormConfigError("onboarding: min_accuracy must be a fraction above 0 and at most 1")
    return Onboarding(tests, float(min_accuracy))


def load_items(source: Any, task_dir: Path, fields: list[dict[str, Any]], key: str = "items") -> list[dict[str, Any]]:
    """The items of `source` (a JSONL path relative to the task folder, an iterable of item
    dicts, or a callable answering one), checked and numbered; `key` names them in refusals."""
    if source is None:
        raise FormConfigError(f"{key} must name a JSONL file in the task folder, or be a list or a "
                              "function of item dicts")
    if isinstance(source, str):
        raw = list(_read_jsonl(task_dir, source, key))
    else:
        if callable(source):
            try:
                source = source()
            except Exception as exc:
                raise FormConfigError(f"the {key} function failed: {type(exc).__name__}: {exc}") from None
        if not isinstance(source, Iterable) or isinstance(source, str | bytes | dict):
            raise FormConfigError(f"{key} must name a JSONL file, or be a list or a function of item dicts")
        raw = [(n, item) for n, item in enumerate(source, 1)]
    if not raw:
        raise FormConfigError(f"{key} holds no item")
    what = key.removesuffix("s")
    items = [_check_item(number, item, fields, what) for number, item in raw]
    seen: set[str] = set()
    for item in items:
        if item["item_id"] in seen:
            raise FormConfigError(f"the {what} id {item['item_id']!r} is used twice")
        seen.add(item["item_id"])
    return items


def _read_jsonl(task_dir: Path, name: str, key: str) -> Iterable[tuple[int, Any]]:
    if not _inside(task_dir, name):
        raise FormConfigError(f"{key}: there is no file {name} in the task folder")
    with open(task_dir / name, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except ValueError:
                raise FormConfigError(f"{name} line {number} is not JSON") from None


def _check_item(number: int, item: Any, fields: list[dict[str, Any]], what: str) -> dict[str, Any]:
    """One item checked; `what` ("item", "onboarding item") names it in refusals."""
    where = f"{what} {number}"
    if not isinstance(item, dict) or set(item) - {"id", "data", "gold"}:
        raise FormConfigError(f"{where} must be an object with data, and optionally id and gold")
    item_id = item.get("id", f"item-{number}")
    if not isinstance(item_id, str) or not item_id.strip() or len(item_id) > MAX_ITEM_ID_CHARS:
        raise FormConfigError(f"{where}: the id must be text of 1 to {MAX_ITEM_ID_CHARS} characters")
    data, gold = item.get("data"), item.get("gold")
    if not isinstance(data, dict):
        raise FormConfigError(f"{what} {item_id!r}: data must be an object")
    for field in fields:
        if field["type"] == "turn_labels" and not isinstance(data.get(field["dialog_key"]), list):
            raise FormConfigError(f"{what} {item_id!r}: the field {field['name']!r} labels the turns of "
                                  f"data[{field['dialog_key']!r}], which must be a list")
    if gold is not None:
        if not isinstance(gold, dict) or not gold:
            raise FormConfigError(f"{what} {item_id!r}: gold must map field names to known answers")
        if unknown := [name for name in gold if not any(f["name"] == name for f in fields)]:
            raise FormConfigError(f"{what} {item_id!r}: gold names {', '.join(unknown)}, not a field of the form")
        known = [f for f in fields if f["name"] in gold]
        if problems := validate_answers(known, gold, data):
            name, problem = next(iter(problems.items()))
            raise FormConfigError(f"{what} {item_id!r}: the gold answer of {name!r} is not one a worker "
                                  f"could give ({problem})")
    return {"item_id": item_id, "data": data, "gold": gold}
