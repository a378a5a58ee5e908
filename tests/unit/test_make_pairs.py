"""pairwise_dialog_eval's make_pairs: two of Parley's own JSONL exports become pair items."""
from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import pytest

from datastore.export import export_jsonl
from tests.support.builders import run_of_conversations

TASK = Path(__file__).resolve().parents[2] / "tasks" / "pairwise_dialog_eval"
_spec = importlib.util.spec_from_file_location("make_pairs", TASK / "make_pairs.py")
make_pairs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_pairs)


def _export(handler, tmp_path, name, conversations):
    run_id = run_of_conversations(handler, conversations)[0].run_id
    out = io.StringIO()
    export_jsonl(handler, run_id, out)
    path = tmp_path / f"{name}.jsonl"
    path.write_text(out.getvalue())
    return run_id, path


def test_two_runs_exports_become_pairs_of_their_conversations_in_order(handler, tmp_path, capsys):
    run_a, first = _export(handler, tmp_path, "a", 3)
    run_b, second = _export(handler, tmp_path, "b", 2)
    assert make_pairs.main([str(first), str(second), "--model-b", "bot B"]) == 0
    items = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [item["id"] for item in items] == ["pair-0001", "pair-0002"]  # as many as both have
    exported_a = [json.loads(line) for line in first.read_text().splitlines()]
    for item, conversation in zip(items, exported_a):
        side = item["data"]["a"]
        assert (side["model"], side["run_id"], side["conversation_id"]) == (run_a, run_a, conversation["conversation_id"])
        said = [m for m in conversation["dialog"] if m["id"] != "System"]
        assert side["turns"] == [{"speaker": m["id"], "text": m["text"]} for m in said]
        assert side["turns"]  # the builders' conversations have worker messages
    assert {item["data"]["b"]["model"] for item in items} == {"bot B"}
    assert {item["data"]["b"]["run_id"] for item in items} == {run_b}


def test_the_shipped_pairs_are_what_make_pairs_builds_from_the_shipped_exports(capsys):
    exports = TASK / "sample_exports"
    assert make_pairs.main([str(exports / "bot_a.jsonl"), str(exports / "bot_b.jsonl"),
                            "--model-a", "curious bot", "--model-b", "terse bot"]) == 0
    assert capsys.readouterr().out == (TASK / "pairs.jsonl").read_text()


@pytest.mark.parametrize(("content", "says"), [
    ("{not json\n", "line 1: not JSON"),
    ('{"run_id": "r"}\n', "line 1: not a conversation of a JSONL export (no dialog list)"),
])
def test_a_file_that_is_not_an_export_is_refused_with_where(tmp_path, capsys, content, says):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    good = TASK / "sample_exports" / "bot_a.jsonl"
    assert make_pairs.main([str(good), str(bad)]) == 2
    assert says in capsys.readouterr().err


def test_two_models_of_one_name_are_refused(capsys):
    good = TASK / "sample_exports" / "bot_a.jsonl"
    assert make_pairs.main([str(good), str(good)]) == 2
    assert "need different names" in capsys.readouterr().err
