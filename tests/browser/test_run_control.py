"""Run control in Chromium: a reviewer stops a live run (served by a runner the webapp does
not hold, which hears of the stop through the store) and discards a test run, each through its
confirmation page, and the discarded run leaves the runs list until "discarded runs" is ticked."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.support.browser import SCREENSHOTS


def confirm(reviewer, button: str, action: str) -> None:  # type: ignore[no-untyped-def]
    reviewer.get_by_role("link", name=button).click()
    expect(reviewer.locator("h1")).to_have_text(f"{action.capitalize()} this run?")
    reviewer.get_by_role("button", name=f"Yes, {action} it").click()


def test_a_reviewer_stops_a_live_run_from_its_page(reviewer, site, start):
    url, handler = site
    runner = start("tests/support/tasks/pair_chat")
    alice, bob = runner.join("alice"), runner.join("bob")
    for worker in (alice, bob):
        worker.wait_state("in_task")
    reviewer.goto(f"{url}/runs/{runner.run_id}")
    expect(reviewer.locator(".status").first).to_have_text("running")

    reviewer.get_by_role("link", name="Stop run").click()
    expect(reviewer.locator(".card p").first).to_contain_text(f"Stop run {runner.run_id}: nobody new is let in")
    SCREENSHOTS.mkdir(exist_ok=True)
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-stop-confirm.png"), full_page=True)
    reviewer.get_by_role("button", name="Yes, stop it").click()

    expect(reviewer.locator(".flash--ok")).to_contain_text(f"Run {runner.run_id}'s runner was asked to stop it")
    assert runner.manager.wait(30), "the runner did not hear of the stop"
    reviewer.reload()
    expect(reviewer.locator(".status").first).to_have_text("stopped")
    expect(reviewer.get_by_role("link", name="Stop run")).to_have_count(0)
    assert handler.get_run_data(runner.run_id)["status"] == "stopped"


def test_a_reviewer_stops_and_discards_a_test_run_and_finds_it_only_under_discarded_runs(reviewer, site):
    url, handler = site
    reviewer.goto(f"{url}/app/tasks/qa_data_collection")
    reviewer.get_by_role("button", name="Start a test run").click()
    run_link = reviewer.locator("[data-test-run] h2 a").first
    run_id = run_link.inner_text()
    run_link.click()
    expect(reviewer.get_by_role("link", name="Discard")).to_have_count(0)  # running: stop it first

    confirm(reviewer, "Stop run", "stop")
    expect(reviewer.locator(".flash--ok")).to_have_text(f"Run {run_id} was stopped.")
    confirm(reviewer, "Discard", "discard")
    expect(reviewer.locator(".flash--ok")).to_contain_text(f"Run {run_id} was discarded")
    expect(reviewer.locator(".notice").first).to_contain_text("Discarded at")

    reviewer.goto(f"{url}/")
    reviewer.get_by_label("test runs").check()
    reviewer.get_by_role("button", name="Filter").click()
    expect(reviewer.get_by_role("link", name=run_id)).to_have_count(0)
    reviewer.get_by_label("discarded runs").check()
    reviewer.get_by_role("button", name="Filter").click()
    row = reviewer.locator("tr", has=reviewer.get_by_role("link", name=run_id))
    expect(row.locator(".tag", has_text="discarded")).to_be_visible()
    assert handler.get_run_data(run_id)["status"] == "stopped"  # and its data is all still there
