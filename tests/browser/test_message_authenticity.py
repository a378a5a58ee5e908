"""How a worker's message was composed, recorded by the real chat page in Chromium and
checked by the runner: typed key by key, it has no flag; pasted, it is flagged "pasted" (or,
when the task refuses pasting, the paste is blocked with the task's words and nothing is
stored); inserted without key presses (as an extension or a script does), "inserted"."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from runner.authenticity import DEFAULT_COMPOSITION_NOTICE
from tests.integration.test_export import csv_rows, jsonl_lines
from tests.support.browser import SCREENSHOTS, wait_until
from tests.support.live_runner import LiveRunner, task_with_config

REFUSED_TEXT = "Merci d'écrire vous-même : ici, on ne colle pas."
NOTICE = "We record how long you take to write and whether you paste; never your keys."


def worker_page(runner: LiveRunner, open_page) -> Page:  # type: ignore[no-untyped-def]
    """Alice's page, paired with Bob's, ready to write."""
    alice, bob = open_page(runner.link("W1")), open_page(runner.link("W2"))
    expect(alice.locator("#parley-messages")).to_contain_text("You are Alice.")
    expect(bob.locator("#parley-messages")).to_contain_text("You are Bob.")
    return alice


def alices_messages(runner: LiveRunner) -> list[dict]:
    return [m for m in runner.handler.get_messages(runner.run_id, "t_1") if m["worker_id"] == "W1"]


def sent_and_stored(runner: LiveRunner, page: Page) -> dict:
    """Press Enter in the box; the message Alice's page sent, once stored."""
    page.locator("#parley-input textarea").press("Enter")
    wait_until(lambda: alices_messages(runner), message="Alice's message is stored")
    [message] = alices_messages(runner)
    return message


def copy_task_description(page: Page) -> str:
    """Select the task description's text and copy it, as a worker with a mouse does."""
    page.locator("#parley-task p").first.click(click_count=3)
    page.keyboard.press("Control+C")
    return page.locator("#parley-task p").first.inner_text()


def paste_a_message(runner: LiveRunner, page: Page) -> tuple[str, dict]:
    """Alice copies the task description, pastes it into the box and sends it: what she
    copied, and her message once stored."""
    copied = copy_task_description(page)
    page.locator("#parley-input textarea").click()
    page.keyboard.press("Control+V")
    return copied, sent_and_stored(runner, page)


def test_a_worker_who_types_key_by_key_sends_a_message_with_no_flags(start, open_page):
    runner = start("pair_chat")
    page = worker_page(runner, open_page)
    expect(page.locator("#parley-composition-notice")).to_have_text(DEFAULT_COMPOSITION_NOTICE)
    text = "Hello Bob, I typed this one myself."
    page.locator("#parley-input textarea").click()
    page.keyboard.type(text, delay=100)

    message = sent_and_stored(runner, page)
    assert message["text"] == text
    assert message["flags"] == []
    assert message["signals"]["chars"] == len(text) and message["signals"]["keys"] == len(text)
    assert message["signals"]["pasted_count"] == message["signals"]["inserted_chars"] == 0


def test_a_worker_who_pastes_is_flagged_pasted(start, open_page):
    runner = start("pair_chat")
    copied, message = paste_a_message(runner, worker_page(runner, open_page))
    assert copied.strip() in message["text"]
    assert [f["flag"] for f in message["flags"]] == ["pasted"]
    assert message["signals"]["pasted_count"] == 1 and message["signals"]["keys"] == 0

    _, rows = csv_rows(runner.handler, runner.run_id)  # the export carries what the page recorded
    [row] = [r for r in rows if r["worker_id"] == "W1"]
    assert (row["flags"], row["signal_pasted_count"], row["signal_keys"]) == ("pasted", "1", "0")
    _, [line] = jsonl_lines(runner.handler, runner.run_id)
    [exported] = [m for m in line["dialog"] if m.get("worker_id") == "W1"]
    assert exported["signals"] == message["signals"]


def test_the_reviewer_sees_the_pasted_badge_on_the_message_the_worker_pasted(start, open_page, reviewer, site):
    url, _ = site
    runner = start("pair_chat")
    copied, message = paste_a_message(runner, worker_page(runner, open_page))

    reviewer.goto(f"{url}/runs/{runner.run_id}/conversations/t_1")
    pasted = reviewer.locator(".message--worker", has_text=copied.strip()[:40])
    badge = pasted.locator(".badge[data-flag=pasted]")
    expect(badge).to_have_text("pasted")
    expect(badge).to_have_attribute("title", f"pasted 1 time, {message['signals']['pasted_chars']} characters")
    expect(pasted.locator(".badge")).to_have_count(1)
    expect(reviewer.locator("[data-assignment] summary", has_text=re.compile("Composition: 1 flagged"))).to_have_count(1)
    SCREENSHOTS.mkdir(exist_ok=True)
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-authenticity-badges.png"), full_page=True)


def test_a_task_that_refuses_pasting_blocks_the_paste_in_its_words_and_stores_nothing(start, open_page, tmp_path):
    task = task_with_config(tmp_path, paste_policy="refuse", paste_refused_text=REFUSED_TEXT,
                            composition_notice=NOTICE)
    runner = start(str(task))
    page = worker_page(runner, open_page)
    expect(page.locator("#parley-composition-notice")).to_have_text(NOTICE)
    copy_task_description(page)
    box = page.locator("#parley-input textarea")
    box.click()
    page.keyboard.press("Control+V")

    expect(page.locator("#parley-notice")).to_contain_text(REFUSED_TEXT)
    expect(box).to_have_value("")
    box.press("Enter")  # an empty box sends nothing
    page.keyboard.type("typed after all", delay=100)
    message = sent_and_stored(runner, page)
    assert (message["text"], message["flags"]) == ("typed after all", [])


def test_text_inserted_without_key_presses_is_flagged_inserted(start, open_page):
    runner = start("pair_chat")
    page = worker_page(runner, open_page)
    page.locator("#parley-input textarea").click()
    page.keyboard.insert_text("Words an extension put here.")

    message = sent_and_stored(runner, page)
    assert [f["flag"] for f in message["flags"]] == ["inserted"]
    assert message["signals"]["inserted_chars"] == len("Words an extension put here.")
