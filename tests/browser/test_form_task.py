"""A form task in a real browser: two workers each answer their dialog_rating items on the
page (every field type, per-turn labels), a bad answer is refused next to its field (by the
page's own check, and by the server's when the page's is bypassed), and afterwards every
item is answered twice in the store, and a reviewer sees each worker's answers on the
dashboard's review page."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.integration.test_task_context_live import mturk
from tests.support.browser import SCREENSHOTS, open_work
from tests.support.form_tasks import dialog_rating_copy

SHORT_SUMMARY = "Too short"
SHORT_TEXT = "Please write at least 10 characters (you wrote 9)."


def fill_item(page: Page, item_id: str, summary: str) -> None:
    item = page.locator(f'.parley-form-item[data-item-id="{item_id}"]')
    for select in item.locator(".parley-field__turn-label").all():
        select.select_option("good")
    item.locator('[data-field="overall"] input[value="4"]').check()
    item.locator('[data-field="on_topic"] input[value="yes"]').check()
    item.locator('[data-field="problems"] input[value="unclear"]').check()
    item.locator('[data-field="engaging"] input[type="range"]').fill("7")
    item.locator('[data-field="summary"] input').fill(summary)
    item.locator('[data-field="comments"] textarea').fill("Nothing else.")


def submit(page: Page, item_id: str) -> None:
    page.locator(f'.parley-form-item[data-item-id="{item_id}"] .parley-form-item__submit').click()


def test_two_workers_answer_every_item_twice_and_a_bad_answer_is_refused_by_its_field(store_url, tmp_path,
                                                                                        start, new_page,
                                                                                        site, reviewer, marketplace):
    # Two ordinary dialogs and a gold, three items an assignment: two workers answer each dialog twice.
    task = dialog_rating_copy(tmp_path, item_ids=["weather", "recipe", "gold-capital"], items_per_assignment=3,
                              annotations_per_item=2, gold_rate=0.34)
    provider = None if marketplace is None else mturk(marketplace, block_qualification="parley_dialog_rating_block")
    runner = start(str(task), num_conversations=2, provider=provider)
    handler = runner.handler
    for n, worker_id in enumerate(("AW1", "AW2")):
        page = new_page(1100, 900)
        open_work(page, runner, marketplace, worker_id, n)
        expect(page.locator(".parley-form-item")).to_have_count(3)
        ids = page.locator(".parley-form-item").evaluate_all("els => els.map(e => e.dataset.itemId)")
        assert sorted(ids) == ["gold-capital", "recipe", "weather"]
        first = ids[0]
        fill_item(page, first, SHORT_SUMMARY)
        submit(page, first)
        error = page.locator(f'.parley-form-item[data-item-id="{first}"] [data-field="summary"] .parley-field__error')
        expect(error).to_have_text(SHORT_TEXT)
        if n == 1:  # past the page's own check, the server refuses it the same way
            page.evaluate("([id]) => Parley.page.client.sendAnswer(id, {summary: 'no'})", [first])
            expect(page.locator(f'.parley-form-item[data-item-id="{first}"] [data-field="overall"] '
                                ".parley-field__error")).to_have_text("This answer is required.")
        assert handler.get_form_answers(runner.run_id, worker_id=worker_id) == []
        for item_id in ids:
            if item_id != first:
                fill_item(page, item_id, "A helpful, short answer.")
            else:
                page.locator(f'.parley-form-item[data-item-id="{first}"] [data-field="summary"] input').fill(
                    "A helpful, short answer.")
            submit(page, item_id)
            expect(page.locator(f'.parley-form-item[data-item-id="{item_id}"]')).to_have_attribute(
                "data-answered", "true")
        done = page.get_by_role("button", name=re.compile("done", re.I))
        expect(done).to_be_enabled()
        done.click()
        if marketplace is None:
            expect(page.locator("#parley-banner")).to_contain_text("submitted")
        else:  # the page posted its submission form to MTurk
            expect(page.locator("body")).to_have_text("Submitted to MTurk.")
    answers = handler.get_form_answers(runner.run_id)
    per_item: dict[str, list[str]] = {}
    for row in answers:
        per_item.setdefault(row["item_id"], []).append(row["worker_id"])
    assert {k: sorted(v) for k, v in per_item.items()} == {
        "weather": ["AW1", "AW2"], "recipe": ["AW1", "AW2"], "gold-capital": ["AW1", "AW2"]}
    assert all(row["gold_correct"] for row in answers if row["is_gold"])
    first_row = next(row for row in answers if row["item_id"] == "weather")
    assert first_row["answers"] == {"turns": ["good", "good", "good"], "overall": 4, "on_topic": "yes",
                                    "problems": ["unclear"], "engaging": 7, "summary": "A helpful, short answer.",
                                    "comments": "Nothing else."}
    assert runner.manager.wait(15)
    assert handler.get_run_data(runner.run_id)["status"] == "completed"

    for pairing in handler.get_pairings_for_run(runner.run_id):
        reviewer_sees_the_answers(reviewer, site[0], handler, runner.run_id, pairing)


def reviewer_sees_the_answers(reviewer: Page, url: str, handler, run_id: str, pairing) -> None:
    """The review page of the worker's assignment shows each of their items with their
    answers, the gold marked right; approving it goes through."""
    reviewer.goto(f"{url}/runs/{run_id}/conversations/{pairing['conversation_id']}")
    expect(reviewer.locator(".form-item")).to_have_count(3)
    weather = reviewer.locator('.form-item[data-item-id="weather"]')
    expect(weather.locator(".parley-item__turn").first).to_contain_text("Will it rain in Paris tomorrow?")
    expect(weather.locator('[data-field="summary"] .text')).to_have_text("A helpful, short answer.")
    # filled in by Playwright, not typed: the review page says so
    expect(weather.locator('[data-field="summary"] .badge[data-flag="inserted"]')).to_have_text("inserted text")
    expect(weather.locator('[data-field="overall"]')).to_have_text("4 · Good")
    expect(weather.locator('[data-field="turns"] li')).to_have_text(["Good", "Good", "Good"])
    expect(reviewer.locator('.form-item[data-item-id="gold-capital"] [data-gold]')).to_have_text("gold: right")
    SCREENSHOTS.mkdir(exist_ok=True)
    reviewer.screenshot(path=str(SCREENSHOTS / f"dashboard-form-review-{pairing['worker_id']}.png"), full_page=True)
    reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.locator(".flash--ok")).to_have_text("Approved.")
    assert handler.get_assignment_data(pairing["assignment_id"])["status"] == "approved"
