"""custom_frontend_demo: an Asker, a numbers-only Answerer and an Evaluator who decides."""
from __future__ import annotations

import pytest

from runner.tasks import load_task
from runner.worlds import (
    DISCONNECT_MESSAGE,
    PARTNER_DISCONNECT_MESSAGE,
    RETURN_MESSAGE,
    TIMEOUT_MESSAGE,
    is_leave,
)
from tests.unit.tasks.frontend import run_custom_js
from tests.unit.tasks.simulated import SimulatedHuman, build_world, run_world

TASK = "custom_frontend_demo"
QUESTIONS = ["How many legs has a spider?", "What is pi, roughly?", "Boiling point of water in C?"]
APPROVE = {"text": "I approve this conversation.", "task_data": {"evaluation": "approve"}}
REJECT = {"text": "", "task_data": {"evaluation": "reject"}}


def trio(asker=QUESTIONS, answerer=("8", "3.14", "100"), evaluator=(APPROVE,), **leaving):
    agents = [SimulatedHuman(role, list(script), **leaving.get(role, {}))
              for role, script in (("Asker", asker), ("Answerer", answerer), ("Evaluator", evaluator))]
    return build_world(TASK, agents), agents


def chat(agent):
    """What the agent saw the other two workers say."""
    return [(act["id"], act["text"]) for act in agent.observed if act["id"] != "System"]


def test_three_questions_with_numeric_answers_then_the_evaluator_approves():
    world, agents = trio()
    asker, answerer, evaluator = agents
    saved, parleys = run_world(world, agents)

    assert parleys == 7
    assert saved["custom_data"] == {
        "rounds": [{"question": q, "answer": a} for q, a in zip(QUESTIONS, ["8", "3.14", "100"])],
        "evaluation": "approve", "outcome": "evaluated", "ended_by": "Evaluator"}
    assert chat(evaluator) == [
        ("Asker", QUESTIONS[0]), ("Answerer", "8"), ("Asker", QUESTIONS[1]),
        ("Answerer", "3.14"), ("Asker", QUESTIONS[2]), ("Answerer", "100")]
    assert chat(asker) == [("Answerer", "8"), ("Answerer", "3.14"), ("Answerer", "100")]
    assert chat(answerer) == [("Asker", q) for q in QUESTIONS]
    assert all("approve this conversation" in agent.texts()[-1] for agent in agents)


def test_the_evaluator_is_asked_to_decide_only_after_the_last_answer():
    world, agents = trio()
    evaluator = agents[2]
    run_world(world, agents)

    asked = [n for n, act in enumerate(evaluator.observed) if (act.get("task_data") or {}).get("evaluate")]
    assert len(asked) == 1
    assert evaluator.observed[asked[0] - 1]["text"] == "100"
    assert evaluator.task_data()["evaluate"] is False


@pytest.mark.parametrize("not_a_number", ["eight", "8 legs", "", "1e3", "NaN"])
def test_a_non_numeric_answer_is_asked_for_again_and_only_the_answerer_sees_that(not_a_number):
    world, agents = trio(answerer=(not_a_number, "8", "-2", ".5"))
    asker, answerer, evaluator = agents
    saved, parleys = run_world(world, agents)

    assert [r["answer"] for r in saved["custom_data"]["rounds"]] == ["8", "-2", ".5"]
    assert parleys == 8
    assert sum("number only" in text for text in answerer.texts()) == 1
    assert not any("number only" in text for text in asker.texts() + evaluator.texts())
    assert ("Answerer", not_a_number) not in chat(asker) + chat(evaluator)


def test_the_evaluator_must_press_a_button_and_a_rejection_is_kept():
    world, agents = trio(evaluator=("looks fine to me", REJECT))
    saved, _ = run_world(world, agents)

    assert saved["custom_data"]["evaluation"] == "reject"
    assert "Please press Approve or Reject." in agents[2].texts()


@pytest.mark.parametrize("role", ["Asker", "Answerer", "Evaluator"])
@pytest.mark.parametrize("leave", [DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE],
                         ids=lambda m: m["leave"])
def test_any_role_leaving_ends_the_task_without_an_evaluation(role, leave):
    at = {"Asker": 1, "Answerer": 1, "Evaluator": 0}[role]
    world, agents = trio(**{role: {"leave_at": at, "leave": leave}})
    saved, _ = run_world(world, agents, max_parleys=8)

    data = saved["custom_data"]
    assert data["evaluation"] is None
    assert data["outcome"] == leave["leave"] and data["ended_by"] == role
    assert not any(is_leave(act) for agent in agents for act in agent.observed)


def test_a_partner_disconnect_while_the_evaluator_decides_ends_the_task():
    world, agents = trio(Evaluator={"leave_at": 0, "leave": PARTNER_DISCONNECT_MESSAGE})
    saved, parleys = run_world(world, agents, max_parleys=8)

    assert parleys == 7
    assert len(saved["custom_data"]["rounds"]) == 3
    assert saved["custom_data"]["evaluation"] is None
    assert saved["custom_data"]["outcome"] == "partner_disconnect"
    assert saved["custom_data"]["ended_by"] is None


# The custom frontend ----------------------------------------------------------------------

def frontend(scenario):
    return run_custom_js(load_task(TASK).custom_js, scenario)


def test_custom_frontend_overrides_the_answerer_and_evaluator_and_leaves_the_asker_alone():
    assert frontend("return Object.fromEntries(Object.entries(registered)"
                    ".map(([name, byAgent]) => [name, Object.keys(byAgent).sort()]));") == {
        "TextResponse": ["Answerer", "Evaluator"], "ContextView": ["Evaluator"]}
    assert frontend("return render('TextResponse', 'Asker', {});") is None


def test_evaluator_context_pane_is_the_core_one_without_the_evaluate_flag():
    shown = frontend("""
        let seen = null;
        Parley.core.ContextView = (props) => { seen = props.taskData; return null; };
        render('ContextView', 'Evaluator', {taskData: {evaluate: true, topic: 'numbers'}});
        return seen;""")
    assert shown == {"topic": "numbers"}


def test_answerer_types_into_a_number_input_and_only_numbers_are_sent():
    result = frontend("""
        const view = render('TextResponse', 'Answerer', {});
        const [input] = view.byTag('input');
        input.value = 'eight'; view.button('Send').click();
        input.value = '8'; view.button('Send').click();
        input.value = '3.5'; input.dispatch('keydown', {key: 'Enter'});
        return {type: input.attrs.type, sent, cleared: input.value};""")
    assert result == {"type": "number", "sent": ["8", "3.5"], "cleared": ""}


def test_evaluator_buttons_wait_for_the_world_then_send_the_evaluation():
    result = frontend("""
        const watching = render('TextResponse', 'Evaluator', {});
        watching.button('Approve').click();
        const deciding = render('TextResponse', 'Evaluator', {taskData: {evaluate: true}});
        deciding.button('Reject').click();
        const notMyTurn = render('TextResponse', 'Evaluator', {disabled: true, taskData: {evaluate: true}});
        notMyTurn.button('Approve').click();
        return sent;""")
    assert result == [{"text": "I reject this conversation.", "task_data": {"evaluation": "reject"}}]
