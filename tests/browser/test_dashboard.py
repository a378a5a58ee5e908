"""The reviewer's dashboard in Chromium: log in, read a conversation whose workers typed
markup (none of it runs), approve with the keyboard, watch the live monitor update without
a reload. Screenshots of the main pages land in tests/browser/screenshots/."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.support.browser import PAYLOADS, SCREENSHOTS
from tests.support.builders import assignment_in, completed_conversation


def test_worker_markup_runs_no_script_and_approve_works_from_the_keyboard(reviewer, site):
    url, handler = site
    built = completed_conversation(handler, provider="local")
    for n, payload in enumerate(PAYLOADS):
        handler.log_message(built.run_id, built.conversation_id, "Asker", {"text": payload},
                            worker_id=built.workers[0], assignment_id=built.assignments[0],
                            client_msg_id=f"xss{n}")
    reviewer.goto(f"{url}/runs/{built.run_id}")
    SCREENSHOTS.mkdir(exist_ok=True)
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-run.png"), full_page=True)
    reviewer.keyboard.press("n")
    expect(reviewer.locator("h1")).to_have_text(f"Conversation {built.conversation_id}")
    for payload in PAYLOADS:
        expect(reviewer.locator(".message__text", has_text=payload)).to_have_count(1)
    assert reviewer.locator("#evil").count() == 0
    assert reviewer.evaluate("window.__pwned") is None
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-conversation.png"), full_page=True)
    reviewer.keyboard.press("a")
    expect(reviewer.locator(".flash--ok")).to_have_text("Approved.")
    assert handler.get_assignment_data(built.assignments[0])["status"] == "approved"
    assert [a["action"] for a in handler.get_review_actions()] == ["approve"]
    assert reviewer.evaluate("window.__pwned") is None


def test_the_live_monitor_updates_without_a_reload(reviewer, site):
    url, handler = site
    reviewer.goto(url + "/live")
    expect(reviewer.locator("[data-live-empty]")).to_be_visible()
    run_id = handler.log_new_run(2, "dealnodeal", provider="local")
    assignment_in(handler, run_id, "W1", 1, "waiting")
    row = reviewer.locator(f'tr[data-run="{run_id}"]')
    expect(row).to_be_visible(timeout=10_000)
    expect(row.locator("td").nth(4)).to_have_text("1")  # waiting
    assignment_in(handler, run_id, "W2", 2, "in_task")
    expect(row.locator("td").nth(5)).to_have_text("1", timeout=10_000)  # in conversation
    expect(reviewer.locator("[data-live-empty]")).to_be_hidden()
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-live.png"), full_page=True)
    reviewer.goto(url + "/")
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-runs.png"), full_page=True)
