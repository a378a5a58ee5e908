"""How a worker's chat message was composed, over the real websocket: the runner checks the
signals the page sends without trusting them, stores them and its flags with the message
before the ack, and refuses a pasted message when the task refuses pasting, storing nothing."""
from __future__ import annotations

import pytest

from datastore import InvalidValue
from runner.tasks import TaskError, load_task
from tests.support.live_runner import LiveRunner, running, task_with_config

REFUSED_TEXT = "Écrivez vous-même : coller est interdit ici."


def signals(text: str, **changes: int) -> dict[str, int]:
    """What the page records for `text` typed key by key at 5 characters a second."""
    return {"compose_ms": len(text) * 200, "keys": len(text), "chars": len(text), "pasted_count": 0,
            "pasted_chars": 0, "inserted_chars": 0, "hidden_ms": 0, **changes}


def paired(runner: LiveRunner):
    alice, bob = runner.join("W1"), runner.join("W2")
    for worker in (alice, bob):
        worker.wait_state("in_task")
    return alice, bob


def acked(worker, text: str, **kwargs) -> dict:
    cid = worker.say(text, **kwargs)
    return worker.wait_for(lambda f: f.get("cid") == cid and f["type"] in ("ack", "error"))


def workers_messages(runner: LiveRunner) -> dict[str, dict]:
    return {m["text"]: m for m in runner.handler.get_messages(runner.run_id, "t_1") if m["worker_id"]}


@pytest.fixture
def runner(store_url):
    with running(store_url, "pair_chat") as live:
        yield live


def test_a_forged_frame_claiming_2000_typed_characters_in_100_ms_is_stored_flagged_too_fast(runner):
    alice, _ = paired(runner)
    text = "x" * 2000
    forged = signals(text, compose_ms=100)
    assert acked(alice, text, signals=forged)["type"] == "ack"

    stored = workers_messages(runner)[text]
    assert stored["signals"] == forged
    [flag] = stored["flags"]
    assert flag["flag"] == "too_fast"
    assert flag["detail"]["chars_per_second"] == 20000.0
    [listed] = runner.handler.get_message_flags(runner.run_id)
    assert (listed["flag"], listed["worker_id"], listed["conversation_id"]) == ("too_fast", "W1", "t_1")


def test_a_frame_without_signals_is_stored_flagged_no_signals_and_a_typed_one_unflagged(runner):
    alice, bob = paired(runner)
    assert acked(alice, "sent by a custom component")["type"] == "ack"
    assert acked(bob, "typed by hand", signals=signals("typed by hand"))["type"] == "ack"

    stored = workers_messages(runner)
    assert stored["sent by a custom component"]["signals"] is None
    assert [f["flag"] for f in stored["sent by a custom component"]["flags"]] == ["no_signals"]
    assert stored["typed by hand"]["flags"] == []
    assert [f["flag"] for f in runner.handler.get_message_flags(runner.run_id, worker_id="W1")] == ["no_signals"]
    assert runner.handler.get_message_flags(runner.run_id, worker_id="W2") == []
    # The world's own messages keep their ParlAI shape: no signals, no flags.
    system = [m for m in runner.handler.get_messages(runner.run_id, "t_1") if m["worker_id"] is None]
    assert system and all("signals" not in m and "flags" not in m for m in system)


def test_a_message_sent_again_after_a_reconnect_keeps_its_one_set_of_flags(runner):
    alice, _ = paired(runner)
    text = "y" * 50
    for _ in range(2):
        acked(alice, text, cid="same", signals=signals(text, compose_ms=10))
    assert [f["flag"] for f in runner.handler.get_message_flags(runner.run_id)] == ["too_fast"]


def test_a_refusing_task_refuses_a_pasted_message_in_its_own_words_and_stores_nothing(store_url, tmp_path):
    task = task_with_config(tmp_path, paste_policy="refuse", paste_refused_text=REFUSED_TEXT)
    with running(store_url, str(task)) as runner:
        alice, _ = paired(runner)
        text = "a paragraph written elsewhere"
        pasted = signals(text, keys=0, pasted_count=1, pasted_chars=len(text))
        error = acked(alice, text, signals=pasted)
        assert error["type"] == "error" and error["error"] == REFUSED_TEXT and "retry" not in error
        assert text not in workers_messages(runner)
        assert runner.handler.get_message_flags(runner.run_id) == []
        assert acked(alice, "typed instead", signals=signals("typed instead"))["type"] == "ack"
        assert workers_messages(runner)["typed instead"]["flags"] == []


def test_an_allowing_task_stores_a_pasted_message_unflagged(store_url, tmp_path):
    with running(store_url, str(task_with_config(tmp_path, paste_policy="allow"))) as runner:
        alice, _ = paired(runner)
        text = "quoted from the article"
        assert acked(alice, text, signals=signals(text, keys=0, pasted_count=1, pasted_chars=len(text)))["type"] == "ack"
        assert workers_messages(runner)[text]["flags"] == []


@pytest.mark.parametrize(("config", "problem"), [
    ({"paste_policy": "forbid"}, "paste_policy must be one of allow, flag, refuse"),
    ({"paste_refused_text": ""}, "paste_refused_text must be a sentence"),
    ({"composition_notice": None}, "composition_notice must be a sentence"),
])
def test_a_task_with_a_bad_composition_policy_does_not_load(tmp_path, config, problem):
    with pytest.raises(TaskError, match=problem):
        load_task(task_with_config(tmp_path, **config))


def test_the_store_refuses_flags_it_could_not_keep(handler):
    run_id = handler.log_new_run(1, "t", provider="local")
    with pytest.raises(InvalidValue, match="a message's flags must differ"):
        handler.log_message(run_id, "t_1", "System", {"text": "x"}, flags=[("pasted", {}), ("pasted", {})])
    with pytest.raises(InvalidValue, match="a message flag is a name of 1-32 characters and a dict"):
        handler.log_message(run_id, "t_1", "System", {"text": "x"}, flags=[("pasted", "lots")])
    assert handler.get_messages(run_id, "t_1") == []
