"""qualification_flow_example: the first assignment is a test; failing it soft-blocks."""
from __future__ import annotations

import pytest

from crowd.context import TaskContext
from crowd.local.provider import LocalProvider
from crowd.review import ReviewService
from datastore.states import ReviewAction, ReviewOutcome
from runner.tasks import load_task
from runner.worlds import DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE
from tests.unit.tasks.simulated import SimulatedHuman, build_world, run_world

TASK = "qualification_flow_example"
worlds = load_task(TASK).worlds
TESTED = worlds.TESTED_QUALIFICATION
BLOCK = f"parley_{TASK}_block"
RIGHT = [str(a + b) for a, b in worlds.TEST_PROBLEMS]


@pytest.fixture
def run_id(handler):
    return handler.log_new_run(5, TASK, provider="mturk", is_sandbox=True)


@pytest.fixture
def provider():
    return LocalProvider()


@pytest.fixture
def context(handler, run_id, provider):
    return TaskContext(ReviewService(handler, lambda run: provider), handler, run_id, True, BLOCK)


def play(context, script, *, worker_id="W1", conversation_id="conv_1", **human):
    worker = SimulatedHuman("Worker", script, worker_id=worker_id, assignment_id=f"A_{conversation_id}",
                            **human).join(context)
    world = build_world(TASK, [worker], conversation_id=conversation_id, context=context,
                        is_sandbox=True, run_id=context.run_id)
    saved, parleys = run_world(world, [worker], max_parleys=len(script) + 1)
    return saved["custom_data"], worker, parleys


def held(handler, worker_id):
    return {(q["name"], bool(q["is_sandbox"])) for q in handler.get_worker_qualifications(worker_id)}


def test_a_new_worker_gets_the_test_and_passing_it_grants_the_tested_qualification(handler, context):
    data, worker, parleys = play(context, RIGHT)

    assert parleys == 3
    assert data == {"kind": "test", "problems": [list(p) for p in worlds.TEST_PROBLEMS],
                    "answers": RIGHT, "correct": [True, True, True], "passed": True,
                    "outcome": "completed"}
    assert held(handler, "W1") == {(TESTED, True)}
    assert handler.get_blocks_for_worker("W1") == []
    assert worker.observed[0]["task_data"] == {"problem": "3 + 4"}
    assert "passed" in worker.texts()[-1]


def test_failing_the_test_ends_with_an_audited_soft_block_through_the_review_service(
        handler, context, provider):
    data, worker, _ = play(context, ["7", "41", "eighty-three"])

    assert data["correct"] == [True, True, False]
    assert data["passed"] is False
    assert held(handler, "W1") == {(TESTED, True)}
    [block] = handler.get_blocks_for_worker("W1")
    assert block["kind"] == "soft" and block["is_sandbox"]
    assert block["qualification_id"] == handler.get_qualification(BLOCK, True)["id"]
    assert block["run_id"] == context.run_id and "failed" in block["reason"]
    assert [(a["action"], a["outcome"], a["actor"]) for a in handler.get_review_actions(worker_id="W1")] == [
        (ReviewAction.GRANT_QUALIFICATION, ReviewOutcome.SUCCEEDED, "world"),
        (ReviewAction.SOFT_BLOCK, ReviewOutcome.SUCCEEDED, "world")]
    assert [c["action"] for c in provider.calls] == ["grant_qualification", "soft_block"]
    assert "cannot take more HITs" in worker.texts()[-1]


def test_a_worker_who_took_the_test_gets_real_random_sums_and_no_grading(handler, context):
    play(context, RIGHT, conversation_id="conv_1")
    data, worker, _ = play(context, ["1", "2", "3"], conversation_id="conv_2")

    assert data["kind"] == "real"
    assert data["problems"] == [list(p) for p in worlds.real_problems("conv_2")]
    assert data["problems"] != [list(p) for p in worlds.TEST_PROBLEMS]
    assert data["answers"] == ["1", "2", "3"]
    assert data["passed"] is None
    assert handler.get_blocks_for_worker("W1") == []
    assert held(handler, "W1") == {(TESTED, True)}


def test_real_problems_are_seeded_by_conversation_id():
    assert worlds.real_problems("c_1") == worlds.real_problems("c_1")
    assert worlds.real_problems("c_1") != worlds.real_problems("c_2")
    assert all(1 <= n <= 99 for pair in worlds.real_problems("c_3") for n in pair)


def test_a_test_taken_in_the_sandbox_does_not_count_on_the_live_marketplace(handler, context):
    handler.ensure_qualification(TESTED, False)
    handler.grant_qualification("W2", TESTED, False)
    data, _, _ = play(context, RIGHT, worker_id="W2")

    assert data["kind"] == "test"
    assert held(handler, "W2") == {(TESTED, False), (TESTED, True)}


@pytest.mark.parametrize("leave", [DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE],
                         ids=lambda m: m["leave"])
def test_leaving_half_way_through_the_test_records_nothing_so_the_next_hit_is_a_test(
        handler, context, leave):
    data, _, parleys = play(context, ["7"], leave_at=1, leave=leave)

    assert parleys == 2
    assert data["outcome"] == leave["leave"]
    assert data["answers"] == ["7"] and data["passed"] is None
    assert held(handler, "W1") == set()
    assert handler.get_blocks_for_worker("W1") == []


def test_without_a_context_every_assignment_is_a_test_and_nothing_is_recorded():
    worker = SimulatedHuman("Worker", ["0", "0", "0"])
    saved, _ = run_world(build_world(TASK, [worker]), [worker])

    assert saved["custom_data"]["kind"] == "test"
    assert saved["custom_data"]["passed"] is False
