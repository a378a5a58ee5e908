"""Export a run's conversations as JSON Lines (one ParlAI-style conversation per line) or
CSV (one message per row), streaming a page of conversations at a time; a form run's
answers as CSV (one answer per row, one column per field); and a form run's report
(datastore/form_report.py) as one JSON document.

A form run's conversation lines also carry "form_answers": the answers its workers'
assignments gave, each with the data of the item it answers.

A worker's message carries how it was composed and what the authenticity checks found in it
(`signals`, `flags` and, once a detector has scored it, `detector_score`): JSON Lines keep them
as the readers give them; CSV gives each signal, the flags' names and the score a column.
`UnflaggedOnly` leaves the flagged messages out of either, and counts them.

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

from datastore.errors import InvalidValue, NotFound
from datastore.models_authenticity import SIGNAL_KEYS

if TYPE_CHECKING:
    from datastore.handler import MTurkDataHandler

FORMATS = ("jsonl", "csv", "answers-csv", "form-report")
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
    *(f"signal_{key}" for key in SIGNAL_KEYS),
    "flags",
    "detector_score",
)
"""The message CSV's columns; a message without signals, flags or a score has those cells empty."""
FLAG_SEPARATOR = ";"

FORM_ANSWER_COLUMNS = (
    "run_id",
    "item_id",
    "worker_id",
    "assignment_id",
    "answered_at",
    "is_gold",
    "gold_correct",
)
"""The answers CSV's first columns; a column per field name follows, then `answers`."""
ANSWERS_COLUMN = "answers"
ANSWER_AUTHENTICITY_COLUMNS = ("signals", "flags")
"""After the answers: how each free-text answer was composed (JSON by field name), and what the
checks found in them ("field:flag" pairs separated by ';')."""
FIELD_COLUMN_PREFIX = "field:"
"""Put before a field's name when the name is also one of the fixed columns'."""


class UnflaggedOnly:
    """Keeps the messages no authenticity check flagged (see datastore/models_authenticity.py)
    and counts those it leaves out, so whoever asked can say how many."""

    def __init__(self) -> None:
        self.left_out = 0

    def keeps(self, message: dict[str, Any]) -> bool:
        if message.get("flags"):
            self.left_out += 1
            return False
        return True


def export_jsonl(handler: MTurkDataHandler, run_id: str, out: TextIO,
                 unflagged_only: UnflaggedOnly | None = None) -> int:
    """Write each conversation of `run_id` as one JSON object per line; return how many.
    With `unflagged_only`, a line's dialog leaves out the messages it does not keep."""
    written = 0
    conversations = _conversations(handler, run_id)
    item_data = _form_item_data(handler, run_id)
    for conversation in conversations:
        line = {
            "run_id": conversation["run_id"],
            "conversation_id": conversation["conversation_id"],
            "taskname": conversation["taskname"],
            "provider": conversation["provider"],
            "is_sandbox": conversation["is_sandbox"],
            "started": conversation["started"],
            "ended": conversation["ended"],
            "dialog": [message for _, message in _kept(conversation["messages"], unflagged_only)],
            "workers": conversation["workers"],
            "custom_data": conversation["custom_data"],
        }
        if item_data is not None:
            line["form_answers"] = _form_answers(handler, run_id, conversation["workers"], item_data)
        out.write(_json(line))
        out.write("\n")
        written += 1
    return written


def export_csv(handler: MTurkDataHandler, run_id: str, out: TextIO,
               unflagged_only: UnflaggedOnly | None = None) -> int:
    """Write a header, then one row per message of `run_id`; return the number of rows
    after the header. `out` should be opened with `newline=""`, as the csv module asks.
    With `unflagged_only`, only the messages it keeps get a row; `message_index` stays the
    message's place in its conversation, so the gaps show where messages were left out."""
    rows = csv.writer(out)
    written = 0
    # The run is checked before the header, so an unknown run leaves `out` untouched.
    conversations = _conversations(handler, run_id)
    rows.writerow(CSV_COLUMNS)
    for conversation in conversations:
        for index, message in _kept(conversation["messages"], unflagged_only):
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
                *_composition_cells(message),
            ))
            written += 1
    return written


def _kept(messages: list[dict[str, Any]],
          unflagged_only: UnflaggedOnly | None) -> list[tuple[int, dict[str, Any]]]:
    """The messages to export, each with its index in the conversation."""
    return [(index, message) for index, message in enumerate(messages)
            if unflagged_only is None or unflagged_only.keeps(message)]


def _composition_cells(message: dict[str, Any]) -> list[Any]:
    """The cells of each signal, the flags' names and the detector's score (empty when unknown)."""
    signals = message.get("signals") or {}
    flags = FLAG_SEPARATOR.join(flag["flag"] for flag in message.get("flags") or ())
    return [*(spreadsheet_cell(signals.get(key)) for key in SIGNAL_KEYS),
            spreadsheet_cell(flags), spreadsheet_cell(message.get("detector_score"))]


def export_form_answers_csv(handler: MTurkDataHandler, run_id: str, out: TextIO) -> int:
    """Write a header, then one row per answer of the form run `run_id`, in the order they
    were stored: who answered which item and when, whether it was a gold and right, each
    field's value in a column of its own (fields in the order first answered), and all the
    answers as JSON, then the free-text answers' signals and flags. Answers the number of rows after the header; a run that is not a form
    run is refused before anything is written."""
    if _form_item_data(handler, _known_run(handler, run_id)) is None:
        raise InvalidValue(f"run {run_id!r} is not a form run (it has no form items); "
                           "export its conversations as jsonl or csv")
    answers = handler.get_form_answers(run_id)
    fields = list(dict.fromkeys(name for answer in answers for name in answer["answers"]))
    rows = csv.writer(out)
    rows.writerow((*FORM_ANSWER_COLUMNS, *map(_field_column, fields), ANSWERS_COLUMN, *ANSWER_AUTHENTICITY_COLUMNS))
    for answer in answers:
        rows.writerow((
            *(_cell(answer[column]) for column in FORM_ANSWER_COLUMNS),
            *(_cell(answer["answers"].get(name)) for name in fields),
            _json(answer["answers"]),
            "" if answer["signals"] is None else _json(answer["signals"]),
            spreadsheet_cell(";".join(f"{f['field']}:{f['flag']}" for f in answer["flags"] or ())),
        ))
    return len(answers)


def export_form_report(handler: MTurkDataHandler, run_id: str, out: TextIO) -> int:
    """Write the form run's report as one JSON document (what the run page's JSON twin has
    under "form"); answers 1, the reports written. A run that is not a form run is refused
    before anything is written."""
    report = handler.form_report(run_id)
    if report is None:
        raise InvalidValue(f"run {run_id!r} is not a form run, so it has no form report; "
                           "export its conversations as jsonl or csv")
    out.write(json.dumps(report, ensure_ascii=False, indent=2))
    out.write("\n")
    return 1


def _form_item_data(handler: MTurkDataHandler, run_id: str) -> dict[str, Any] | None:
    """Each item's data by item id, for a form run; None for a run without form items."""
    items = handler.get_form_items(run_id)
    return {item["item_id"]: item["data"] for item in items} if items else None


def _form_answers(handler: MTurkDataHandler, run_id: str, workers: list[dict[str, Any]],
                  item_data: dict[str, Any]) -> list[dict[str, Any]]:
    """The answers the conversation's workers gave, worker by worker, each with its item's data."""
    return [{**answer.as_dict(), "data": item_data[answer["item_id"]]}
            for worker in workers
            for answer in handler.get_form_answers(run_id, assignment_id=worker["assignment_id"])]


def _field_column(name: str) -> str:
    taken = name in FORM_ANSWER_COLUMNS or name == ANSWERS_COLUMN
    return f"{FIELD_COLUMN_PREFIX}{name}" if taken else name


def _cell(value: Any) -> Any:
    """A value as a CSV cell: true and false spelled as JSON does, the rest as spreadsheet_cell."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return spreadsheet_cell(value)


def _known_run(handler: MTurkDataHandler, run_id: str) -> str:
    if handler.get_run_data(run_id) is None:
        raise NotFound(f"there is no run {run_id!r} in the store")
    return run_id


def _conversations(handler: MTurkDataHandler, run_id: str) -> Iterator[dict[str, Any]]:
    # Checked eagerly (not inside a generator) so callers learn of a missing run before
    # they write anything; a run with no conversations is not an error.
    return handler.iter_full_conversations(_known_run(handler, run_id))


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
