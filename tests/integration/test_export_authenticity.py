"""The export of how workers composed their messages: JSON Lines keep each worker message's
signals, flags and detector score, CSV gives them columns after the existing ones, and
`--unflagged-only` leaves out exactly the flagged messages, saying how many; the formats
without chat messages refuse it before anything is written."""
from __future__ import annotations

import csv
import io
import json

import pytest

from datastore import MTurkDataHandler
from datastore.export import CSV_COLUMNS, UnflaggedOnly, export_csv, export_jsonl
from runner.authenticity import SIGNAL_KEYS
from tests.integration.test_export import csv_rows, exported_files, jsonl_lines, run_cli
from tests.support.builders import Built, completed_conversation
from tests.support.form_runs import rating_run

TYPED = {"compose_ms": 4000, "keys": 22, "chars": 20, "pasted_count": 0, "pasted_chars": 0,
         "inserted_chars": 0, "hidden_ms": 0}
PASTED = {**TYPED, "keys": 0, "pasted_count": 1, "pasted_chars": 20}
RUSHED = {**TYPED, "compose_ms": 100, "hidden_ms": 9000}
SENT = [
    # (text, worker, signals, flags)
    ("typed by hand, twenty", "W1", TYPED, []),
    ("pasted from elsewhere", "W2", PASTED, [("pasted", {"pasted_chars": 20})]),
    ("sent without signals", "W1", None, [("no_signals", {})]),
    ("too fast and away too", "W2", RUSHED, [("too_fast", {"chars_per_second": 200.0}),
                                             ("away", {"hidden_ms": 9000})]),
    ("typed again, unflagged", "W1", TYPED, []),
]
FLAGGED_TEXTS = {text for text, _, _, flags in SENT if flags}


def flagged_conversation(handler: MTurkDataHandler, scores: dict[str, float] | None = None) -> Built:
    """A conversation t_1: the world's opening message, then `SENT`, each stored through the
    handler with its signals and flags as the runner stores them (and a detector's score, for
    the texts in `scores`)."""
    built = completed_conversation(handler, turns=0)
    assignment = dict(zip(built.workers, built.assignments))
    for n, (text, worker_id, signals, flags) in enumerate(SENT):
        handler.log_message(built.run_id, built.conversation_id, "Asker" if worker_id == "W1" else "Answerer",
                            {"text": text}, worker_id=worker_id, assignment_id=assignment[worker_id],
                            client_msg_id=f"m{n}", turn_index=n, signals=signals, flags=flags,
                            detector_score=(scores or {}).get(text))
    return built


# JSON Lines ------------------------------------------------------------------------------


def test_jsonl_gives_each_worker_message_its_signals_and_its_flags_names_and_details(handler):
    built = flagged_conversation(handler)

    _, [line] = jsonl_lines(handler, built.run_id)

    opening, *sent = line["dialog"]
    assert [m["text"] for m in sent] == [text for text, *_ in SENT]
    assert [m["signals"] for m in sent] == [signals for _, _, signals, _ in SENT]
    assert [[(f["flag"], f["detail"]) for f in m["flags"]] for m in sent] == [
        [(name, detail) for name, detail in flags] for *_, flags in SENT]
    assert all(isinstance(f["created"], float) for m in sent for f in m["flags"])
    assert not {"signals", "flags"} & opening.keys(), "the world's message is a plain act"
    assert [m["detector_score"] for m in sent] == [None] * len(SENT), "no score until a detector gives one"
    assert "detector_score" not in opening


def test_jsonl_carries_a_detector_score_where_the_message_has_one(handler):
    built = flagged_conversation(handler, {"pasted from elsewhere": 0.93, "typed again, unflagged": 0.0})

    _, [line] = jsonl_lines(handler, built.run_id)

    assert {m["text"]: m["detector_score"] for m in line["dialog"] if m.get("detector_score") is not None} == {
        "pasted from elsewhere": 0.93, "typed again, unflagged": 0.0}


def test_jsonl_unflagged_only_leaves_out_exactly_the_flagged_messages_and_counts_them(handler):
    built = flagged_conversation(handler)
    only = UnflaggedOnly()
    out = io.StringIO()

    assert export_jsonl(handler, built.run_id, out, only) == 1

    [line] = [json.loads(text) for text in out.getvalue().splitlines()]
    assert [m["text"] for m in line["dialog"]] == [
        "Read the paragraph.", "typed by hand, twenty", "typed again, unflagged"]
    assert only.left_out == len(FLAGGED_TEXTS) == 3
    assert [w["worker_id"] for w in line["workers"]] == ["W1", "W2"], "only messages are left out"


# CSV -------------------------------------------------------------------------------------


def test_csv_keeps_its_columns_in_order_and_adds_signals_flags_and_score_at_the_end():
    assert CSV_COLUMNS == (
        "run_id", "conversation_id", "message_index", "turn_index", "sender_id", "worker_id",
        "assignment_id", "timestamp", "text", "episode_done", "payload",
        "signal_compose_ms", "signal_keys", "signal_chars", "signal_pasted_count", "signal_pasted_chars",
        "signal_inserted_chars", "signal_hidden_ms", "flags", "detector_score",
    )


def test_csv_gives_each_signal_a_cell_and_the_flags_names_separated_by_semicolons(handler):
    built = flagged_conversation(handler)

    count, rows = csv_rows(handler, built.run_id)

    assert count == 1 + len(SENT)
    opening, typed, pasted, unsigned, rushed, _ = rows
    assert [typed[f"signal_{key}"] for key in SIGNAL_KEYS] == ["4000", "22", "20", "0", "0", "0", "0"]
    assert (pasted["signal_keys"], pasted["signal_pasted_count"], pasted["signal_pasted_chars"]) == ("0", "1", "20")
    assert (rushed["signal_compose_ms"], rushed["signal_hidden_ms"]) == ("100", "9000")
    assert [row["flags"] for row in rows] == ["", "", "pasted", "no_signals", "too_fast;away", ""]
    assert all(opening[f"signal_{key}"] == unsigned[f"signal_{key}"] == "" for key in SIGNAL_KEYS)
    assert {row["detector_score"] for row in rows} == {""}
    assert json.loads(rushed["payload"])["signals"] == RUSHED, "the payload still holds the whole message"


def test_csv_gives_the_detector_score_a_cell_where_the_message_has_one(handler):
    built = flagged_conversation(handler, {"pasted from elsewhere": 0.93, "typed again, unflagged": 0.0})

    _, rows = csv_rows(handler, built.run_id)

    assert [row["detector_score"] for row in rows] == ["", "", "0.93", "", "", "0.0"]


def test_csv_flags_cell_that_starts_like_a_formula_is_exported_as_text(handler):
    built = completed_conversation(handler, turns=0)
    handler.log_message(built.run_id, built.conversation_id, "Asker", {"text": "hi"}, worker_id="W1",
                        assignment_id=built.assignments[0], signals=TYPED, flags=[("=cmd|' /C calc'!A0", {})])

    _, rows = csv_rows(handler, built.run_id)

    assert rows[-1]["flags"] == "'=cmd|' /C calc'!A0"


def test_csv_unflagged_only_leaves_out_exactly_the_flagged_rows_keeping_each_messages_index(handler):
    built = flagged_conversation(handler)
    only = UnflaggedOnly()
    out = io.StringIO(newline="")

    assert export_csv(handler, built.run_id, out, only) == 3

    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert [(row["message_index"], row["text"]) for row in rows] == [
        ("0", "Read the paragraph."), ("1", "typed by hand, twenty"), ("5", "typed again, unflagged")]
    assert not FLAGGED_TEXTS & {row["text"] for row in rows}
    assert {row["flags"] for row in rows} == {""}
    assert only.left_out == 3


# The command line ------------------------------------------------------------------------


def test_cli_unflagged_only_writes_the_unflagged_messages_and_says_how_many_it_left_out(
    handler, store_url, tmp_path
):
    built = flagged_conversation(handler)
    completed_conversation(handler, run_id=built.run_id, conversation_id="t_2", workers=("W3", "W4"))
    out = tmp_path / "run.jsonl"

    result = run_cli("--run", built.run_id, "--format", "jsonl", "--unflagged-only", "--out", str(out),
                     store_url=store_url)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == (
        f"wrote 2 conversations of run {built.run_id!r} to {out}, having left out 3 flagged messages")
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [len(line["dialog"]) for line in lines] == [3, 5]
    assert not FLAGGED_TEXTS & {m["text"] for line in lines for m in line["dialog"]}


def test_cli_unflagged_only_to_stdout_says_on_stderr_how_many_it_left_out(handler, store_url):
    built = flagged_conversation(handler)

    result = run_cli("--run", built.run_id, "--format", "csv", "--unflagged-only", store_url=store_url)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"left out 3 flagged messages of run {built.run_id!r}"
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [row["message_index"] for row in rows] == ["0", "1", "5"]


def test_cli_without_unflagged_only_exports_the_flagged_messages_too(handler, store_url, tmp_path):
    built = flagged_conversation(handler)
    out = tmp_path / "run.csv"

    result = run_cli("--run", built.run_id, "--format", "csv", "--out", str(out), store_url=store_url)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"wrote 6 messages of run {built.run_id!r} to {out}"
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert FLAGGED_TEXTS <= {row["text"] for row in rows}


@pytest.mark.parametrize("fmt", ["answers-csv", "form-report"])
def test_cli_refuses_unflagged_only_for_a_format_without_chat_messages_writing_nothing(
    handler, store_url, tmp_path, fmt
):
    run_id = rating_run(handler)
    out = tmp_path / "out.txt"
    before = exported_files(tmp_path)

    result = run_cli("--run", run_id, "--format", fmt, "--unflagged-only", "--out", str(out), store_url=store_url)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"parley export: error: --unflagged-only leaves flagged chat messages out of the jsonl and csv "
        f"exports; {fmt} holds no chat messages, so drop the option or export jsonl or csv.\n")
    assert exported_files(tmp_path) == before
