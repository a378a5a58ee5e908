"""dealnodeal: two negotiators divide books, hats and balls by proposals and answers."""
from __future__ import annotations

import random

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

TASK = "dealnodeal"
worlds = load_task(TASK).worlds
ITEMS = worlds.ITEMS


def propose(keep, text="Here is my offer."):
    return {"text": text, "task_data": {"proposal": keep}}


ACCEPT = {"text": "Deal.", "task_data": {"response": "accept"}}
REJECT = {"text": "No thanks.", "task_data": {"response": "reject"}}
NO_DEAL = {"text": "", "task_data": {"no_deal": True}}


def negotiation(script1, script2, **kwargs):
    one = SimulatedHuman("Negotiator1", script1, **kwargs.get("one", {}))
    two = SimulatedHuman("Negotiator2", script2, **kwargs.get("two", {}))
    world = build_world(TASK, [one, two], conversation_id=kwargs.get("conversation_id", "conv_1"))
    return world, one, two


def value_of(allocation, values):
    return sum(allocation[item] * values[item] for item in ITEMS)


def test_scenarios_are_worth_ten_to_both_with_different_values_and_no_worthless_item():
    for seed in range(200):
        counts, (first, second) = worlds.make_scenario(random.Random(seed))
        assert set(counts) == set(ITEMS) and all(1 <= n <= 4 for n in counts.values())
        assert value_of(counts, first) == value_of(counts, second) == 10
        assert first != second
        assert all(first[item] or second[item] for item in ITEMS)


def test_each_negotiator_is_sent_the_items_and_only_their_own_values():
    world, one, two = negotiation(["hi"], [NO_DEAL])
    run_world(world, [one, two])

    for agent in (one, two):
        context = agent.observed[0]["task_data"]
        assert context["items"] == world.counts
        assert context["values"] == world.values[agent.id]
        assert context["table"]["rows"] == [
            [item, world.counts[item], world.values[agent.id][item]] for item in ITEMS]
    assert world.values["Negotiator1"] != world.values["Negotiator2"]
    assert build_world(TASK, [SimulatedHuman("Negotiator1"), SimulatedHuman("Negotiator2")]).counts \
        == world.counts


def test_chat_then_rejected_then_accepted_proposal_scores_each_by_their_own_values():
    world, one, two = negotiation([], [])
    counts = world.counts
    keep_all_books = {"book": counts["book"], "hat": 0, "ball": 0}
    give_half = {item: counts[item] // 2 for item in ITEMS}
    one.script = ["I love books.", propose(keep_all_books), propose(give_half, "")]
    two.script = ["I like hats.", REJECT, ACCEPT]

    saved, parleys = run_world(world, [one, two])

    data = saved["custom_data"]
    rest = {item: counts[item] - give_half[item] for item in ITEMS}
    expected = {"Negotiator1": value_of(give_half, world.values["Negotiator1"]),
                "Negotiator2": value_of(rest, world.values["Negotiator2"])}
    assert parleys == 6
    assert data["outcome"] == "deal" and data["ended_by"] == "Negotiator2"
    assert data["deal"] == {"Negotiator1": give_half, "Negotiator2": rest}
    assert data["points"] == expected
    assert data["items"] == counts and data["values"] == world.values
    assert data["workers"] == {"Negotiator1": one.worker_id, "Negotiator2": two.worker_id}
    assert [(p["by"], p["response"]) for p in data["proposals"]] == [
        ("Negotiator1", "reject"), ("Negotiator1", "accept")]
    assert saved["worker_data"] == {
        one.worker_id: {"role": "Negotiator1", "points": expected["Negotiator1"]},
        two.worker_id: {"role": "Negotiator2", "points": expected["Negotiator2"]},
    }
    assert one.task_data()["your_points"] == expected["Negotiator1"]
    assert two.task_data()["your_points"] == expected["Negotiator2"]
    assert two.task_data()["pending_proposal"] is None


def test_partner_sees_an_open_proposal_with_what_they_would_get_and_its_worth_to_them():
    world, one, two = negotiation([], [NO_DEAL])
    keep = {"book": world.counts["book"], "hat": 0, "ball": 1}
    one.script = [propose(keep, "Books for me, please.")]
    run_world(world, [one, two])

    words, offer = two.observed[1:3]
    give = {item: world.counts[item] - keep[item] for item in ITEMS}
    worth = value_of(give, world.values["Negotiator2"])
    assert words == {"id": "Negotiator1", "text": "Books for me, please.", "episode_done": False}
    assert offer["id"] == "System"
    assert offer["task_data"]["pending_proposal"] == {"they_keep": keep, "you_get": give,
                                                      "your_points": worth}
    assert f"{worth} points for you" in offer["text"]
    assert one.task_data()["my_proposal"] is None  # cleared when the negotiation ended


def test_a_negotiators_message_reaches_the_partner_as_the_same_message_without_its_task_data():
    world, one, two = negotiation([], [])
    one.script = [{"text": "Hello!", "message_id": "m1"},
                  {"text": "Take this.", "message_id": "m2",
                   "task_data": {"proposal": {"book": 0, "hat": 0, "ball": 0}}}]
    two.script = [{"text": "Hi.", "message_id": "m3"}, {"text": "Yes!", "message_id": "m4", **ACCEPT}]
    run_world(world, [one, two])

    from_one = [act for act in two.observed if act["id"] == "Negotiator1"]
    assert from_one == [{"id": "Negotiator1", "text": "Hello!", "episode_done": False, "message_id": "m1"},
                        {"id": "Negotiator1", "text": "Take this.", "episode_done": False, "message_id": "m2"}]
    assert [act["message_id"] for act in one.observed if act["id"] == "Negotiator2"] == ["m3", "m4"]
    assert "response" not in one.task_data() and "proposal" not in two.task_data()


def test_a_counter_proposal_replaces_the_open_one_and_can_be_accepted():
    world, one, two = negotiation([], [])
    mine = {"book": world.counts["book"], "hat": 0, "ball": 0}
    theirs = {"book": 0, "hat": world.counts["hat"], "ball": world.counts["ball"]}
    one.script = [propose(mine), ACCEPT]
    two.script = [propose(theirs)]

    saved, _ = run_world(world, [one, two])

    data = saved["custom_data"]
    assert data["deal"] == {"Negotiator2": theirs, "Negotiator1": mine}
    assert [p["response"] for p in data["proposals"]] == ["countered", "accept"]


def test_no_deal_ends_the_negotiation_with_no_points():
    world, one, two = negotiation(["What do you want?"], [NO_DEAL])
    saved, parleys = run_world(world, [one, two])

    assert parleys == 2
    data = saved["custom_data"]
    assert data["outcome"] == "no_deal" and data["ended_by"] == "Negotiator2"
    assert data["deal"] is None
    assert data["points"] == {"Negotiator1": 0, "Negotiator2": 0}
    assert one.task_data()["outcome"] == "no_deal"


def test_negotiation_stops_at_the_turn_limit_without_a_deal():
    turns = worlds.MAX_TURNS
    world, one, two = negotiation(["hmm"] * turns, ["well"] * turns)
    saved, parleys = run_world(world, [one, two])

    assert parleys == turns
    assert saved["custom_data"]["outcome"] == "turn_limit"
    assert saved["custom_data"]["points"] == {"Negotiator1": 0, "Negotiator2": 0}
    assert len(one.acts) == len(two.acts) == turns // 2


@pytest.mark.parametrize("bad", [
    {"book": 99}, {"book": -1}, {"book": 1.5}, {"book": True}, {"car": 1}, "all of it"])
def test_an_impossible_proposal_is_refused_and_the_same_negotiator_goes_again(bad):
    world, one, two = negotiation([propose(bad), NO_DEAL], [])
    saved, parleys = run_world(world, [one, two])

    assert parleys == 2
    assert two.acts == []
    assert any("not possible" in text for text in one.texts())
    assert saved["custom_data"]["proposals"] == []


def test_answering_when_no_proposal_is_open_is_refused():
    world, one, two = negotiation([ACCEPT, "Hello"], [NO_DEAL])
    saved, _ = run_world(world, [one, two])

    assert "There is no proposal from your partner to answer." in one.texts()
    assert saved["custom_data"]["outcome"] == "no_deal"
    assert [act["text"] for act in two.observed if act["id"] == "Negotiator1"] == ["Hello"]


@pytest.mark.parametrize("leave", [DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE],
                         ids=lambda m: m["leave"])
def test_a_negotiator_leaving_with_a_proposal_open_ends_it_with_no_points(leave):
    world, one, two = negotiation([], [], two={"leave_at": 0, "leave": leave})
    one.script = [propose({"book": 1, "hat": 0, "ball": 0})]
    saved, parleys = run_world(world, [one, two], max_parleys=3)

    data = saved["custom_data"]
    assert parleys == 2
    assert data["outcome"] == leave["leave"] and data["ended_by"] == "Negotiator2"
    assert data["points"] == {"Negotiator1": 0, "Negotiator2": 0}
    assert data["deal"] is None
    assert not any(is_leave(act) for act in one.observed)


def test_the_partner_disconnect_reported_to_the_negotiator_who_stayed_ends_it():
    world, one, two = negotiation([], [], one={"leave_at": 0, "leave": PARTNER_DISCONNECT_MESSAGE})
    saved, parleys = run_world(world, [one, two], max_parleys=2)

    assert parleys == 1
    assert saved["custom_data"]["outcome"] == "partner_disconnect"
    assert saved["custom_data"]["ended_by"] is None
    assert saved["custom_data"]["points"] == {"Negotiator1": 0, "Negotiator2": 0}


# The custom frontend ----------------------------------------------------------------------

CONTEXT = "const taskData = {items: {book: 3, hat: 1, ball: 2}, values: {book: 2, hat: 2, ball: 1}};"


def frontend(scenario):
    return run_custom_js(load_task(TASK).custom_js, CONTEXT + scenario)


def test_custom_frontend_replaces_context_view_and_text_response_for_every_negotiator():
    assert frontend("return Object.fromEntries(Object.entries(registered)"
                    ".map(([name, byAgent]) => [name, Object.keys(byAgent)]));") == {
        "ContextView": ["default"], "TextResponse": ["default"]}


def test_context_view_shows_the_items_with_your_values_and_an_open_offer():
    shown = frontend("""
        const plain = render('ContextView', 'Negotiator1', {taskData});
        const offer = render('ContextView', 'Negotiator1', {taskData: Object.assign({
            pending_proposal: {they_keep: {book: 3, hat: 0, ball: 0},
                               you_get: {book: 0, hat: 1, ball: 2}, your_points: 4}}, taskData)});
        return {rows: plain.byTag('tr').slice(1).map((tr) => tr.byTag('td').map((td) => td.textContent)),
                offer: offer.textContent};""")
    assert shown["rows"] == [["books", "3", "2"], ["hats", "1", "2"], ["balls", "2", "1"]]
    assert "offers you 1 hat, 2 balls, worth 4 points to you" in shown["offer"]


def test_propose_sends_what_you_keep_as_a_proposal_with_a_readable_text():
    sent = frontend("""
        const view = render('TextResponse', 'Negotiator1', {taskData});
        const [books, hats, balls] = view.byTag('select');
        books.choose(2); balls.choose(1);
        view.button('Propose').click();
        return {sent, preview: view.findAll((n) => n.attrs.class === 'dnd-preview')[0].textContent,
                core: view.byTag('core-text-response').length};""")
    assert sent["sent"] == [{"text": "I propose: I keep 2 books, 1 ball; you get 1 book, 1 hat, 1 ball.",
                             "task_data": {"proposal": {"book": 2, "hat": 0, "ball": 1}}}]
    assert sent["preview"] == "worth 5 points to you"
    assert sent["core"] == 1


def test_accept_and_reject_work_only_while_an_offer_is_open_and_no_deal_always_does():
    result = frontend("""
        const closed = render('TextResponse', 'Negotiator2', {taskData});
        closed.button('Accept').click(); closed.button('Reject').click(); closed.button('No deal').click();
        const open = render('TextResponse', 'Negotiator2', {taskData: Object.assign(
            {pending_proposal: {they_keep: {}, you_get: {}, your_points: 0}}, taskData)});
        open.button('Accept').click(); open.button('Reject').click();
        return sent.map((act) => act.task_data);""")
    assert result == [{"no_deal": True}, {"response": "accept"}, {"response": "reject"}]


def test_nothing_can_be_sent_while_it_is_not_your_turn_or_after_the_outcome():
    result = frontend("""
        const offer = {pending_proposal: {they_keep: {}, you_get: {}, your_points: 0}};
        const waiting = render('TextResponse', 'Negotiator1', {disabled: true, taskData: Object.assign({}, offer, taskData)});
        const over = render('TextResponse', 'Negotiator1', {taskData: Object.assign({outcome: 'deal'}, offer, taskData)});
        return [waiting, over].map((view) => view.byTag('button').concat(view.byTag('select'))
            .every((el) => el.disabled));""")
    assert result == [True, True]
