"""multi_agent_dialog: a local human (LocalAgent) and two workers chat in turn until the local
human's message ends with [DONE]; then each worker sends one final message."""
from __future__ import annotations

import pytest

from runner.tasks import load_task
from runner.worlds import (
    DISCONNECT_MESSAGE,
    PARTNER_DISCONNECT_MESSAGE,
    RETURN_MESSAGE,
    TIMEOUT_MESSAGE,
    MultiAgentDialogWorld,
    is_leave,
)
from tests.unit.tasks.simulated import SimulatedHuman, SimulatedLocalHumans, build_world, run_world

TASK = "multi_agent_dialog"
worlds = load_task(TASK).worlds
LOCAL_LINES = ["Hello both! Where shall we picnic?", "What should each of us bring?",
               "Lovely, see you both there! [DONE]"]
FINAL = worlds.FINAL_MESSAGE_TEXT


def chat(local_lines=LOCAL_LINES, one=None, two=None, **local):
    """The local human and two workers, and the world they are in."""
    host = SimulatedHuman("LocalAgent", list(local_lines), **local)
    one = one or SimulatedHuman("Speaker1", ["The park!", "Sandwiches.", "Bye, thanks!"])
    two = two or SimulatedHuman("Speaker2", ["Yes, the park.", "Fruit.", "Bye all!"])
    humans = SimulatedLocalHumans(host)
    return build_world(TASK, [one, two], local_humans=humans), host, one, two, humans


def test_the_local_agent_is_a_local_human_who_speaks_first():
    world, host, _, _, humans = chat()
    assert isinstance(world, MultiAgentDialogWorld)
    assert world.agents[0] is host
    assert [agent.id for agent in world.agents] == ["LocalAgent", "Speaker1", "Speaker2"]
    assert humans.joined == [("LocalAgent", "link")]  # the default of --local-human


def test_the_local_human_option_says_how_the_local_human_joins():
    humans = SimulatedLocalHumans(SimulatedHuman("LocalAgent"))
    build_world(TASK, [SimulatedHuman("Speaker1"), SimulatedHuman("Speaker2")],
                local_humans=humans, local_human="terminal")
    assert humans.joined == [("LocalAgent", "terminal")]


def test_the_local_humans_done_ends_the_chat_after_each_worker_sends_one_final_message():
    world, host, one, two, _ = chat()
    saved, parleys = run_world(world, [host, one, two])

    assert parleys == 3
    assert saved["custom_data"] == {"outcome": "done", "ended_by": "LocalAgent", "rounds": 3, "messages": 9}
    assert host.script == [] and one.script == [] and two.script == []
    assert [(act["id"], act["text"]) for act in one.observed] == [
        ("LocalAgent", LOCAL_LINES[0]), ("Speaker2", "Yes, the park."),
        ("LocalAgent", LOCAL_LINES[1]), ("Speaker2", "Fruit."),
        ("LocalAgent", LOCAL_LINES[2]), ("System", FINAL), ("Speaker2", "Bye all!"),
    ]
    assert host.texts()[-2:] == ["Bye, thanks!", "Bye all!"]
    assert FINAL not in host.texts()


def test_a_workers_done_is_only_text_the_chat_goes_on_until_the_local_human_ends_it():
    one = SimulatedHuman("Speaker1", ["Let's meet at noon. [DONE]", "ok", "bye"])
    world, host, one, two, _ = chat(one=one)
    saved, parleys = run_world(world, [host, one, two])
    assert parleys == 3
    assert saved["custom_data"]["ended_by"] == "LocalAgent"


def test_done_in_the_middle_of_the_local_humans_message_does_not_end_the_chat():
    world, host, one, two, _ = chat(["Say [DONE] when we are finished.", "Noted?", "Right, bye! [DONE]"])
    saved, parleys = run_world(world, [host, one, two])
    assert parleys == 3
    assert saved["custom_data"]["messages"] == 9


@pytest.mark.parametrize("leave", [DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE],
                         ids=lambda m: m["leave"])
def test_one_worker_leaving_mid_chat_ends_it_without_passing_the_leave_message_on(leave):
    two = SimulatedHuman("Speaker2", ["Yes, the park."], leave_at=1, leave=leave)
    world, host, one, two, _ = chat(two=two)
    saved, parleys = run_world(world, [host, one, two], max_parleys=3)

    assert parleys == 2
    assert saved["custom_data"]["outcome"] == leave["leave"]
    assert saved["custom_data"]["ended_by"] == "Speaker2"
    assert not any(is_leave(act) for act in one.observed + host.observed)
    assert one.observed[-1]["text"] == LOCAL_LINES[1]


def test_a_worker_leaving_during_the_final_messages_ends_the_chat_as_a_leave():
    two = SimulatedHuman("Speaker2", ["Yes.", "Fruit."], leave_at=2)
    world, host, one, two, _ = chat(two=two)
    saved, _ = run_world(world, [host, one, two])
    assert (saved["custom_data"]["outcome"], saved["custom_data"]["ended_by"]) == ("disconnect", "Speaker2")


def test_the_local_human_timing_out_ends_the_chat():
    world, host, one, two, _ = chat(["Hello!"], leave_at=1, leave=TIMEOUT_MESSAGE)
    saved, parleys = run_world(world, [host, one, two])
    assert parleys == 2
    assert (saved["custom_data"]["outcome"], saved["custom_data"]["ended_by"]) == ("timeout", "LocalAgent")


def test_partner_disconnect_reported_to_the_remaining_worker_ends_the_chat():
    one = SimulatedHuman("Speaker1", leave_at=0, leave=PARTNER_DISCONNECT_MESSAGE)
    world, host, one, two, _ = chat(one=one)
    saved, parleys = run_world(world, [host, one, two], max_parleys=2)

    assert parleys == 1
    assert saved["custom_data"]["outcome"] == "partner_disconnect"
    assert saved["custom_data"]["ended_by"] is None
    assert two.acts == []
