"""The reviewer's runs list and run page on a phone (390×844), with long run, conversation and
worker ids: the page itself never scrolls sideways; its wide tables scroll inside their own
box instead, and nothing else pokes out of the screen. Screenshots land in
tests/browser/screenshots/dashboard-phone-*.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD
from tests.support.browser import SCREENSHOTS
from tests.support.builders import completed_conversation

PHONE = {"width": 390, "height": 844}
LONG_RUN = "qa_data_collection_" + "a_long_run_identifier_" + "1764860"
"""As long as a run id can be when the ids made from it (an assignment's: the run id, "-A", the
conversation id and a number; a message's client id from that) keep within the store's 64
characters, which PostgreSQL enforces."""
LONG_WORKERS = ("A" + "3KQ8ZJ1VX7R2M" * 3, "A" + "9PLD0W4TB6YHN" * 3)
MEASURE = """() => {
    const width = document.documentElement.clientWidth;
    const outside = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (!box.width || el.closest('.table')) continue;  // the tables scroll inside themselves
        if (box.right > width + 1 || box.left < -1) outside.push(el.tagName.toLowerCase() + '.' + el.className);
    }
    const tables = Array.from(document.querySelectorAll('.table')).map((t) => ({
        scrolls: t.scrollWidth > t.clientWidth, overflowX: getComputedStyle(t).overflowX,
        right: t.getBoundingClientRect().right}));
    return {scrollWidth: document.scrollingElement.scrollWidth, width: width, outside: outside,
            tables: tables, bodyOverflowX: getComputedStyle(document.body).overflowX};
}"""


@pytest.fixture
def phone(new_page, site) -> Page:
    """A reviewer logged in on a phone."""
    url, _ = site
    page = new_page(PHONE["width"], PHONE["height"])
    page.goto(url + "/login")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Runs")
    return page


def fits_the_phone(page: Page, name: str) -> dict:
    measured = page.evaluate(MEASURE)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-phone-{name}.png"), full_page=True)
    assert measured["scrollWidth"] <= PHONE["width"] == measured["width"], measured
    assert measured["outside"] == [], measured["outside"]
    assert measured["bodyOverflowX"] == "visible"  # nothing is hidden away to make it fit
    for table in measured["tables"]:
        assert table["right"] <= PHONE["width"] + 1, measured["tables"]
    return measured


def test_the_runs_list_and_a_run_page_fit_a_phone_and_their_tables_scroll_inside(phone, site):
    url, handler = site
    run_id = handler.log_new_run(5, "qa_data_collection", LONG_RUN, provider="mturk", reward="0.50")
    conversation = "t_7"
    completed_conversation(handler, run_id=run_id, conversation_id=conversation, workers=LONG_WORKERS)

    phone.goto(url + "/")
    expect(phone.get_by_role("link", name=LONG_RUN)).to_be_attached()
    runs = fits_the_phone(phone, "runs")
    assert any(t["scrolls"] and t["overflowX"] == "auto" for t in runs["tables"]), runs["tables"]

    phone.goto(f"{url}/runs/{run_id}")
    expect(phone.locator("h1")).to_have_text(LONG_RUN)
    run = fits_the_phone(phone, "run")
    assert any(t["scrolls"] and t["overflowX"] == "auto" for t in run["tables"]), run["tables"]

    # What a table holds is still there: scrolled to, the worker's link is on screen.
    worker = phone.get_by_role("link", name=LONG_WORKERS[1])
    worker.scroll_into_view_if_needed()
    expect(worker).to_be_in_viewport()
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
