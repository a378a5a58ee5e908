"""bench/load.py stays runnable and its verdict keeps meaning something: the smoke run
(a real runner process, 50 workers over real websockets) relays and stores every message
exactly once, and the check fails a step that lost, duplicated or stalled anything."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from bench import load, report
from datastore import MTurkDataHandler
from datastore.models import Conversation, Message


def test_smoke_run_relays_and_stores_every_message_exactly_once(store_url, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    assert load.main(["--smoke", "--db", store_url]) == 0
    step = json.loads((tmp_path / "load.json").read_text())["steps"][0]
    assert (step["workers"], step["connected_peak"], step["conversations_completed"]) == (50, 50, 25)
    assert step["sent"] == step["acked"] == step["relayed"] == step["stored"] == 50 * 4
    assert (step["lost"], step["duplicated"], step["errors"], step["runner_exit"]) == (0, 0, 0, 0)
    assert step["relay_ms"]["p50"] is not None and step["ack_ms"]["p50"] is not None
    # The store agrees, counted here without the benchmark's own query.
    handler = MTurkDataHandler(db_url=store_url)
    with handler.engine.connect() as conn:
        rows = conn.execute(
            select(Message.client_msg_id, func.count()).join(Conversation, Conversation.id == Message.conversation_pk)
            .where(Conversation.run_id == step["run_id"], Message.assignment_id.is_not(None))
            .group_by(Message.assignment_id, Message.client_msg_id)).all()
    assert len(rows) == 200 and all(count == 1 for _, count in rows)


def passing_step(**changes):
    step = {"workers": 4, "sent": 8, "acked": 8, "stored": 8, "lost": 0, "duplicated": 0,
            "lost_ids": [], "duplicated_ids": [], "conversations_completed": 2, "runner_exit": 0,
            "error_kinds": {}}
    return {**step, **changes}


def test_the_check_passes_a_clean_step_and_fails_every_kind_of_trouble(capsys):
    assert load.check([passing_step()]) == 0
    troubles = [
        passing_step(lost=1, lost_ids=["w1-0"]),
        passing_step(duplicated=1, duplicated_ids=["w1-0"]),
        passing_step(stored=7),
        passing_step(acked=7),
        passing_step(conversations_completed=1),
        passing_step(runner_exit=1),
    ]
    for step in troubles:
        assert load.check([step]) == 1, step
    assert "lost" in capsys.readouterr().err


def test_a_step_that_loses_a_message_is_counted_as_lost():
    tally = load.Tally()
    tally.sent = {"a-0": 0.0, "a-1": 0.0, "b-0": 0.0}
    tally.acked = {"a-0", "a-1", "b-0"}
    tally.relayed.update({"a-0": 1, "a-1": 2, "b-0": 1})
    lost, duplicated = load.losses(tally, stored={"a-0": 1, "a-1": 1})
    assert (lost, duplicated) == (["b-0"], ["a-1"])
