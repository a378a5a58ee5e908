"""A reviewer in Chromium: approves a whole run's complete work from a preview that lists
every assignment and the money before anything is done, watches the job finish, overrides a
rejection with a reason, and lifts a block from the worker's page."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.support.browser import SCREENSHOTS
from tests.support.builders import completed_conversation


def submitted_run(handler, conversations: int = 2):
    """A local run whose conversations all finished, every worker's work submitted."""
    first = completed_conversation(handler, provider="local", conversation_id="t_0", workers=("W0a", "W0b"))
    built = [first, *(completed_conversation(handler, run_id=first.run_id, provider="local", conversation_id=f"t_{n}",
                                             workers=(f"W{n}a", f"W{n}b")) for n in range(1, conversations))]
    for part in built:
        for worker_id, assignment_id in zip(part.workers, part.assignments):
            handler.log_submit_assignment(worker_id, assignment_id)
    return first.run_id, [a for part in built for a in part.assignments]


def test_a_run_wide_approve_shows_its_preview_then_approves_each_once_even_confirmed_twice(reviewer, site):
    url, handler = site
    run_id, assignments = submitted_run(handler)
    reviewer.goto(f"{url}/runs/{run_id}")
    reviewer.get_by_text("Run-wide…").click()
    reviewer.get_by_role("link", name="Approve all work the world marked complete…").click()
    expect(reviewer.locator("h1")).to_have_text("Approve all work the world marked complete")
    expect(reviewer.locator("[data-summary]")).to_contain_text("4 assignments · $2.00 in USD")
    rows = reviewer.locator("[data-preview] tbody tr")
    expect(rows).to_have_count(4)
    for assignment_id in assignments:
        expect(rows.filter(has_text=assignment_id)).to_have_count(1)
    assert {handler.get_assignment_data(a)["status"] for a in assignments} == {"submitted"}
    SCREENSHOTS.mkdir(exist_ok=True)
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-bulk-preview.png"), full_page=True)
    second_tab = reviewer.context.new_page()  # the same preview, left open in another tab
    second_tab.goto(reviewer.url)
    reviewer.get_by_role("button", name="Confirm: approve all work the world marked complete (4)").click()
    expect(reviewer.locator("[data-progress]")).to_have_attribute("data-state", "finished", timeout=15_000)
    expect(reviewer.locator('[data-count="done"]')).to_have_text("4")
    expect(reviewer.locator('[data-count="skipped"]')).to_have_text("0")
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-bulk-job.png"), full_page=True)
    assert {handler.get_assignment_data(a)["status"] for a in assignments} == {"approved"}
    for assignment_id in assignments:
        assert [a["action"] for a in handler.get_review_actions(assignment_id=assignment_id)] == ["approve"]
    second_tab.get_by_role("button", name="Confirm: approve all work the world marked complete (4)").click()
    expect(second_tab.locator("[data-progress]")).to_have_attribute("data-state", "finished")
    expect(second_tab.locator('[data-count="done"]')).to_have_text("4")  # the same job: nothing done twice
    assert len(handler.get_review_actions(run_id=run_id)) == 4


def test_a_rejection_is_overridden_from_the_conversation_page_with_a_reason(reviewer, site):
    url, handler = site
    built = completed_conversation(handler, provider="local")
    a1 = built.assignments[0]
    reviewer.goto(f"{url}/runs/{built.run_id}/conversations/{built.conversation_id}")
    card = reviewer.locator(f'article[data-assignment="{a1}"]')
    card.get_by_label("Rejection reason").fill("Off topic")
    card.get_by_role("button", name="Reject").click()
    expect(reviewer.locator(".flash--ok")).to_contain_text("Rejected.")
    card.get_by_label("Reason for overriding the rejection").fill("Checked again: it was on topic")
    card.get_by_role("button", name="Override rejection: approve").click()
    expect(reviewer.locator(".flash--ok")).to_contain_text("Rejection overridden: approved.")
    expect(card.locator(".worker__head .status")).to_have_text("approved")
    expect(card.locator("[data-override]")).to_have_count(0)
    assert handler.get_assignment_data(a1)["status"] == "approved"
    last = handler.get_review_actions(assignment_id=a1)[-1]
    assert (last["action"], last["reason"], last["outcome"]) == ("approve", "Checked again: it was on topic",
                                                                 "succeeded")


def test_a_block_is_lifted_from_the_worker_page_with_a_reason(reviewer, site):
    url, handler = site
    built = completed_conversation(handler, provider="local")
    a1, worker = built.assignments[0], built.workers[0]
    reviewer.goto(f"{url}/runs/{built.run_id}/conversations/{built.conversation_id}")
    card = reviewer.locator(f'article[data-assignment="{a1}"]')
    card.get_by_label("Block reason").fill("Low effort")
    card.get_by_role("button", name="Soft block").click()
    expect(reviewer.locator(".flash--ok")).to_contain_text("Soft-blocked.")
    reviewer.goto(f"{url}/workers")
    reviewer.get_by_label("blocked only").check()
    reviewer.get_by_role("button", name="Search").click()
    expect(reviewer.locator("[data-workers] tbody tr")).to_have_count(1)
    reviewer.get_by_role("link", name=worker).click()
    expect(reviewer.locator("h1")).to_have_text(worker)
    reviewer.get_by_label("Unblock reason").fill("Appeal upheld")
    reviewer.get_by_role("button", name="Unblock").click()
    expect(reviewer.locator(".flash--ok")).to_have_text("Unblock: lifted")
    expect(reviewer.get_by_role("button", name="Unblock")).to_have_count(0)
    assert handler.get_blocks_for_worker(worker) == []
    [unblock] = [a for a in handler.get_review_actions(worker_id=worker) if a["action"] == "unblock"]
    assert (unblock["reason"], unblock["outcome"]) == ("Appeal upheld", "succeeded")
