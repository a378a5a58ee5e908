"""What a task's config asks of its Prolific study: participant filters and devices, checked
before any call to Prolific, so a bad value is one sentence and nothing is created.

`participant_filters` is a list of Prolific's own filter objects, as its API documents them
(docs.prolific.com/api-reference/filters): a select filter `{"filter_id", "selected_values":
[choice ids as strings], "weightings"?}` or a range filter `{"filter_id", "selected_range":
{"lower"?, "upper"?}, "weightings"?}`. `device_compatibility` is a list of `desktop`,
`tablet` and `mobile` (empty: any device, as Prolific reads it)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crowd.base import Refused

FILTERS_KEY = "participant_filters"
DEVICES_KEY = "device_compatibility"
DEVICES = ("desktop", "tablet", "mobile")
BLOCKLIST = "participant_group_blocklist"
COMPOSITE = ("and", "or")
SELECT_KEYS = {"filter_id", "selected_values", "weightings"}
RANGE_KEYS = {"filter_id", "selected_range", "weightings"}
BOUNDS = ("lower", "upper")


def task_filters(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The task config's participant filters, each checked against Prolific's documented shape."""
    filters = config.get(FILTERS_KEY) or []
    if not isinstance(filters, list):
        raise Refused(f"the task config's {FILTERS_KEY} must be a list of Prolific filter objects, "
                      f"not {type(filters).__name__}")
    seen: set[str] = set()
    for index, entry in enumerate(filters):
        where = f"the task config's {FILTERS_KEY}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("filter_id"), str) or not entry["filter_id"]:
            raise Refused(f"{where} must be an object with a filter_id (a Prolific filter's id)")
        filter_id = entry["filter_id"]
        if filter_id in COMPOSITE:
            raise Refused(f"{where} is a composite '{filter_id}' filter group; give select or range filters "
                          "(a study applies them all)")
        if filter_id in seen:
            raise Refused(f"{where} repeats the filter {filter_id!r}; give each filter once")
        seen.add(filter_id)
        if ("selected_values" in entry) == ("selected_range" in entry):
            raise Refused(f"{where} ({filter_id}) needs either selected_values (a select filter) or "
                          "selected_range (a range filter), not both or neither")
        if "selected_values" in entry:
            _check_select(where, entry)
        else:
            _check_range(where, entry)
    return [dict(entry) for entry in filters]


def task_devices(config: Mapping[str, Any]) -> list[str]:
    """The devices the task config lets participants use."""
    devices = config.get(DEVICES_KEY, ["desktop"])
    if not isinstance(devices, list) or any(d not in DEVICES for d in devices) or len(set(devices)) != len(devices):
        raise Refused(f"the task config's {DEVICES_KEY} must be a list of distinct devices among "
                      f"{', '.join(DEVICES)} (empty: any device), not {devices!r}")
    return list(devices)


def with_blocklist(filters: list[dict[str, Any]], group_ids: list[str]) -> list[dict[str, Any]]:
    """The study's filters: the task's, with Parley's blocked groups added to the task's own
    participant group blocklist (Prolific takes each filter once)."""
    given = next((f for f in filters if f["filter_id"] == BLOCKLIST), None)
    values = list(dict.fromkeys([*(given or {}).get("selected_values", []), *group_ids]))
    others = [f for f in filters if f is not given]
    return [*others, {**(given or {}), "filter_id": BLOCKLIST, "selected_values": values}]


def _check_select(where: str, entry: dict[str, Any]) -> None:
    filter_id, values = entry["filter_id"], entry["selected_values"]
    if set(entry) - SELECT_KEYS:
        raise Refused(f"{where} ({filter_id}) has keys a select filter does not take: "
                      f"{', '.join(sorted(set(entry) - SELECT_KEYS))}")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise Refused(f"{where} ({filter_id}): selected_values must be a non-empty list of the filter's "
                      'choice ids, as strings (e.g. ["0", "1"])')
    weightings = entry.get("weightings")
    if weightings is None:
        return
    if not isinstance(weightings, dict) or not weightings or set(weightings) - set(values) or not all(
            _is_number(w) and w > 0 for w in weightings.values()):
        raise Refused(f"{where} ({filter_id}): weightings must map selected values to numbers more than 0")


def _check_range(where: str, entry: dict[str, Any]) -> None:
    filter_id = entry["filter_id"]
    if set(entry) - RANGE_KEYS:
        raise Refused(f"{where} ({filter_id}) has keys a range filter does not take: "
                      f"{', '.join(sorted(set(entry) - RANGE_KEYS))}")
    _check_bounds(where, filter_id, entry["selected_range"])
    weightings = entry.get("weightings")
    if weightings is None:
        return
    if not isinstance(weightings, dict) or not weightings:
        raise Refused(f"{where} ({filter_id}): weightings must be an object of "
                      '{"selected_range": {...}, "weighting": number} entries')
    for weighting in weightings.values():
        if not isinstance(weighting, dict) or set(weighting) != {"selected_range", "weighting"} or not (
                _is_number(weighting["weighting"]) and weighting["weighting"] > 0):
            raise Refused(f"{where} ({filter_id}): each weighting is "
                          '{"selected_range": {...}, "weighting": a number more than 0}')
        _check_bounds(where, filter_id, weighting["selected_range"])


def _check_bounds(where: str, filter_id: str, selected: Any) -> None:
    """Prolific's range: `lower` and/or `upper` (a number, or an ISO 8601 date string for a
    date filter), at least one of them given; a null bound is open."""
    if not isinstance(selected, dict) or not selected or set(selected) - set(BOUNDS) or all(
            selected.get(b) is None for b in BOUNDS):
        raise Refused(f"{where} ({filter_id}): selected_range must be an object with a lower and/or "
                      "an upper bound, at least one of them not null")
    bounds = [selected.get(b) for b in BOUNDS]
    if not all(b is None or _is_number(b) or (isinstance(b, str) and b) for b in bounds):
        raise Refused(f"{where} ({filter_id}): a range's bounds are numbers, or ISO 8601 dates as strings")
    lower, upper = bounds
    if isinstance(lower, int | float) and isinstance(upper, int | float) and lower > upper:
        raise Refused(f"{where} ({filter_id}): the range's lower bound {lower} is above its upper bound {upper}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
