"""Whom a message was shown to: the runner records the agents it showed a message no worker
sent to (one row per act, naming every agent that observed it), and the store keeps it in its
own column, which a worker's message cannot claim."""
from __future__ import annotations

import pytest

from datastore import InvalidValue
from runner.live import LiveConversation
from runner.worlds import system_message


@pytest.fixture
def run_id(handler):
    return handler.log_new_run(1, "dealnodeal", provider="local")


def stored(handler, run_id, conversation_id="t_1"):
    return [(m["text"], m.get("recipients")) for m in handler.get_messages(run_id, conversation_id)]


def test_one_act_observed_by_two_agents_is_one_row_naming_both(handler, run_id):
    conversation = LiveConversation(handler, run_id, "t_1")
    act = system_message("The deal is off.")
    assert conversation.store_observed(act, "Alice") == conversation.store_observed(act, "Bob") == 0
    conversation.store_observed(act, "Bob")  # observed again: nothing new to record
    assert stored(handler, run_id) == [("The deal is off.", ["Alice", "Bob"])]


def test_an_act_sent_to_each_agent_alone_is_a_row_each_naming_its_one_recipient(handler, run_id):
    conversation = LiveConversation(handler, run_id, "t_1")
    for agent in ("Alice", "Bob"):
        conversation.store_observed(system_message(f"You are {agent}."), agent)
    assert stored(handler, run_id) == [("You are Alice.", ["Alice"]), ("You are Bob.", ["Bob"])]


def test_a_workers_message_passed_on_records_no_recipients(handler, run_id):
    conversation = LiveConversation(handler, run_id, "t_1")
    handler.log_message(run_id, "t_1", "Alice", {"text": "Hi", "recipients": ["Bob"]}, turn_index=0)
    conversation.mark_stored("Alice", "c1", 0)
    conversation.store_observed({"id": "Alice", "text": "Hi", "message_id": "c1"}, "Bob")
    assert stored(handler, run_id) == [("Hi", None)]  # the payload's claim is not believed


def test_recipients_are_set_whole_and_checked(handler, run_id):
    logged = handler.log_message(run_id, "t_1", "System", {"text": "Hello"}, recipients=["Alice"])
    handler.set_message_recipients(logged.id, ["Alice", "Bob", "Alice"])
    assert stored(handler, run_id) == [("Hello", ["Alice", "Bob"])]
    with pytest.raises(InvalidValue, match="a message's recipients must be a list of agent ids"):
        handler.log_message(run_id, "t_1", "System", {"text": "Bad"}, recipients="Alice")
    with pytest.raises(InvalidValue, match="a message's recipients must be a list of agent ids"):
        handler.set_message_recipients(logged.id, [""])
    with pytest.raises(InvalidValue, match="there is no message 999999"):
        handler.set_message_recipients(999999, ["Alice"])
    assert stored(handler, run_id) == [("Hello", ["Alice", "Bob"])]
