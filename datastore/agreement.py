"""How far workers agree on one form question: Krippendorff's alpha over a workers x units
reliability matrix, each item's majority answer, and each worker's agreement with the others.
Pure functions over plain data (no store), so the webapp and the export share one answer.

A *unit* is what alpha counts as one thing rated: an item for single_choice, likert and slider;
one turn of an item for turn_labels; one option of an item for multiple_choice, whose answer is
read as a yes/no question per option ("did the worker tick it?"), so a question with k options
gives k nominal units per item and a worker who ticks nothing still said "no" k times.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import krippendorff
import numpy as np

from datastore.errors import InvalidValue
from datastore.records import Record

# Level of measurement per field type; a type missing here (text, long_text) has no agreement.
Level = Literal["nominal", "ordinal", "interval"]
LEVELS: dict[str, Level] = {
    "single_choice": "nominal",
    "multiple_choice": "nominal",
    "turn_labels": "nominal",
    "likert": "ordinal",
    "slider": "interval",
}
LIST_TYPES = ("multiple_choice", "turn_labels")


class Answer(NamedTuple):
    """One worker's answer to one question of one item (the value as stored in form_answers)."""

    worker_id: str
    item_id: str
    value: Any


# (item_id, part): part is None for a whole item, the turn index for turn_labels,
# the option value for multiple_choice.
Unit = tuple[str, Any]


@dataclass(frozen=True)
class ReliabilityData:
    """The matrix handed to krippendorff.alpha: one row per worker, one column per unit (both
    sorted), NaN where a worker did not rate a unit; values coded as numbers by `code`."""

    workers: list[str]
    units: list[Unit]
    matrix: np.ndarray
    # the raw answers per unit, keyed by worker: what majorities are taken over
    ratings: dict[Unit, dict[str, Hashable]]


def level_of(field: Mapping[str, Any]) -> Level:
    """The level of measurement alpha uses for this field; InvalidValue for a type without one."""
    kind = field.get("type")
    if kind not in LEVELS:
        raise InvalidValue(f"Agreement is not measured for a field of type {kind!r}; "
                           f"only for {', '.join(sorted(LEVELS))}.")
    return LEVELS[kind]


def _option_values(field: Mapping[str, Any]) -> list[str]:
    return [o["value"] if isinstance(o, Mapping) else o for o in field.get("options", [])]


def _check(field: Mapping[str, Any], answer: Answer) -> None:
    """InvalidValue unless the answer has the shape its field type stores."""
    kind, value = field["type"], answer.value
    where = f"worker {answer.worker_id!r}, item {answer.item_id!r}, field {field.get('name', '?')!r}"
    if kind in LIST_TYPES:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidValue(f"The answer of {where} should be a list of option values.")
    elif kind == "single_choice":
        if not isinstance(value, str):
            raise InvalidValue(f"The answer of {where} should be an option value.")
    elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValue(f"The answer of {where} should be a number.")


def _parts(kind: str, value: Any, options: list[str]) -> list[tuple[Any, Hashable]]:
    """Split one answer into (part, rating) pairs, one per unit it rates."""
    if kind == "turn_labels":
        return list(enumerate(value))
    if kind == "multiple_choice":
        return [(option, option in value) for option in options]
    return [(None, value)]


def reliability_data(field: Mapping[str, Any], answers: Iterable[Answer]) -> ReliabilityData:
    """Build the workers x units matrix for one question. Nominal ratings are coded as their
    index in the sorted list of ratings given; likert and slider ratings are their own number.
    A worker rating the same unit twice is InvalidValue (it would count one person twice)."""
    level = level_of(field)
    given = [Answer._make(answer) for answer in answers]
    for answer in given:
        _check(field, answer)
    # every option is a unit, also one nobody ticked (all said "no") or one no longer declared
    options = sorted(set(_option_values(field)).union(*(a.value for a in given))
                     if field["type"] == "multiple_choice" else [])
    ratings: dict[Unit, dict[str, Hashable]] = defaultdict(dict)
    for answer in given:
        for part, rating in _parts(field["type"], answer.value, options):
            unit = (answer.item_id, part)
            if answer.worker_id in ratings[unit]:
                raise InvalidValue(f"Worker {answer.worker_id!r} answered item {answer.item_id!r} "
                                   f"twice for field {field.get('name', '?')!r}.")
            ratings[unit][answer.worker_id] = rating
    workers = sorted({w for by_worker in ratings.values() for w in by_worker})
    units = sorted(ratings)
    code = _coder(level, {r for by_worker in ratings.values() for r in by_worker.values()})
    matrix = np.full((len(workers), len(units)), np.nan)
    row = {w: i for i, w in enumerate(workers)}
    for column, unit in enumerate(units):
        for worker, rating in ratings[unit].items():
            matrix[row[worker], column] = code(rating)
    return ReliabilityData(workers, units, matrix, dict(ratings))


def _coder(level: Level, values: set[Hashable]) -> Callable[[Hashable], float]:
    if level == "nominal":
        index = {v: i for i, v in enumerate(sorted(values))}  # type: ignore[type-var]
        return index.__getitem__
    return lambda rating: float(rating)  # type: ignore[arg-type]  # likert and slider: numbers


def alpha(data: ReliabilityData, level: Level) -> tuple[float | None, str]:
    """Krippendorff's alpha and a sentence about it; alpha is None (with the reason) when it is
    undefined: no unit rated by two or more workers, or one value throughout those units."""
    pairable = data.matrix[:, (~np.isnan(data.matrix)).sum(axis=0) >= 2]
    if pairable.size == 0:
        return None, "Alpha is undefined: no item has answers from two or more workers."
    if len(np.unique(pairable[~np.isnan(pairable)])) < 2:
        return None, ("Alpha is undefined: every answer on the items two or more workers "
                      "answered is the same, so there is no variation to measure agreement by.")
    value = float(krippendorff.alpha(reliability_data=data.matrix, level_of_measurement=level))
    return value, (f"Krippendorff's alpha ({level}) over {pairable.shape[1]} units that two or "
                   f"more of {len(data.workers)} workers rated.")


def _ranked(counts: Counter) -> list[Hashable]:
    """The most frequent ratings, sorted: the first is the majority, more than one is a tie."""
    top = max(counts.values())
    return sorted(r for r, c in counts.items() if c == top)


def majorities(field: Mapping[str, Any], data: ReliabilityData) -> dict[str, dict[str, Any]]:
    """Per item: {majority, tie, n}. A tie goes to the first tied rating in sorted order
    (alphabetical for labels, the lower number for likert and slider, "not ticked" for a
    multiple_choice option). For whole-item types `tie` is a bool; for turn_labels it lists
    the tied turn indices and `majority` is the list of per-turn labels; for multiple_choice
    `majority` lists the options most workers ticked and `tie` the options split evenly.
    `n` is how many workers answered the item."""
    kind = field["type"]
    items: dict[str, dict[str, Any]] = {}
    for item_id, part in data.units:
        by_worker = data.ratings[(item_id, part)]
        tied = _ranked(Counter(by_worker.values()))
        entry = items.setdefault(item_id, {"majority": [], "tie": [], "n": 0})
        entry["n"] = max(entry["n"], len(by_worker))
        if kind == "multiple_choice":
            if tied[0]:
                entry["majority"].append(part)
        elif kind == "turn_labels":
            entry["majority"].append(tied[0])
        else:
            entry["majority"] = tied[0]
        if len(tied) > 1:
            entry["tie"].append(part)
    if kind not in LIST_TYPES:
        for entry in items.values():
            entry["tie"] = bool(entry["tie"])
    return items


def worker_agreement(data: ReliabilityData) -> dict[str, dict[str, Any]]:
    """Per worker: how often their rating matches the majority of the OTHER workers, over the
    units at least one other worker rated (others excluded). Where the others tie between k
    ratings, matching one of them counts 1/k: the expected agreement had the tie been broken
    at random, so no worker is marked down by an arbitrary tie-break. `items` is how many
    items those units belong to, `units` how many units (more than items for turn_labels and
    multiple_choice). agreement is None for a worker who shares no unit with anyone."""
    credit: dict[str, float] = defaultdict(float)
    shared: dict[str, list[Unit]] = defaultdict(list)
    for unit in data.units:
        by_worker = data.ratings[unit]
        if len(by_worker) < 2:
            continue
        counts = Counter(by_worker.values())
        for worker, rating in by_worker.items():
            # The others' counts are the unit's, less this worker's own rating.
            others = [(r, c - (r == rating)) for r, c in counts.items()]
            top = max(c for _, c in others)
            tied = [r for r, c in others if c == top]
            credit[worker] += (rating in tied) / len(tied)
            shared[worker].append(unit)
    return {
        worker: {
            "agreement": credit[worker] / len(shared[worker]) if shared[worker] else None,
            "items": len({item_id for item_id, _ in shared[worker]}),
            "units": len(shared[worker]),
        }
        for worker in data.workers
    }


def question_agreement(field: Mapping[str, Any], answers: Iterable[Answer]) -> dict[str, Any]:
    """The JSON-ready agreement of one question: {field, level, alpha, alpha_note, items, workers}."""
    level = level_of(field)
    data = reliability_data(field, answers)
    value, note = alpha(data, level)
    if field["type"] == "multiple_choice" and value is not None:
        note += " Each option of each item is one yes/no unit."
    if field["type"] == "turn_labels" and value is not None:
        note += " Each turn of each item is one unit."
    return {
        "field": field["name"],
        "level": level,
        "alpha": value,
        "alpha_note": note,
        "items": majorities(field, data),
        "workers": worker_agreement(data),
    }


def _answered(value: Any) -> bool:
    return value is not None and value != "" and value != []


def agreement_report(fields: Sequence[Mapping[str, Any]],
                     answers: Iterable[Mapping[str, Any] | Record]) -> dict[str, dict[str, Any]]:
    """question_agreement for every field that has a level (text fields have none), keyed by
    field name. `answers` are form_answers rows (worker_id, item_id, answers, is_gold). Gold
    items are left out: every worker meets them, so they would outweigh the real items. A field
    left empty (absent, None, "" or []) is a missing rating, not an answer."""
    rows = [row for row in answers if not row.get("is_gold")]
    return {
        field["name"]: question_agreement(field, [
            Answer(row["worker_id"], row["item_id"], row["answers"][field["name"]])
            for row in rows if _answered(row["answers"].get(field["name"]))
        ])
        for field in fields if field.get("type") in LEVELS
    }
