"""What a form task does beyond collecting answers: hold workers to its gold items, and
compare two sides of each item (pairwise evaluation, ACUTE-Eval style).

    "gold_min_answers": 3,       # golds a worker answers before their accuracy counts (default 3)
    "gold_min_accuracy": 0.75,   # below it, the worker is soft-blocked from the task (default: never)
    "comparison": {"field": "winner", "sides": ["a", "b"]},

A comparison names a single-choice field whose option values are the sides: keys of every
item's data, each an object with the `model` it shows. Which side the page shows first is
drawn per assignment and item (seeded by both, so a reload shows the same), given to the
template as `sides`, and stored with the answer as `positions` (the sides, first shown first).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from datastore.form_report import POSITIONS_KEY, below_gold_bar

POLICY_KEYS = ("gold_min_answers", "gold_min_accuracy", "comparison")
DEFAULT_GOLD_MIN_ANSWERS = 3


class PolicyError(ValueError):
    """A gold or comparison setting Parley cannot use; the message says what."""


@dataclass(frozen=True)
class GoldPolicy:
    min_answers: int
    min_accuracy: float | None
    """None: golds are scored and shown, and nobody is blocked for them."""

    def falls_short(self, answered: int, correct: int) -> bool:
        """Whether a worker with this record on the golds is below the task's bar."""
        return below_gold_bar(answered, correct, self.min_answers, self.min_accuracy)


@dataclass(frozen=True)
class Comparison:
    field: str
    sides: tuple[str, str]

    def positions(self, assignment_id: str, item_id: str) -> list[str]:
        """The sides in the order this assignment's page shows them for this item."""
        order = list(self.sides)
        random.Random(f"{assignment_id}\x1f{item_id}").shuffle(order)
        return order

    def as_config(self) -> dict[str, Any]:
        return {"field": self.field, "sides": list(self.sides)}


def gold_policy(config: dict[str, Any], has_golds: bool) -> GoldPolicy:
    min_answers = config.get("gold_min_answers", DEFAULT_GOLD_MIN_ANSWERS)
    if not isinstance(min_answers, int) or isinstance(min_answers, bool) or min_answers < 1:
        raise PolicyError("gold_min_answers must be a whole number, 1 or more")
    min_accuracy = config.get("gold_min_accuracy")
    if min_accuracy is None and "gold_min_answers" in config:
        raise PolicyError("gold_min_answers counts golds before gold_min_accuracy judges a worker, so it "
                          "needs gold_min_accuracy")
    if min_accuracy is not None:
        if not isinstance(min_accuracy, int | float) or isinstance(min_accuracy, bool) or not 0 < min_accuracy <= 1:
            raise PolicyError("gold_min_accuracy must be a fraction above 0 and at most 1")
        if not has_golds:
            raise PolicyError("gold_min_accuracy needs gold items and a gold_rate above 0 to judge workers by")
        min_accuracy = float(min_accuracy)
    return GoldPolicy(min_answers, min_accuracy)


def comparison(config: dict[str, Any], fields: list[dict[str, Any]], items: list[dict[str, Any]]) -> Comparison | None:
    declared = config.get("comparison")
    if declared is None:
        return None
    if not isinstance(declared, dict) or set(declared) != {"field", "sides"}:
        raise PolicyError('comparison must be {"field": a single-choice field, "sides": [two item data keys]}')
    sides = declared["sides"]
    if not isinstance(sides, list | tuple) or len(sides) != 2 or len(set(sides)) != 2 \
            or not all(isinstance(side, str) for side in sides):
        raise PolicyError("comparison: sides must be two different item data keys")
    if any(f["name"] == POSITIONS_KEY for f in fields):
        raise PolicyError(f"comparison: a compared form stores the shown order as {POSITIONS_KEY!r}, so no "
                          "field may have that name")
    field = next((f for f in fields if f["name"] == declared["field"]), None)
    if field is None or field["type"] != "single_choice":
        raise PolicyError(f"comparison: {declared['field']!r} is not a single-choice field of the form")
    if sorted(option["value"] for option in field["options"]) != sorted(sides):
        raise PolicyError(f"comparison: the options of {field['name']!r} must be the sides, {sides[0]!r} "
                          f"and {sides[1]!r}")
    for item in items:
        for side in sides:
            shown = item["data"].get(side)
            if not isinstance(shown, dict) or not isinstance(shown.get("model"), str) or not shown["model"]:
                raise PolicyError(f"item {item['item_id']!r}: data[{side!r}] must be an object naming its model")
    return Comparison(field["name"], (sides[0], sides[1]))
