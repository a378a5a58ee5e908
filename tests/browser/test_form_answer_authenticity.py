"""How a worker composed a form's free-text answers, recorded by the real form page in
Chromium: an answer typed key by key has no flag, one pasted is flagged "pasted" for its field,
and each answer's signals are stored with it."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.test_form_task import submit
from tests.support.browser import wait_until
from tests.support.form_tasks import dialog_rating_copy

TYPED = "The assistant pointed to the forecast."


def choose_the_rest(page: Page, item_id: str) -> None:
    item = page.locator(f'.parley-form-item[data-item-id="{item_id}"]')
    for select in item.locator(".parley-field__turn-label").all():
        select.select_option("good")
    item.locator('[data-field="overall"] input[value="4"]').check()
    item.locator('[data-field="on_topic"] input[value="yes"]').check()
    item.locator('[data-field="engaging"] input[type="range"]').fill("7")


def test_a_typed_answer_has_no_flags_and_a_pasted_one_is_flagged_pasted(start, new_page, tmp_path):
    task = dialog_rating_copy(tmp_path, item_ids=["weather", "recipe"], items_per_assignment=2,
                              annotations_per_item=1, gold_rate=0)
    runner = start(str(task))
    page = new_page(1100, 900)
    page.goto(runner.link("W1"))
    expect(page.locator(".parley-form-item")).to_have_count(2)
    first, second = page.locator(".parley-form-item").evaluate_all("els => els.map(e => e.dataset.itemId)")

    choose_the_rest(page, first)
    page.locator(f'.parley-form-item[data-item-id="{first}"] [data-field="summary"] input').click()
    page.keyboard.type(TYPED, delay=60)
    submit(page, first)

    copied = page.locator(f'.parley-form-item[data-item-id="{first}"] .parley-item__turn').first.inner_text()
    page.locator(f'.parley-form-item[data-item-id="{first}"] .parley-item__turn').first.click(click_count=3)
    page.keyboard.press("Control+C")
    choose_the_rest(page, second)
    page.locator(f'.parley-form-item[data-item-id="{second}"] [data-field="summary"] input').click()
    page.keyboard.press("Control+V")
    submit(page, second)

    def answers() -> dict[str, dict]:
        return {row["item_id"]: row.as_dict() for row in runner.handler.get_form_answers(runner.run_id)}

    wait_until(lambda: len(answers()) == 2, message="both items' answers are stored")
    typed, pasted = answers()[first], answers()[second]
    assert typed["answers"]["summary"] == TYPED and typed["flags"] == []
    assert typed["signals"]["summary"]["keys"] == len(TYPED)
    assert copied.split()[-1] in pasted["answers"]["summary"]
    assert [(f["field"], f["flag"]) for f in pasted["flags"]] == [("summary", "pasted")]
    assert pasted["signals"]["summary"]["pasted_count"] == 1
