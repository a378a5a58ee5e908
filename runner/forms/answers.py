"""The server's check of a worker's answers to one item: every refusal is a sentence for
the field it is about, shown next to that field on the page."""
from __future__ import annotations

import math
from typing import Any

REQUIRED_TEXT = "This answer is required."
UNKNOWN_TEXT = "This is not a question of this form."
STEP_TOLERANCE = 1e-9


def validate_answers(fields: list[dict[str, Any]], answers: Any, item: dict[str, Any]) -> dict[str, str]:
    """{field name: what is wrong with its answer}; empty when every answer may be stored.
    `fields` are checked fields (runner.forms.fields.check_fields), `item` the item's data."""
    if not isinstance(answers, dict):
        return {"": "The answers must be an object of field names and values."}
    problems = {name: UNKNOWN_TEXT for name in answers if not any(f["name"] == name for f in fields)}
    for field in fields:
        value = answers.get(field["name"])
        if _empty(value):
            if field["required"]:
                problems[field["name"]] = REQUIRED_TEXT
            continue
        if problem := CHECKS[field["type"]](field, value, item):
            problems[field["name"]] = problem
    return problems


def _empty(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _text(field: dict[str, Any], value: Any, item: dict[str, Any]) -> str | None:
    if not isinstance(value, str):
        return "This answer must be text."
    length = len(value.strip())
    if length < field["min_length"]:
        return f"Please write at least {field['min_length']} characters (you wrote {length})."
    if length > field["max_length"]:
        return f"Please write at most {field['max_length']} characters (you wrote {length})."
    return None


def _values(field: dict[str, Any]) -> list[str]:
    return [o["value"] for o in field["options"]]


def _single(field: dict[str, Any], value: Any, item: dict[str, Any]) -> str | None:
    return None if isinstance(value, str) and value in _values(field) else "Please choose one of the options."


def _multiple(field: dict[str, Any], value: Any, item: dict[str, Any]) -> str | None:
    if (not isinstance(value, list) or not all(isinstance(v, str) and v in _values(field) for v in value)
            or len(set(value)) != len(value)):
        return "Please choose among the options, each at most once."
    low, high = field["min_choices"], field["max_choices"]
    if not low <= len(value) <= high:
        return (f"Please choose exactly {low}." if low == high
                else f"Please choose between {low} and {high} options." if low
                else f"Please choose at most {high} options.")
    return None


def _likert(field: dict[str, Any], value: Any, item: dict[str, Any]) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= field["scale"]:
        return None
    return f"Please choose a point of the scale, 1 to {field['scale']}."


def _slider(field: dict[str, Any], value: Any, item: dict[str, Any]) -> str | None:
    low, high, step = field["min"], field["max"], field["step"]
    if (not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value)
            or not low <= value <= high):
        return f"Please choose a number from {low:g} to {high:g}."
    steps = (value - low) / step
    if abs(steps - round(steps)) > STEP_TOLERANCE * max(1.0, abs(steps)):
        return f"Please choose a number from {low:g} in steps of {step:g}."
    return None


def _turn_labels(field: dict[str, Any], value: Any, item: dict[str, Any]) -> str | None:
    turns = item.get(field["dialog_key"])
    count = len(turns) if isinstance(turns, list) else 0
    if not isinstance(value, list) or len(value) != count:
        return f"Please label each of the {count} turns."
    if not all(isinstance(v, str) and v in _values(field) for v in value):
        return "Please label each turn with one of the options."
    return None


CHECKS = {"text": _text, "long_text": _text, "single_choice": _single, "multiple_choice": _multiple,
          "likert": _likert, "slider": _slider, "turn_labels": _turn_labels}
