"""What the worker's chat page says at each step, in Chromium: connecting, waiting for a
partner (how long, and until when), their turn and yours, reconnecting with what is unsent,
partner left, done and submitted, each in a live region a screen reader announces; the one
order of messages (by position, the worker's own moving to its place once acked); and a
worker who completes a task with the keyboard alone."""
from __future__ import annotations

import random
import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from runner.manager import PARTNER_LEFT_TEXT, RELEASED_TEXT, SUBMITTED_TEXT
from runner.tasks import load_task
from tests.support.browser import expect_live, open_in_order, send

TASKS = Path(__file__).resolve().parents[2] / "tasks"


def rows(page: Page) -> Locator:
    return page.locator("#parley-messages .parley-row")


def texts(page: Page) -> list[str]:
    return rows(page).locator(".parley-message__text").all_text_contents()


# One order ---------------------------------------------------------------------------------

def test_in_free_chat_a_message_sent_before_the_world_asks_has_one_place_on_every_page(start, new_page):
    runner = start("pair_chat")
    alice, bob = new_page(), new_page()
    open_in_order([alice, bob], [runner.link("W1"), runner.link("W2")])
    for page in (alice, bob):
        expect(rows(page).first).to_have_text(re.compile("You are (Alice|Bob)."))
    send(bob, "Before Alice")  # the world waits on Alice; Bob's message is stored first
    expect(bob.locator(".parley-row--self")).to_have_attribute("data-status", "sent")
    send(alice, "Hello")
    expect(rows(bob).locator(".parley-message__text")).to_have_text(["You are Bob.", "Before Alice", "Hello"])
    # Alice hears Bob's message only after her own: it goes above hers, where it is stored.
    expect(rows(alice).locator(".parley-message__text")).to_have_text(["You are Alice.", "Before Alice", "Hello"])
    stored = sorted(runner.handler.get_messages(runner.run_id, "t_1"), key=lambda m: m["turn_index"])
    assert [m["text"] for m in stored][2:] == ["Before Alice", "Hello"]


# Roles ---------------------------------------------------------------------------------------

def test_a_worker_in_onboarding_has_no_role_yet_and_is_shown_theirs_once_paired(start, new_page):
    runner = start("onboarded_chat")
    alice, bob = new_page(), new_page()
    alice.goto(runner.link("W1"))
    expect(alice.locator(".parley-row--other")).to_have_text(["What is 2 + 2?"])
    expect(alice.locator("#parley-banner")).to_have_attribute("data-state", "onboarding")
    expect(alice.locator("#parley-role")).to_be_hidden()  # "Worker" is the onboarding agent, not a role
    send(alice, "4")
    expect(alice.locator("#parley-banner")).to_have_attribute("data-state", "waiting")
    expect(alice.locator("#parley-role")).to_be_hidden()
    bob.goto(runner.link("W2"))
    send(bob, "4")
    expect(alice.locator("#parley-role")).to_have_text("You are Alice")
    expect(bob.locator("#parley-role")).to_have_text("You are Bob")


# States ------------------------------------------------------------------------------------

def test_a_waiting_worker_sees_how_long_they_waited_and_when_they_are_released_then_submits(start, new_page):
    runner = start("pair_chat", max_wait=5)
    page = new_page()
    page.goto(runner.link("W1"))
    banner = page.locator("#parley-banner")
    expect_live(banner, "waiting", re.compile(
        r"^Waiting for a partner to join… You have waited 0:0\d\. If nobody joins in the next 0:0\d, "
        r"you can submit this task and be paid for your time\.$"))
    expect(page.locator("#parley-input textarea")).to_have_attribute(
        "placeholder", "The chat opens when your partner joins.")
    timer = banner.locator("[role=timer]")
    expect(timer).to_have_attribute("aria-live", "off")  # the state is announced, not each second
    first = timer.text_content()
    expect(timer).not_to_have_text(first or "")  # it counts
    expect_live(banner, "released", RELEASED_TEXT, timeout=10_000)
    done = page.get_by_role("button", name="Done")
    expect(done).to_be_focused()
    done.click()
    expect_live(banner, "submitted", SUBMITTED_TEXT)
    expect(page.locator("#parley-input")).to_be_hidden()
    expect(page.get_by_text(re.compile("closed right now"))).to_have_count(0)


def test_without_a_waiting_limit_the_page_says_only_how_long_the_worker_has_waited_even_after_a_reload(
        start, new_page):
    runner = start("pair_chat", max_wait=0)
    page = new_page()
    page.goto(runner.link("W1"))
    banner = page.locator("#parley-banner")
    expect_live(banner, "waiting", re.compile(r"^Waiting for a partner to join… You have waited 0:0\d\.$"))
    expect(banner).to_contain_text(re.compile(r"waited 0:0[3-9]"), timeout=8000)
    page.reload()  # the wait goes on from where it was, not from 0:00
    expect(banner.locator("[role=timer]")).to_have_text(re.compile(r"^You have waited 0:0[3-9]\.$"), timeout=1500)


def test_a_worker_whose_partner_returns_the_task_is_told_and_can_submit(start, new_page):
    runner = start("pair_chat")
    alice, bob = new_page(), new_page()
    open_in_order([alice, bob], [runner.link("W1"), runner.link("W2")])
    expect(rows(bob).first).to_have_text("You are Bob.")
    bob.once("dialog", lambda dialog: dialog.accept())
    bob.get_by_role("button", name="Return task").click()
    banner = alice.locator("#parley-banner")
    expect_live(banner, "partner_disconnect", PARTNER_LEFT_TEXT)
    expect(banner).to_have_attribute("data-tone", "warning")
    expect(alice.locator("#parley-input")).to_be_hidden()
    alice.get_by_role("button", name="Done").click()
    expect_live(banner, "submitted", SUBMITTED_TEXT)


# The keyboard alone -----------------------------------------------------------------------

def focused(target: Locator) -> bool:
    return bool(target.evaluate("el => el === document.activeElement"))


def tab_to(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab until `target` has the focus, and check the focus can be seen."""
    expect(target).to_be_enabled()
    for _ in range(limit):
        if focused(target):
            ring = target.evaluate("el => { const s = getComputedStyle(el);"
                                   " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }")
            assert (ring[0] != "none" and ring[1] != "0px") or ring[2] != "none", ring
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def type_message(page: Page, text: str) -> None:
    tab_to(page, page.locator("#parley-input textarea"))
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(page.locator(".parley-row--self").last).to_have_attribute("data-status", "sent")


def press(page: Page, target: Locator) -> None:
    tab_to(page, target)
    page.keyboard.press("Enter")


def test_qa_data_collection_with_the_keyboard_alone(start, new_page):
    qa = load_task(TASKS / "qa_data_collection").worlds
    runner = start("qa_data_collection")
    page = new_page()
    page.goto(runner.link("W1"))
    (_, ask_question), (_, ask_answer) = qa.STEPS
    expect(page.locator(".parley-row--other").last).to_have_text(ask_question)
    expect(page.locator("#parley-turn")).to_have_text("Your turn.")
    type_message(page, "What does the paragraph describe?")
    expect(page.locator(".parley-row--other").last).to_have_text(ask_answer)
    type_message(page, "Its main subject.")
    press(page, page.get_by_role("button", name="Done"))
    expect(page.locator("#parley-banner")).to_have_text(SUBMITTED_TEXT)
    assert runner.manager.wait(10)
    full = runner.handler.get_full_conversation_data(runner.run_id, "t_1", False)
    assert (full["custom_data"]["question"], full["custom_data"]["answer"]) == (
        "What does the paragraph describe?", "Its main subject.")


def test_dealnodeal_with_the_keyboard_alone(start, new_page):
    dnd = load_task(TASKS / "dealnodeal").worlds
    counts, _ = dnd.make_scenario(random.Random("t_1"))
    runner = start("dealnodeal")
    one, two = new_page(), new_page()
    open_in_order([one, two], [runner.link("W1"), runner.link("W2")])

    expect(one.locator("#parley-turn")).to_have_text("Your turn.")
    type_message(one, "I would really like the books.")
    expect(two.locator("#parley-turn")).to_have_text("Your turn.")
    type_message(two, "I mostly care about hats.")
    expect(one.locator("#parley-turn")).to_have_text("Your turn.")
    keep = {"book": counts["book"], "hat": 0, "ball": 0}
    for item, n in keep.items():
        select = one.locator(f"select[name=keep-{item}]")
        tab_to(one, select)
        one.keyboard.type(str(n))
        expect(select).to_have_value(str(n))
    press(one, one.get_by_role("button", name="Propose"))
    expect(two.locator("#parley-turn")).to_have_text("Your turn.")
    press(two, two.get_by_role("button", name="Accept"))
    for page in (one, two):
        press(page, page.get_by_role("button", name="Done"))
        expect(page.locator("#parley-banner")).to_have_text(SUBMITTED_TEXT)
    assert runner.manager.wait(10)
    full = runner.handler.get_full_conversation_data(runner.run_id, "t_1", False)
    assert full["custom_data"]["outcome"] == "deal"
    assert full["custom_data"]["deal"]["Negotiator1"] == keep
