"""multi_agent_dialog: LocalAgent and two workers chat in turn until someone says [DONE]."""
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
from tests.unit.tasks.simulated import SimulatedHuman, build_world, run_world

TASK = "multi_agent_dialog"
worlds = load_task(TASK).worlds
LINES = worlds.LOCAL_AGENT_LINES


def speakers(**kwargs):
    one = SimulatedHuman("Speaker1", ["The park by the river!", "Sandwiches.", "Use the shelter."],
                         **kwargs.get("one", {}))
    two = SimulatedHuman("Speaker2", ["Yes, the park.", "I'll bring fruit.", "Or go to a cafe."],
                         **kwargs.get("two", {}))
    return one, two


def test_world_is_a_multi_agent_dialog_with_the_local_agent_first():
    one, two = speakers()
    world = build_world(TASK, [one, two])
    assert isinstance(world, MultiAgentDialogWorld)
    assert [agent.id for agent in world.agents] == ["LocalAgent", "Speaker1", "Speaker2"]
    assert LINES[-1].endswith("[DONE]")


def test_round_robin_chat_runs_until_the_local_agent_says_done():
    one, two = speakers()
    saved, parleys = run_world(build_world(TASK, [one, two]), [one, two])

    assert parleys == len(LINES) == 4
    assert saved["custom_data"] == {"outcome": "done", "ended_by": "LocalAgent",
                                    "rounds": 4, "messages": 10}
    assert one.script == [] and two.script == []
    assert [(act["id"], act["text"]) for act in one.observed] == [
        ("LocalAgent", LINES[0]), ("Speaker2", "Yes, the park."),
        ("LocalAgent", LINES[1]), ("Speaker2", "I'll bring fruit."),
        ("LocalAgent", LINES[2]), ("Speaker2", "Or go to a cafe."),
        ("LocalAgent", LINES[3]),
    ]
    assert two.texts()[:2] == [LINES[0], "The park by the river!"]


def test_a_worker_message_ending_with_done_ends_the_chat_before_anyone_else_speaks():
    one = SimulatedHuman("Speaker1", ["Let's just meet at noon, bye! [DONE]  "])
    two = SimulatedHuman("Speaker2", [])
    saved, parleys = run_world(build_world(TASK, [one, two]), [one, two])

    assert parleys == 1
    assert saved["custom_data"]["ended_by"] == "Speaker1"
    assert saved["custom_data"]["outcome"] == "done"
    assert two.acts == []
    assert two.texts()[-1].startswith("Let's just meet at noon")


def test_done_in_the_middle_of_a_message_does_not_end_the_chat():
    one = SimulatedHuman("Speaker1", ["Say [DONE] when finished.", "ok", "ok"])
    two = SimulatedHuman("Speaker2", ["fine", "fine", "fine"])
    saved, _ = run_world(build_world(TASK, [one, two]), [one, two])
    assert saved["custom_data"]["ended_by"] == "LocalAgent"


@pytest.mark.parametrize("leave", [DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE],
                         ids=lambda m: m["leave"])
def test_one_worker_leaving_mid_chat_ends_it_without_passing_the_leave_message_on(leave):
    one, two = speakers(two={"leave_at": 1, "leave": leave})
    saved, parleys = run_world(build_world(TASK, [one, two]), [one, two], max_parleys=3)

    assert parleys == 2
    assert saved["custom_data"]["outcome"] == leave["leave"]
    assert saved["custom_data"]["ended_by"] == "Speaker2"
    assert not any(is_leave(act) for act in one.observed)
    assert one.observed[-1] == {"id": "LocalAgent", "text": LINES[1], "episode_done": False}


def test_partner_disconnect_reported_to_the_remaining_worker_ends_the_chat():
    one, two = speakers(one={"leave_at": 0, "leave": PARTNER_DISCONNECT_MESSAGE})
    saved, parleys = run_world(build_world(TASK, [one, two]), [one, two], max_parleys=2)

    assert parleys == 1
    assert saved["custom_data"]["outcome"] == "partner_disconnect"
    assert saved["custom_data"]["ended_by"] is None
    assert two.acts == []
