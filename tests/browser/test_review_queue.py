"""Reviewing in Chromium by keyboard alone: a 20-assignment run walked with the review queue
(approve, reject with a reason, a bonus, skip and back) until every assignment is decided,
each action in the audit log once; and a two-worker conversation where the keys act on the
worker selected with the keyboard."""
from __future__ import annotations

from collections import Counter

from playwright.sync_api import expect

from tests.support.browser import SCREENSHOTS
from tests.support.builders import run_of_conversations


def unit_is(page, assignment_id):
    """Wait for the queue to show the unit, with its keys ready (the deferred script ran)."""
    expect(page.locator("[data-unit]")).to_have_attribute("data-unit", assignment_id)
    page.wait_for_load_state("domcontentloaded")


def selected(page, card):
    """Wait for `card` to be the selected worker's, on a page whose keys are ready."""
    expect(card).to_have_attribute("aria-current", "true")
    page.wait_for_load_state("domcontentloaded")


def test_a_twenty_assignment_run_is_reviewed_with_the_queue_by_keyboard_alone(reviewer, site):
    url, handler = site
    built = run_of_conversations(handler, 10)
    run_id = built[0].run_id
    units = [a for conversation in built for a in conversation.assignments]
    assert len(units) == 20
    reviewer.goto(f"{url}/runs/{run_id}")
    reviewer.keyboard.press("q")
    unit_is(reviewer, units[0])
    SCREENSHOTS.mkdir(exist_ok=True)
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-queue.png"), full_page=True)

    rejected = {units[n] for n in (1, 7, 13, 19)}
    for n, unit in enumerate(units):
        unit_is(reviewer, unit)
        if n == 2:  # a bonus stays on the unit; the verdict then moves on
            reviewer.keyboard.press("b")
            reviewer.keyboard.type("0.50")
            reviewer.keyboard.press("Tab")
            reviewer.keyboard.type("A careful answer.")
            reviewer.keyboard.press("Enter")
            expect(reviewer.locator(".flash--ok")).to_have_text("Bonus paid.")
            unit_is(reviewer, unit)
        if n == 3:  # skipped, then reached again by going back
            reviewer.keyboard.press("s")
            unit_is(reviewer, units[4])
            reviewer.keyboard.press("k")
            unit_is(reviewer, unit)
        if unit in rejected:
            reviewer.keyboard.press("r")
            reviewer.keyboard.type("Answered a different question.")
            reviewer.keyboard.press("Enter")
            expect(reviewer.locator(".flash--ok")).to_have_text("Rejected.")
        else:
            reviewer.keyboard.press("a")
            expect(reviewer.locator(".flash--ok")).to_have_text("Approved.")

    expect(reviewer.locator(".queue__end")).to_contain_text("Nothing left in this queue.")
    expect(reviewer.locator("h1 + p")).to_contain_text("0 to review in this run")
    statuses = {unit: handler.get_assignment_data(unit)["status"] for unit in units}
    assert statuses == {unit: "rejected" if unit in rejected else "approved" for unit in units}
    actions = handler.get_review_actions(run_id=run_id)
    assert all(a["outcome"] == "succeeded" and a["actor"] == "reviewer" for a in actions)
    assert Counter((a["assignment_id"], a["action"]) for a in actions) == Counter(
        [(unit, "reject" if unit in rejected else "approve") for unit in units] + [(units[2], "bonus")])


def test_on_a_two_worker_conversation_the_keys_act_on_the_worker_selected_by_keyboard(reviewer, site):
    url, handler = site
    [built] = run_of_conversations(handler, 1)
    first, second = built.assignments
    reviewer.goto(f"{url}/runs/{built.run_id}/conversations/{built.conversation_id}")
    cards = {a: reviewer.locator(f'article[data-assignment="{a}"]') for a in built.assignments}
    selected(reviewer, cards[first])
    expect(cards[first].locator(".worker__selected")).to_be_visible()
    reviewer.keyboard.press("2")
    expect(cards[second]).to_have_attribute("aria-current", "true")
    expect(cards[first]).not_to_have_attribute("aria-current", "true")
    expect(cards[first].locator(".worker__selected")).to_be_hidden()
    reviewer.keyboard.press("a")
    expect(reviewer.locator(".flash--ok")).to_have_text("Approved.")
    assert handler.get_assignment_data(second)["status"] == "approved"
    assert handler.get_assignment_data(first)["status"] == "completed"
    selected(reviewer, cards[first])  # moved on to the one left
    reviewer.keyboard.press("w")
    expect(cards[second]).to_have_attribute("aria-current", "true")
    reviewer.keyboard.press("w")
    expect(cards[first]).to_have_attribute("aria-current", "true")
    reviewer.keyboard.press("r")
    expect(cards[first].get_by_label("Rejection reason")).to_be_focused()
    reviewer.keyboard.type("Did not answer.")
    reviewer.keyboard.press("Enter")
    expect(reviewer.locator(".flash--ok")).to_have_text("Rejected.")
    expect(reviewer.locator("h1")).to_have_text(built.run_id)  # nothing left: back to the run
    assert handler.get_assignment_data(first)["status"] == "rejected"
    assert [(a["assignment_id"], a["action"]) for a in handler.get_review_actions(run_id=built.run_id)] == [
        (second, "approve"), (first, "reject")]
