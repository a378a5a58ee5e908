"""multi_agent_dialog's local human in a real browser: the person at the runner opens the
link the run gives for LocalAgent, is shown as LocalAgent, types on their turn, is offered
nothing to return or submit, and is told when the conversation is over."""
from __future__ import annotations

from playwright.sync_api import expect


def test_the_local_human_plays_localagent_in_a_browser_at_their_link(start, open_page):
    runner = start("multi_agent_dialog")
    one, two = runner.join("W1"), runner.join("W2")
    page = open_page(runner.local_human_link())
    expect(page.locator("#parley-role")).to_contain_text("You are LocalAgent (host)")
    expect(page.locator("#parley-turn")).to_have_text("Your turn.")
    expect(page.get_by_role("button", name="Return task")).to_have_count(0)

    box = page.locator("#parley-input textarea")
    box.fill("Thanks for coming, that's all! [DONE]")
    box.press("Enter")
    expect(page.locator(".parley-row--self").last).to_have_attribute("data-status", "sent")
    one.say("Bye!")
    two.say("Bye bye!")
    expect(page.locator("#parley-messages .parley-row--other .parley-message__text")).to_have_text(
        ["Bye!", "Bye bye!"])
    expect(page.locator("#parley-banner")).to_have_text("The conversation is over. Thank you! You can close this page.")
    expect(page.locator("#parley-input")).to_be_hidden()
    expect(page.get_by_role("button", name="Done")).to_have_count(0)
    for worker in (one, two):
        worker.wait_state("done")
