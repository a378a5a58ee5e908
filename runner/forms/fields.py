"""The field types of a form task and the shape each field dict must have.

`check_fields` answers the fields normalised (options as {"value", "label"}, defaults
filled in), which is what the page, the answer checks and the review page all read."""
from __future__ import annotations

import math
from typing import Any

FIELD_TYPES = ("text", "long_text", "single_choice", "multiple_choice", "likert", "slider", "turn_labels")
COMMON_KEYS = {"name", "type", "label", "help", "required"}
TYPE_KEYS = {
    "text": {"min_length", "max_length"},
    "long_text": {"min_length", "max_length"},
    "single_choice": {"options"},
    "multiple_choice": {"options", "min_choices", "max_choices"},
    "likert": {"scale", "labels"},
    "slider": {"min", "max", "step"},
    "turn_labels": {"options", "dialog_key"},
}
DEFAULT_MAX_LENGTH = {"text": 2000, "long_text": 10000}
LIKERT_SCALES = (5, 7)
DEFAULT_DIALOG_KEY = "dialog"


class FieldError(ValueError):
    """A field dict Parley cannot use; the message is a sentence about that field."""


def check_fields(fields: Any) -> list[dict[str, Any]]:
    if not isinstance(fields, list) or not fields:
        raise FieldError("fields must be a non-empty list of field dicts")
    checked: list[dict[str, Any]] = []
    for index, field in enumerate(fields, 1):
        if not isinstance(field, dict):
            raise FieldError(f"field {index} must be a dict with a name, a type and a label")
        name = field.get("name")
        if not isinstance(name, str) or not name.isidentifier():
            raise FieldError(f"field {index}: the name must be an identifier (letters, digits and _)")
        if any(name == c["name"] for c in checked):
            raise FieldError(f"field {name!r} is named twice")
        try:
            checked.append(_check_field(field))
        except FieldError as exc:
            raise FieldError(f"field {name!r}: {exc}") from None
    return checked


def _check_field(field: dict[str, Any]) -> dict[str, Any]:
    kind = field.get("type")
    if kind not in FIELD_TYPES:
        raise FieldError(f"the type must be one of {', '.join(FIELD_TYPES)}")
    unknown = set(field) - COMMON_KEYS - TYPE_KEYS[kind]
    if unknown:
        raise FieldError(f"a {kind} field takes no {', '.join(sorted(unknown))}")
    label = field.get("label")
    if not isinstance(label, str) or not label.strip():
        raise FieldError("the label must be text shown to the worker")
    if not isinstance(field.get("help", ""), str):
        raise FieldError("help must be text")
    required = field.get("required", True)
    if not isinstance(required, bool):
        raise FieldError("required must be True or False")
    checked = {**field, "required": required}
    if kind in ("text", "long_text"):
        low = _whole(field, "min_length", 0)
        high = _whole(field, "max_length", DEFAULT_MAX_LENGTH[kind])
        if low > high or high < 1:
            raise FieldError("min_length must be at most max_length, and max_length at least 1")
        checked.update(min_length=low, max_length=high)
    elif kind in ("single_choice", "multiple_choice", "turn_labels"):
        checked["options"] = _options(field.get("options"))
    if kind == "multiple_choice":
        count = len(checked["options"])
        low, high = _whole(field, "min_choices", 0), _whole(field, "max_choices", count)
        if not low <= high <= count or high < 1:
            raise FieldError(f"min_choices and max_choices must be 0 <= min <= max <= {count} "
                             "(the number of options), and max at least 1")
        checked.update(min_choices=low, max_choices=high)
    elif kind == "likert":
        scale = field.get("scale", 5)
        if scale not in LIKERT_SCALES or isinstance(scale, bool):
            raise FieldError("scale must be 5 or 7")
        labels = field.get("labels")
        if labels is not None and (not isinstance(labels, list) or len(labels) != scale
                                   or not all(isinstance(x, str) and x.strip() for x in labels)):
            raise FieldError(f"labels must be a list of {scale} texts, one per point of the scale")
        checked["scale"] = scale
    elif kind == "slider":
        least, most, step = (_number(field, k, d) for k, d in (("min", None), ("max", None), ("step", 1)))
        if not least < most:
            raise FieldError("min must be less than max")
        if not step > 0:
            raise FieldError("step must be more than 0")
        checked.update(min=least, max=most, step=step)
    elif kind == "turn_labels":
        dialog_key = field.get("dialog_key", DEFAULT_DIALOG_KEY)
        if not isinstance(dialog_key, str) or not dialog_key:
            raise FieldError("dialog_key must be the name of the item data key holding the turns")
        checked["dialog_key"] = dialog_key
    return checked


def _whole(field: dict[str, Any], key: str, default: int) -> int:
    value = field.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FieldError(f"{key} must be a whole number, 0 or more")
    return value


def _number(field: dict[str, Any], key: str, default: float | None) -> float:
    value = field.get(key, default)
    if value is None:
        raise FieldError(f"a slider needs {key}")
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise FieldError(f"{key} must be a number")
    return value


def _options(options: Any) -> list[dict[str, str]]:
    if not isinstance(options, list) or not options:
        raise FieldError("options must be a non-empty list of texts or {\"value\", \"label\"} dicts")
    checked = []
    for option in options:
        if isinstance(option, str):
            option = {"value": option, "label": option}
        if (not isinstance(option, dict) or set(option) != {"value", "label"}
                or not all(isinstance(option[k], str) and option[k].strip() for k in ("value", "label"))):
            raise FieldError("each option must be a text or a {\"value\": text, \"label\": text} dict")
        checked.append({"value": option["value"], "label": option["label"]})
    if len({o["value"] for o in checked}) != len(checked):
        raise FieldError("two options have the same value")
    return checked
