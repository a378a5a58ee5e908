"""Checks of a run's messages beyond how each was composed, over the real websocket: the same
paragraph from two workers flags both as duplicates, and a researcher's text detector scores
every worker message (the score stored with it; a high one flags it)."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli import build_parser, options_from
from runner.duplicates import DuplicateFlagger, StoredText
from runner.tasks import TaskError
from tests.integration.test_message_authenticity import acked, paired, signals
from tests.support.live_runner import LiveRunner, running, task_with_config

PARAGRAPH = ("The lighthouse keeper climbed the spiral stairs every evening at dusk, "
             "trimmed the wick, and watched the ships pass the rocks until morning.")
ALTERED = PARAGRAPH.upper().replace("EVERY EVENING", "each evening").replace(",", " ;")

TOY_DETECTOR = '''
def score(text):
    """A toy detector: sure of machines that say they are one, unsure of everyone else."""
    return 0.97 if "as an ai language model" in text.lower() else 0.05


def broken(text):
    raise RuntimeError("the model file is missing")


def unsure(text):
    return "maybe"
'''


def typed(worker, text: str) -> dict:
    return acked(worker, text, signals=signals(text))


def flags_by_text(runner: LiveRunner) -> dict[str, dict[str, dict]]:
    return {m["text"]: {f["flag"]: f["detail"] for f in m["flags"]}
            for m in runner.handler.get_messages(runner.run_id, "t_1") if m["worker_id"]}


def test_two_workers_sending_the_same_paragraph_are_both_flagged_duplicate(store_url):
    with running(store_url, "pair_chat") as runner:
        alice, bob = paired(runner)
        assert typed(alice, PARAGRAPH)["type"] == "ack"
        assert typed(bob, ALTERED)["type"] == "ack"  # the case, a word and the punctuation changed

        flags = flags_by_text(runner)
        first, second = flags[PARAGRAPH]["duplicate"], flags[ALTERED]["duplicate"]
        assert (first["of_worker_id"], second["of_worker_id"]) == ("W2", "W1")
        assert first["of_conversation_id"] == second["of_conversation_id"] == "t_1"
        assert 0.8 <= first["similarity"] == second["similarity"] < 1
        by_pk = {f["message_pk"]: f for f in runner.handler.get_message_flags(runner.run_id)}
        assert by_pk[first["of_message_pk"]]["worker_id"] == "W2"
        assert by_pk[second["of_message_pk"]]["worker_id"] == "W1"


def test_short_replies_and_a_workers_own_repeats_are_not_duplicates(store_url):
    with running(store_url, "pair_chat") as runner:
        alice, bob = paired(runner)
        for worker, text in ((alice, "Sounds good to me!"), (bob, "sounds good to me"),
                             (alice, PARAGRAPH), (bob, "Something else entirely, in words of my own."),
                             (alice, PARAGRAPH + " Again.")):
            assert typed(worker, text)["type"] == "ack"
        assert all("duplicate" not in found for found in flags_by_text(runner).values())


def test_a_run_served_again_finds_duplicates_of_what_was_sent_before(handler):
    """The index is filled from the store: a message stored before it was made still counts."""
    from tests.support.builders import accept

    run_id = handler.log_new_run(2, "t", provider="local")
    a1, a2 = accept(handler, run_id, "W1", 1), accept(handler, run_id, "W2", 2)
    earlier = handler.log_message(run_id, "t_1", "A", {"text": PARAGRAPH}, worker_id="W1", assignment_id=a1)
    new = handler.log_message(run_id, "t_2", "B", {"text": PARAGRAPH}, worker_id="W2", assignment_id=a2)

    flagger = DuplicateFlagger(handler, lambda: run_id)
    flagger.message_stored(StoredText(new.id, "W2", "t_2"), PARAGRAPH)
    flagger.message_stored(StoredText(new.id, "W2", "t_2"), PARAGRAPH)  # checked twice: flagged once

    found = {(f["message_pk"], f["flag"]): f["detail"] for f in handler.get_message_flags(run_id)}
    assert set(found) == {(earlier.id, "duplicate"), (new.id, "duplicate")}
    assert found[(new.id, "duplicate")]["of_message_pk"] == earlier.id
    assert found[(earlier.id, "duplicate")]["similarity"] == 1.0


def detector_task(tmp_path: Path, **config) -> Path:
    task = task_with_config(tmp_path, **config)
    (task / "toy_detector.py").write_text(TOY_DETECTOR)
    return task


def test_the_tasks_detector_scores_every_worker_message_and_flags_a_high_score(store_url, tmp_path):
    task = detector_task(tmp_path, text_detector="toy_detector:score", detector_threshold=0.9)
    machine = "As an AI language model, I do not have a favourite colour."
    with running(store_url, str(task)) as runner:
        alice, bob = paired(runner)
        assert typed(alice, machine)["type"] == "ack"
        assert typed(bob, "mine is green, like moss")["type"] == "ack"
        stored = {m["text"]: m for m in runner.handler.get_messages(runner.run_id, "t_1")}

    assert stored[machine]["detector_score"] == 0.97
    assert {f["flag"]: f["detail"] for f in stored[machine]["flags"]}["detector"] == {
        "score": 0.97, "threshold": 0.9, "detector": "toy_detector:score"}
    assert stored["mine is green, like moss"]["detector_score"] == 0.05
    assert stored["mine is green, like moss"]["flags"] == []
    assert stored["You are Alice."].get("detector_score") is None  # the world's message is not scored


def test_the_run_flag_names_the_detector_over_the_tasks(store_url, tmp_path):
    """`runner run TASK --text-detector module:function` scores with that function, not the task's."""
    task = detector_task(tmp_path, text_detector="toy_detector:unsure")
    parser, _ = build_parser(None)
    options = options_from(parser.parse_args(["run", str(task), "--text-detector", "toy_detector:score"]))
    runner = LiveRunner(store_url, str(task), text_detector=options.text_detector)
    try:
        alice, _ = paired(runner)
        assert typed(alice, "as an AI language model, hello")["type"] == "ack"
        [message] = [m for m in runner.handler.get_messages(runner.run_id, "t_1") if m["worker_id"]]
        assert message["detector_score"] == 0.97
    finally:
        runner.stop()


@pytest.mark.parametrize("name", ["toy_detector:broken", "toy_detector:unsure"])
def test_a_failing_detector_leaves_the_message_stored_unscored_and_says_why_in_the_log(
        store_url, tmp_path, caplog, name):
    task = detector_task(tmp_path, text_detector=name)
    with caplog.at_level(logging.WARNING, logger="runner.text_detector"), running(store_url, str(task)) as runner:
        alice, _ = paired(runner)
        assert typed(alice, "hello there")["type"] == "ack"
        [message] = [m for m in runner.handler.get_messages(runner.run_id, "t_1") if m["worker_id"]]
    assert message["text"] == "hello there" and message["detector_score"] is None
    assert any(name in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(("name", "problem"), [
    ("toy_detector", "a text detector is named module:function, not 'toy_detector'"),
    ("no_such_module:score", "module no_such_module cannot be imported"),
    ("toy_detector:missing", "toy_detector has no function missing"),
])
def test_a_detector_that_cannot_be_used_refuses_the_launch(store_url, tmp_path, name, problem):
    with pytest.raises(TaskError, match=problem):
        LiveRunner(store_url, str(detector_task(tmp_path)), text_detector=name)


def test_the_cli_refuses_a_detector_it_cannot_import_with_a_sentence(tmp_path):
    task = detector_task(tmp_path)
    db = f"sqlite:///{tmp_path / 'store.db'}"
    done = subprocess.run([sys.executable, "-m", "runner", "run", str(task), "--db", db,
                           "--text-detector", "toy_detector:missing"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "toy_detector has no function missing" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("config", "problem"), [
    ({"detector_threshold": 1.5}, "detector_threshold must be a number from 0 to 1"),
    ({"detector_threshold": "high"}, "detector_threshold must be a number from 0 to 1"),
    ({"text_detector": 42}, "text_detector must name a function"),
])
def test_a_task_with_bad_detector_settings_does_not_load(tmp_path, config, problem):
    from runner.tasks import load_task

    with pytest.raises(TaskError, match=problem):
        load_task(task_with_config(tmp_path, **config))
