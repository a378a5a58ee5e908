"""Every example task done to the end on a phone (390×844), every human role in its own page:
nothing is wider than the screen (long words, URLs and tables included), the task
description and context open on demand in a drawer at the top and close again, the input
stays at the bottom, and every control is at least 44 px each way. Screenshots land in
tests/browser/screenshots/phone-*.png (each role's page at the end, and an open drawer)."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from runner.tasks import load_task
from tests.support.browser import SCREENSHOTS, send
from tests.support.live_runner import LiveRunner

TASKS = Path(__file__).resolve().parents[2] / "tasks"
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 568}
TAP = 44
LONG_URL = "https://example.org/reference/" + "a-rather-long-path-segment-" * 6 + "end"
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitän" * 3
DONE = re.compile("^done$", re.I)
SMALL_CONTROLS = """(tap) => Array.from(document.querySelectorAll(
        'button, select, textarea, input:not([type=hidden]), [role=button], a[href]'))
    // A link in running text (the description, the context) is exempt, as in WCAG's target size.
    .filter((el) => !(el.matches('a') && el.closest('.parley-task__body, .parley-context')))
    .map((el) => ({el: el, box: el.getBoundingClientRect()}))
    .filter(({el, box}) => box.width && box.height && getComputedStyle(el).visibility === 'visible')
    .reduce((seen, {el, box}) => ({
        count: seen.count + 1,
        small: box.width < tap || box.height < tap
            ? seen.small.concat([el.outerHTML.slice(0, 90) + ' ' + box.width + 'x' + box.height]) : seen.small,
    }), {count: 0, small: []})"""
"""How many controls the page shows, and those whose bounding box is less than `tap` px either
way (measured in one go: the page re-renders its controls as turns pass)."""
# Boxes that scroll sideways on purpose (a wide table in the context or description).
SCROLLERS = ".parley-context__table-wrap, .parley-task__body pre, .parley-task__body table"
OVERFLOWING = """(scrollers) => {
    const root = document.documentElement;
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (!box.width || el.closest(scrollers)) continue;
        const style = getComputedStyle(el);
        const clipped = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 &&
            style.textOverflow !== 'ellipsis' && !['TEXTAREA', 'INPUT', 'SELECT'].includes(el.tagName);
        if (box.right > root.clientWidth + 1 || box.left < -1 || clipped) {
            wide.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(box.right));
        }
    }
    return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide: wide};
}"""


@pytest.fixture
def start(store_url) -> Iterator[Callable[[str], LiveRunner]]:
    runners: list[LiveRunner] = []

    def make(task: str) -> LiveRunner:
        runners.append(LiveRunner(store_url, str(TASKS / task), num_conversations=1))
        return runners[-1]

    yield make
    for runner in runners:
        runner.stop()


@pytest.fixture
def phones(new_page) -> Callable[..., list[Page]]:
    """`n` workers open their links on phones, one after the other, so the k-th page takes
    the task's k-th role."""
    def open_(runner: LiveRunner, n: int, size: dict[str, int] = PHONE) -> list[Page]:
        pages = []
        for k in range(1, n + 1):
            page = new_page(size["width"], size["height"])
            page.goto(runner.link(f"W{k}"))
            pages.append(page)
        return pages

    return open_


# What a phone must hold to -----------------------------------------------------------------

def fits(*pages: Page) -> None:
    """No page scrolls sideways and nothing on it pokes out of the screen or out of its box."""
    for page in pages:
        measured = page.evaluate(OVERFLOWING, SCROLLERS)
        assert page.viewport_size
        assert measured["scrollWidth"] <= measured["clientWidth"] == page.viewport_size["width"], measured
        assert measured["wide"] == [], measured["wide"]


def tappable(*pages: Page) -> None:
    """Every control a worker can touch is at least TAP px wide and high."""
    for page in pages:
        measured = page.evaluate(SMALL_CONTROLS, TAP)
        assert measured["count"] > 0 and measured["small"] == [], measured


def input_at_bottom(page: Page) -> None:
    """The reply controls are on screen, at the bottom, under the message list."""
    box = page.locator("#parley-input").bounding_box()
    messages = page.locator("#parley-messages").bounding_box()
    assert box and messages
    assert 0 <= messages["y"] + messages["height"] <= box["y"]
    assert PHONE["height"] - 80 <= box["y"] + box["height"] <= PHONE["height"], box


def holds_up(*pages: Page, talking: bool = True) -> None:
    """The page fits the phone and its controls are big enough; while the conversation goes
    on (`talking`), the input is at the bottom too."""
    fits(*pages)
    tappable(*pages)
    for page in pages if talking else ():
        input_at_bottom(page)


def toggle(page: Page) -> Locator:
    return page.get_by_role("button", name=re.compile("^Your task"))


def cue(page: Page) -> Locator:
    return toggle(page).locator(".parley-drawer-toggle__cue")


def heading(task: str) -> str:
    """The task description's own title."""
    match = re.search(r"<h2>(.*?)</h2>", load_task(TASKS / task).config["task_description"])
    assert match
    return match.group(1)


def read_drawer(page: Page, task: str, *context: Locator, talking: bool = True) -> None:
    """Open the drawer from the keyboard: the description (and, where the task has one, the
    context) is on screen, the input still at the bottom; close it again by tapping."""
    button = toggle(page)
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#parley-task")).to_be_hidden()
    drawer = page.locator("#" + str(button.get_attribute("aria-controls")))
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(cue(page)).to_be_hidden()
    for part in context:
        expect(part).to_be_in_viewport()
    description = page.locator("#parley-task").get_by_role("heading", name=heading(task))
    description.scroll_into_view_if_needed()
    expect(description).to_be_in_viewport()
    expect(drawer).to_contain_text(heading(task))
    holds_up(page, talking=talking)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone-{task}-drawer.png"))
    button.click()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(drawer).to_be_hidden()
    expect(page.locator("#parley-messages")).to_be_in_viewport()


def others(page: Page) -> Locator:
    return page.locator("#parley-messages .parley-row--other .parley-message__text")


def finish(runner: LiveRunner, task: str, pages: list[Page]) -> None:
    """Each worker presses Done on their phone; the store has them all submitted."""
    holds_up(*pages, talking=False)
    SCREENSHOTS.mkdir(exist_ok=True)
    for role, page in zip(load_task(TASKS / task).config["agent_ids"], pages):
        page.screenshot(path=str(SCREENSHOTS / f"phone-{task}-{role}.png"))
    for page in pages:
        page.get_by_role("button", name=DONE).click()
    assert runner.manager.wait(15)
    assert {p["status"] for p in runner.handler.get_pairings_for_run(runner.run_id)} == {"submitted"}
    fits(*pages)


# The example tasks ------------------------------------------------------------------------

def test_qa_data_collection_on_a_phone(start, phones):
    runner = start("qa_data_collection")
    [page] = phones(runner, 1)
    expect(others(page)).to_have_count(1)
    expect(cue(page)).to_be_visible()  # the paragraph came while the drawer was closed
    holds_up(page)
    paragraph = page.locator("#parley-context [data-key=paragraph]")
    read_drawer(page, "qa_data_collection", page.locator("#parley-context [data-key=title]"), paragraph)
    send(page, f"What does the page at {LONG_URL} describe?")
    expect(others(page)).to_have_count(2)
    holds_up(page)
    send(page, LONG_WORD)
    expect(others(page)).to_have_count(3)
    finish(runner, "qa_data_collection", [page])


def test_model_evaluator_on_a_phone(start, phones):
    runner = start("model_evaluator")
    [page] = phones(runner, 1)
    expect(others(page)).to_have_count(3)
    read_drawer(page, "model_evaluator", page.locator("#parley-context [data-key=prompt]"))
    send(page, LONG_WORD)  # not a rating: the world quotes it back
    expect(others(page).last).to_contain_text(LONG_WORD)
    holds_up(page)
    send(page, "7")
    expect(others(page).last).to_have_text("Thank you for your rating! You can submit the HIT now.")
    finish(runner, "model_evaluator", [page])


def test_multi_agent_dialog_on_two_phones(start, phones):
    runner = start("multi_agent_dialog")
    pages = phones(runner, 2)
    host = runner.local_human()  # the person at the runner, on a page of their own
    host.say("Hello, both of you! Let's plan a picnic together. Where should we hold it?")
    for page in pages:
        expect(others(page).first).to_contain_text("Let's plan a picnic")
        expect(toggle(page)).to_have_text(re.compile("^Your task"))
        expect(page.locator("#parley-context")).to_be_hidden()  # this task has no context
    read_drawer(pages[1], "multi_agent_dialog")
    rounds = [(f"By the lake: {LONG_URL}", "Yes, the lake.", "What should each of us bring?"),
              ("Sandwiches.", LONG_WORD, "That's a plan, then. Thank you both! [DONE]"),
              ("We move under the trees.", "Or we go home.", None)]
    for first, second, host_next in rounds:
        holds_up(*pages)
        send(pages[0], first)
        send(pages[1], second)
        expect(others(pages[0]).filter(has_text=second)).to_have_count(1)
        if host_next:
            host.say(host_next)
    for page in pages:
        expect(others(page).filter(has_text="[DONE]")).to_have_count(1)
    finish(runner, "multi_agent_dialog", pages)


def test_dealnodeal_on_two_phones_with_the_values_readable_on_demand(start, phones):
    runner = start("dealnodeal")
    one, two = phones(runner, 2)
    for page in (one, two):
        expect(page.locator("#parley-context .dnd-items tbody tr")).to_have_count(3)
        expect(cue(page)).to_be_visible()
        holds_up(page)
    # The values table is at the top of the open drawer, whole, not in a box of its own.
    for page in (one, two):
        read_drawer(page, "dealnodeal", page.locator("#parley-context .dnd-items"))
    send(one, f"I would like the books. {LONG_WORD}")
    send(two, f"Hats for me, see {LONG_URL}")
    expect(others(one).last).to_contain_text("Hats for me")
    for item, n in {"book": "1", "hat": "0", "ball": "0"}.items():
        one.locator(f"select[name=keep-{item}]").select_option(n)
    holds_up(one)
    one.get_by_role("button", name="Propose").click()

    # The offer reaches Negotiator2's context while their drawer is closed: the toggle says so.
    expect(two.get_by_role("button", name="Accept")).to_be_enabled()
    expect(cue(two)).to_be_visible()
    button = toggle(two)
    button.click()
    expect(two.locator("#parley-context .dnd-offer")).to_be_in_viewport()
    expect(cue(two)).to_be_hidden()
    two.locator("#parley-context").click()
    two.keyboard.press("Escape")  # from inside the drawer: it closes, the toggle has focus
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    expect(cue(two)).to_be_hidden()
    holds_up(one, two)
    two.get_by_role("button", name="Accept").click()
    for page in (one, two):
        expect(page.locator("#parley-context .dnd-outcome")).to_contain_text("Deal!")
    finish(runner, "dealnodeal", [one, two])


def test_qualification_flow_example_on_a_phone(start, phones):
    runner = start("qualification_flow_example")
    [page] = phones(runner, 1)
    problem = page.locator("#parley-context [data-key=problem]")
    for n, answer in enumerate(["7", "41", "83"], 1):
        expect(others(page)).to_have_count(n)
        if n == 1:
            expect(problem).to_have_text(re.compile("3 \\+ 4"))
            read_drawer(page, "qualification_flow_example", problem)
        holds_up(page)
        send(page, answer)
    expect(others(page).last).to_contain_text("You passed the test.")
    finish(runner, "qualification_flow_example", [page])


def test_custom_frontend_demo_on_three_phones(start, phones):
    runner = start("custom_frontend_demo")
    asker, answerer, evaluator = pages = phones(runner, 3)
    for page in pages:
        expect(others(page).first).to_contain_text("Welcome!")
        holds_up(page)
    read_drawer(evaluator, "custom_frontend_demo")
    number = answerer.locator("#parley-input input.demo-number")
    for question, answer in [(f"How many segments does {LONG_URL} have?", "7"),
                             (LONG_WORD + ": how many letters?", "126"), ("Legs on a spider?", "8")]:
        send(asker, question)
        number.fill(answer)
        number.press("Enter")
        expect(others(evaluator).filter(has_text=re.compile(f"^{answer}$"))).to_have_count(1)
        holds_up(*pages)
    evaluator.get_by_role("button", name="Approve").click()
    for page in pages:
        expect(others(page).last).to_contain_text("The Evaluator chose to approve")
    read_drawer(asker, "custom_frontend_demo", asker.locator("#parley-context [data-key=evaluate]"), talking=False)
    finish(runner, "custom_frontend_demo", pages)


def test_on_a_small_phone_an_open_drawer_keeps_room_for_the_dealnodeal_values(start, phones):
    """Under dealnodeal's tall reply controls a 568 px high screen has little room: the open
    drawer keeps enough for the whole values table, and the rest scrolls."""
    runner = start("dealnodeal")
    one, _ = phones(runner, 2, SMALL_PHONE)
    values = one.locator("#parley-context .dnd-items")
    expect(values.locator("tbody tr")).to_have_count(3)
    toggle(one).click()
    expect(values).to_be_in_viewport(ratio=1)
    fits(one)
    tappable(one)
    toggle(one).click()
    expect(values).to_be_hidden()
    expect(one.locator("#parley-input textarea")).to_be_in_viewport(ratio=1)


# Wide windows ---------------------------------------------------------------------------

def test_a_wide_window_shows_the_task_pane_beside_the_chat_with_no_drawer(start, phones):
    runner = start("qa_data_collection")
    [page] = phones(runner, 1)
    expect(cue(page)).to_be_visible()  # the paragraph came
    expect(page.locator("#parley-context [data-key=paragraph]")).to_be_hidden()
    page.set_viewport_size({"width": 1100, "height": 760})
    expect(toggle(page)).to_be_hidden()
    task, chat = page.locator("#parley-task"), page.locator(".parley-pane--chat")
    expect(page.locator("#parley-context [data-key=paragraph]")).to_be_in_viewport()
    task_box, chat_box = task.bounding_box(), chat.bounding_box()
    assert task_box and chat_box and task_box["x"] + task_box["width"] < chat_box["x"]
    page.set_viewport_size(PHONE)
    expect(toggle(page)).to_have_attribute("aria-expanded", "false")
    expect(task).to_be_hidden()
    expect(cue(page)).to_be_hidden()  # the wide window showed it all
