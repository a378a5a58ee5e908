"""Turns and one order: in a task that takes turns (the default) a worker may send only while
the world waits on their agent, one message a turn; every message carries its position in
the conversation, and the stored order is the order every page is given."""
from __future__ import annotations

import random
import time

import pytest

from runner.tasks import TASKS_DIR as TASKS
from runner.tasks import TaskError, load_task
from tests.support.live_runner import UNMETERED, LiveRunner, task_with_config
from tests.support.review_races import at_once


@pytest.fixture
def deal(start):
    runner = start(str(TASKS / "dealnodeal"))
    one, two = runner.join("W1"), runner.join("W2")
    for worker in (one, two):
        worker.wait_for(lambda f: f["type"] == "message" and f["act"]["text"].startswith("Agree with"))
    return runner, one, two


def test_a_message_out_of_turn_is_refused_with_a_sentence_and_nothing_is_stored(deal):
    runner, one, two = deal
    one.wait_turn()
    cid = two.say("Me first!", wait_ack=False)
    refused = two.wait_for(lambda f: f["type"] == "error" and f.get("cid") == cid)
    assert refused["error"] == "It is not your turn: wait for Negotiator1."
    assert [m["text"] for m in runner.handler.get_messages(runner.run_id, "t_1") if m["worker_id"]] == []


def test_each_turn_takes_one_message_and_the_pages_are_told_whose_turn_it_is(deal):
    runner, one, two = deal
    assert one.wait_turn()["agent_id"] == "Negotiator1"
    told = two.wait_for(lambda f: f["type"] == "turn" and f["agent_id"] == "Negotiator1")
    assert told["yours"] is False
    first = one.say("I would like the books.", wait_ack=False)
    second = one.say("And the hats.", wait_ack=False)  # at once: the turn is spent on the first
    assert one.wait_for(lambda f: f["type"] == "ack" and f["cid"] == first)
    assert one.wait_for(lambda f: f.get("cid") == second)["type"] == "error"
    assert two.wait_turn()["agent_id"] == "Negotiator2"


def test_every_message_has_its_position_and_each_page_shows_the_stored_order(deal):
    runner, one, two = deal
    one.say("Books for me.")
    two.say("Hats for me.")
    one.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "Hats for me.")
    stored = {m["turn_index"]: m for m in runner.handler.get_messages(runner.run_id, "t_1")}
    for worker, sent in ((one, "Books for me."), (two, "Hats for me.")):
        shown = {f["position"]: f["act"]["text"] for f in worker.frames if f["type"] == "message"}
        [ack] = [f for f in worker.frames if f["type"] == "ack"]
        shown[ack["position"]] = sent  # the page puts its own message where the ack says
        assert {p: stored[p]["text"] for p in shown} == shown
    assert [stored[p]["text"] for p in sorted(stored)][-2:] == ["Books for me.", "Hats for me."]


def test_free_chat_lets_workers_send_whenever_they_like(start, tmp_path):
    runner = start(str(task_with_config(tmp_path, free_chat=True)))
    runner.join("W1")
    bob = runner.join("W2")
    bob.wait_state("in_task")
    assert bob.config["free_chat"] is True
    cid = bob.say("Before Alice", wait_ack=False)  # the world waits on Alice, and Bob may talk
    assert bob.wait_for(lambda f: f.get("cid") == cid)["type"] == "ack"


@pytest.mark.parametrize(("config", "problem"), [
    ({"free_chat": "yes"}, "free_chat must be True or False"),
    ({"roles": ["Alice"]}, "roles must map agent ids"),
    ({"roles": {"Alice": {"label": ""}}}, "the label must be text of 1 to 60 characters"),
    ({"roles": {"Alice": {"color": "red"}}}, "the color must look like #1f6feb"),
    ({"roles": {"Alice": {"label": "A", "icon": "x"}}}, "may give only a label and a color"),
])
def test_bad_turn_or_role_settings_in_a_task_config_are_refused_with_a_sentence(tmp_path, config, problem):
    with pytest.raises(TaskError, match=problem):
        load_task(task_with_config(tmp_path, **config))


def test_the_page_is_given_the_tasks_roles_and_whether_it_takes_turns(start, tmp_path):
    roles = {"Alice": {"label": "The customer", "color": "#1f6feb"}}
    runner: LiveRunner = start(str(task_with_config(tmp_path, roles=roles, free_chat=False)))
    page = runner.join("W1").config
    assert (page["roles"], page["free_chat"]) == (roles, False)


def test_in_free_chat_two_workers_sending_at_once_are_stored_in_the_order_of_their_positions(start, tmp_path):
    """The review page and the export read messages in the order the store got them; that
    order must be the positions' order even when two workers' messages are stored at the same
    moment (each write here takes a little time, as on a busy database)."""
    runner = start(str(task_with_config(tmp_path, free_chat=True)), **UNMETERED)
    alice, bob = runner.join("W1"), runner.join("W2")
    bob.wait_state("in_task")
    write = runner.handler.log_message

    def slow_write(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(random.uniform(0, 0.004))
        return write(*args, **kwargs)

    runner.handler.log_message = slow_write  # type: ignore[method-assign]
    workers = iter([(alice, "a"), (bob, "b")])

    def stream() -> list[str]:
        worker, name = next(workers)
        cids = [worker.say(f"{name}{n}", cid=f"{name}{n}", wait_ack=False) for n in range(30)]
        for cid in cids:
            worker.wait_for(lambda f, cid=cid: f["type"] == "ack" and f["cid"] == cid)
        return cids

    at_once(2, stream)
    stored = [m["turn_index"] for m in runner.handler.get_messages(runner.run_id, "t_1")]
    assert len(stored) == 2 + 60
    assert stored == sorted(stored) and len(set(stored)) == len(stored)


def test_the_page_is_told_how_long_the_worker_has_waited_the_waiting_limit_and_its_role_once_paired(start):
    runner = start(str(TASKS / "dealnodeal"), max_wait=120)
    first = runner.join("W1")
    assert (first.config["max_wait_seconds"], first.config["role"]) == (120, None)
    assert 0 <= first.config["waited_seconds"] < 5
    first.wait_state("waiting")
    time.sleep(1.1)
    again = runner.open(runner.link("W1", assignment_id="A-W1-1"))  # the same assignment, reloaded
    assert again.config["waited_seconds"] >= 1
    welcome = again.wait_for(lambda f: f["type"] == "welcome")
    assert welcome["waited_seconds"] >= 1 and welcome["role"] is None
    runner.join("W2")
    paired = again.wait_for(lambda f: f["type"] == "state" and f["state"] == "in_task")  # its socket took over
    assert (paired["role"], paired["agent_id"]) == ("Negotiator1", "Negotiator1")
