"""Export a run's conversations as JSON Lines (one ParlAI-style conversation per line) or
CSV (one message per row), streaming a page of conversations at a time.

A CSV is opened in spreadsheets, which run a cell that starts like a formula: such cells get a
leading `'` (OWASP's rule for CSV injection), so a worker's `=HYPERLINK(...)` stays text. The
`payload` column keeps every message exactly, as JSON; JSON Lines are never altered.

Only `MTurkDataHandler`'s public readers are used, so an export sees exactly what every
other reader of the store sees.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from datastore.errors import NotFound

if TYPE_CHECKING:
    from datastore.handler import MTurkDataHandler

FORMATS = ("jsonl", "csv")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may take as the start of a formula (OWASP, CSV injection)."""

CSV_COLUMNS = (
    "run_id",
    "conversation_id",
    "message_index",
    "turn_index",
    "sender_id",
    "worker_id",
    "assignment_id",
    "timestamp",
    "text",
    "episode_done",
    "payload",
)


def export_jsonl(handler: MTurkDataHandler, run_id: str, out: TextIO) -> int:
    """Write each conversation of `run_id` as one JSON object per line; return how many."""
    written = 0
    for conversation in _conversations(handler, run_id):
        out.write(_json({
            "run_id": conversation["run_id"],
            "conversation_id": conversation["conversation_id"],
            "taskname": conversation["taskname"],
            "provider": conversation["provider"],
            "is_sandbox": conversation["is_sandbox"],
            "started": conversation["started"],
            "ended": conversation["ended"],
            "dialog": conversation["messages"],
            "workers": conversation["workers"],
            "custom_data": conversation["custom_data"],
        }))
        out.write("\n")
        written += 1
    return written


def export_csv(handler: MTurkDataHandler, run_id: str, out: TextIO) -> int:
    """Write a header, then one row per message of `run_id`; return the number of rows
    after the header. `out` should be opened with `newline=""`, as the csv module asks."""
    rows = csv.writer(out)
    written = 0
    # The run is checked before the header, so an unknown run leaves `out` untouched.
    conversations = _conversations(handler, run_id)
    rows.writerow(CSV_COLUMNS)
    for conversation in conversations:
        for index, message in enumerate(conversation["messages"]):
            rows.writerow((
                spreadsheet_cell(conversation["run_id"]),
                spreadsheet_cell(conversation["conversation_id"]),
                index,
                spreadsheet_cell(message.get("turn_index")),
                spreadsheet_cell(message.get("id")),
                spreadsheet_cell(message.get("worker_id")),
                spreadsheet_cell(message.get("assignment_id")),
                spreadsheet_cell(message.get("timestamp")),
                spreadsheet_cell(message.get("text")),
                # ParlAI treats a missing episode_done as False; spell it as JSON does.
                "true" if message.get("episode_done") else "false",
                _json(message),
            ))
            written += 1
    return written


def _conversations(handler: MTurkDataHandler, run_id: str) -> Iterator[dict[str, Any]]:
    # Checked eagerly (not inside a generator) so callers learn of a missing run before
    # they write anything; a run with no conversations is not an error.
    if handler.get_run_data(run_id) is None:
        raise NotFound(f"there is no run {run_id!r} in the store")
    return handler.iter_full_conversations(run_id)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def spreadsheet_cell(value: Any) -> Any:
    """A value as a CSV cell a spreadsheet shows as text (see the module docstring)."""
    # Empty rather than "None", so a missing value reads as missing in a spreadsheet.
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = _json(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
