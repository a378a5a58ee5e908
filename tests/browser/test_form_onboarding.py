"""A form task's onboarding gold test in a real browser: the worker answers the onboarding
items on the same form page (the server refusing a wrong-shaped answer next to its field),
and once they pass, the page shows the task's items in their place."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_form_task import fill_item, submit
from tests.integration.test_form_onboarding import TASK_ITEMS, onboarded_task


def test_a_worker_answers_the_onboarding_items_on_the_form_page_then_gets_the_tasks_items(start, new_page, tmp_path):
    runner = start(str(onboarded_task(tmp_path)), num_conversations=2)
    page = new_page(1100, 900)
    page.goto(runner.link("AW1"))
    expect(page.locator("#parley-banner")).to_have_attribute("data-state", "onboarding")
    items = page.locator(".parley-form-item")
    expect(items).to_have_count(2)
    assert items.evaluate_all("els => els.map(e => e.dataset.itemId)") == ["intro-capital", "intro-offtopic"]
    # past the page's own check, the server refuses an onboarding answer the same way
    page.evaluate("() => Parley.page.client.sendAnswer('intro-capital', {summary: 'no'})")
    expect(page.locator('.parley-form-item[data-item-id="intro-capital"] [data-field="overall"] '
                        ".parley-field__error")).to_have_text("This answer is required.")
    for item_id, on_topic in (("intro-capital", "yes"), ("intro-offtopic", "no")):
        fill_item(page, item_id, "A helpful, short answer.")
        page.locator(f'.parley-form-item[data-item-id="{item_id}"] [data-field="on_topic"] '
                     f'input[value="{on_topic}"]').check()
        submit(page, item_id)
    expect(items).to_have_count(1)
    [task_item] = items.evaluate_all("els => els.map(e => e.dataset.itemId)")
    assert task_item in TASK_ITEMS
    expect(page.locator("#parley-banner")).to_have_attribute("data-state", "in_task")
    fill_item(page, task_item, "A helpful, short answer.")
    submit(page, task_item)
    expect(items.first).to_have_attribute("data-answered", "true")
    assert runner.handler.get_onboarding_data(runner.handler.get_assignments_for_run(runner.run_id)[0]
                                              ["assignment_id"])["passed"] in (True, 1)
