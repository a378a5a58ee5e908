"""The runner end to end over real websockets: pairing, relaying, store-then-ack,
resend and replay after reconnects, and every way a worker can leave."""
import json
import time

import pytest
from websockets.sync.client import connect

from tests.support.live_runner import LiveRunner, fetch


@pytest.fixture
def runner(store_url):
    live = LiveRunner(store_url, "pair_chat", num_conversations=1)
    yield live
    live.stop()


def pair(runner):
    alice, bob = runner.join("W1"), runner.join("W2")
    alice.wait_state("in_task")
    bob.wait_state("in_task")
    return alice, bob


def test_two_workers_chat_to_the_end_and_everything_is_stored(runner):
    alice, bob = pair(runner)
    alice.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "You are Alice.")
    alice.say("hello bob")
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "hello bob")
    bob.say("hi alice")
    alice.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "hi alice")
    alice.say("bye")
    for worker in (alice, bob):
        worker.wait_state("done")
        worker.send_frame({"type": "done"})
        worker.wait_state("submitted")
    assert runner.manager.wait(10)
    h = runner.handler
    full = h.get_full_conversation_data(runner.run_id, "t_1", False)
    assert [m["text"] for m in full["messages"]] == [
        "You are Alice.", "You are Bob.", "hello bob", "hi alice", "bye"]
    assert full["custom_data"] == {"finished": True}
    assert [(w["agent_id"], w["status"]) for w in full["workers"]] == [
        ("Alice", "submitted"), ("Bob", "submitted")]
    assert h.get_run_data(runner.run_id)["status"] == "completed"
    assert h.get_working_time("W1") > 0


def test_an_ack_means_the_message_is_in_the_store(runner):
    alice, _ = pair(runner)
    cid = alice.say("stored before the ack")
    ack = alice.wait_for(lambda f: f["type"] == "ack" and f["cid"] == cid)
    stored = runner.handler.get_messages(runner.run_id, "t_1")
    assert any(m["message_id"] == cid and m["text"] == "stored before the ack" for m in stored)
    assert isinstance(ack["id"], int)


def test_a_message_resent_after_a_reconnect_is_stored_and_relayed_once(runner):
    alice, bob = pair(runner)
    alice.say("once", cid="same")
    first_ack = alice.wait_for(lambda f: f["type"] == "ack" and f["cid"] == "same")
    alice.close()
    alice.frames.clear()
    alice.connect(last_seq=0)
    alice.say("once", cid="same")
    second_ack = alice.wait_for(lambda f: f["type"] == "ack" and f["cid"] == "same")
    assert second_ack["id"] == first_ack["id"]
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "once")
    time.sleep(0.3)
    assert bob.texts().count("once") == 1
    stored = [m for m in runner.handler.get_messages(runner.run_id, "t_1") if m["text"] == "once"]
    assert len(stored) == 1


def test_a_reconnecting_page_gets_every_frame_it_missed(runner):
    alice, bob = pair(runner)
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "You are Bob.")
    seen = bob.last_seq
    bob.close()
    alice.say("while you were away")
    bob.frames.clear()
    bob.connect(last_seq=seen)
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "while you were away")
    assert bob.texts() == ["while you were away"]
    assert bob.frames[0]["type"] == "welcome" and bob.frames[0]["state"] == "in_task"
    assert min(f["seq"] for f in bob.frames if "seq" in f) == seen + 1


def test_a_worker_who_stays_away_is_disconnected_and_the_partner_told(store_url):
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1, disconnect_timeout=1.0)
    try:
        alice, bob = pair(runner)
        alice.say("are you there?")
        bob.close()
        state = alice.wait_state("partner_disconnect")
        assert "partner left" in state["text"]
        h = runner.handler
        statuses = {w["worker_id"]: w["status"]
                    for w in h.get_full_conversation_data(runner.run_id, "t_1", False)["workers"]}
        assert statuses == {"W1": "partner_disconnect", "W2": "disconnect"}
        alice.send_frame({"type": "done"})  # the run waits for her to submit what she did
        alice.wait_state("submitted")
        assert runner.manager.wait(10)
    finally:
        runner.stop()


def test_a_worker_who_returns_the_task_frees_the_partner_and_is_recorded_returned(runner):
    alice, bob = pair(runner)
    bob.send_frame({"type": "return"})
    bob.wait_state("returned")
    alice.wait_state("partner_disconnect")
    alice.send_frame({"type": "done"})
    alice.wait_state("submitted")
    statuses = {p["worker_id"]: p["status"] for p in runner.handler.get_pairings_for_run(runner.run_id)}
    assert statuses == {"W1": "submitted", "W2": "returned"}


def test_a_worker_who_does_not_answer_in_time_times_out(store_url):
    runner = LiveRunner(store_url, "timed_chat", num_conversations=1)
    try:
        alice, bob = pair(runner)
        alice.wait_state("timeout", timeout=10)
        bob.wait_state("partner_disconnect")
        statuses = {p["worker_id"]: p["status"] for p in runner.handler.get_pairings_for_run(runner.run_id)}
        assert statuses == {"W1": "timeout", "W2": "partner_disconnect"}
        bob.send_frame({"type": "done"})
        bob.wait_state("submitted")
        assert runner.manager.wait(10)
    finally:
        runner.stop()


def test_messages_cannot_be_sent_while_waiting_for_a_partner(runner):
    alice = runner.join("W1")
    alice.wait_state("waiting")
    alice.say("anyone?", cid="early")
    error = alice.wait_for(lambda f: f["type"] == "error" and f.get("cid") == "early")
    assert "cannot send messages" in error["error"]
    assert runner.handler.get_conversations_for_run(runner.run_id) == []


def test_heartbeats_go_only_to_pages_that_have_heard_nothing_for_a_beat(store_url):
    # A page that keeps getting frames needs no heartbeat on top; beating every page at
    # once, whatever it just heard, stalled every other frame at a thousand workers.
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1, heartbeat_seconds=0.5)
    try:
        alice, bob = pair(runner)
        for worker in (alice, bob):
            worker.heartbeats = False  # no beats from the pages, so none echoed back either
        time.sleep(0.6)  # the pages' own beat threads have stopped
        busy_from = [len(alice.frames), len(bob.frames)]
        turn = 0
        deadline = time.monotonic() + 2.0  # four beat periods
        while time.monotonic() < deadline:
            turn += 1
            alice.say(f"a{turn}")
            bob.wait_for(lambda f, t=turn: f["type"] == "message" and f["act"]["text"] == f"a{t}")
            bob.say(f"b{turn}")
            alice.wait_for(lambda f, t=turn: f["type"] == "message" and f["act"]["text"] == f"b{t}")
            time.sleep(0.1)
        busy = [alice.frames[busy_from[0]:], bob.frames[busy_from[1]:]]
        assert turn >= 5 and all(f["type"] != "heartbeat" for frames in busy for f in frames), busy
        quiet_from = [len(alice.frames), len(bob.frames)]
        time.sleep(1.5)
        for worker, start in zip((alice, bob), quiet_from):
            beats = [f for f in worker.frames[start:] if f["type"] == "heartbeat"]
            assert 2 <= len(beats) <= 4, worker.frames[start:]
    finally:
        runner.stop()


def test_a_page_that_offers_compression_gets_an_uncompressed_socket_that_works(runner):
    # Browsers offer permessage-deflate; for frames this small it only costs the runner a
    # zlib stream per direction per socket, so the runner declines it.
    page = fetch(runner.link("W1"))
    config = page.config
    with connect(config["ws_path"], compression="deflate", open_timeout=10) as ws:
        assert ws.response.status_code == 101
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert ws.protocol.extensions == []
        ws.send(json.dumps({"type": "hello", "token": config["token"], "last_seq": 0}))
        welcome = json.loads(ws.recv(timeout=10))
        assert welcome["type"] == "welcome" and welcome["state"] == "waiting"


def chat_to_the_end(alice, bob):
    alice.say("hello bob")
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "hello bob")
    bob.say("hi alice")
    alice.say("bye")
    for worker in (alice, bob):
        worker.wait_state("done")


def test_the_run_ends_only_once_the_last_workers_have_pressed_done(runner):
    # The run has all its conversations when the last world ends, but its workers press
    # Done a moment later; ending the run at once left them nothing to submit to.
    alice, bob = pair(runner)
    chat_to_the_end(alice, bob)
    alice.send_frame({"type": "done"})
    alice.wait_state("submitted")
    time.sleep(1.0)
    assert not runner.manager.finished.is_set()
    bob.send_frame({"type": "done"})
    bob.wait_state("submitted")
    assert runner.manager.wait(10)
    statuses = {w["agent_id"]: w["status"]
                for w in runner.handler.get_full_conversation_data(runner.run_id, "t_1", False)["workers"]}
    assert statuses == {"Alice": "submitted", "Bob": "submitted"}


def test_a_worker_who_leaves_without_pressing_done_does_not_hold_the_run_open(store_url):
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1, disconnect_timeout=1.0)
    try:
        alice, bob = pair(runner)
        chat_to_the_end(alice, bob)
        alice.send_frame({"type": "done"})
        alice.wait_state("submitted")
        bob.close()  # the tab is closed on the "press Done" screen
        assert runner.manager.wait(10)
        statuses = {w["agent_id"]: w["status"]
                    for w in runner.handler.get_full_conversation_data(runner.run_id, "t_1", False)["workers"]}
        assert statuses == {"Alice": "submitted", "Bob": "completed"}
    finally:
        runner.stop()


def test_stopping_the_run_does_not_wait_for_workers_to_press_done(runner):
    alice, bob = pair(runner)
    chat_to_the_end(alice, bob)
    assert not runner.manager.wait(1.0)  # both still on the "press Done" screen
    runner.manager.shutdown()  # Ctrl-C
    assert runner.manager.wait(5)
    assert runner.handler.get_run_data(runner.run_id)["status"] == "completed"


def test_stopping_a_run_leaves_both_workers_of_a_conversation_interrupted_however_fast_the_world_ends(
        runner, monkeypatch):
    """The world hears its first worker interrupted and ends its conversation while the run
    is still interrupting the second: the second must not be recorded as having finished."""
    alice, bob = pair(runner)
    handler = runner.manager.handler
    interrupt = handler.log_interrupt_assignment

    def slow_later_interrupts(*args, **kwargs):
        if slow_later_interrupts.done:
            time.sleep(0.5)  # the world, woken by the first, ends its conversation meanwhile
        slow_later_interrupts.done = True
        return interrupt(*args, **kwargs)

    slow_later_interrupts.done = False
    monkeypatch.setattr(handler, "log_interrupt_assignment", slow_later_interrupts)
    runner.manager.shutdown()
    assert runner.manager.wait(5)
    statuses = {w["agent_id"]: w["status"] for w in runner.handler.get_full_conversation_data(
        runner.run_id, "t_1", False)["workers"]}
    assert statuses == {"Alice": "interrupted", "Bob": "interrupted"}
    for worker in (alice, bob):
        worker.wait_state("done")
