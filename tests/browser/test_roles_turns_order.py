"""Who am I, whose turn is it, and one order for everyone, in Chromium against a real runner:
every example task with two or more human roles is played to the end in one browser per
role. Each page shows its own role; only the page the world waits on can type; and the
transcript each page shows, the stored messages and the reviewer's conversation page are
the same messages in the same order. Keyboard-only runs of qa_data_collection and
dealnodeal show a worker needs no mouse."""
from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, WebSocket, expect

from runner.manager import DONE_TEXT, SUBMITTED_TEXT
from runner.tasks import load_task
from tests.support.browser import SCREENSHOTS, open_in_order
from tests.support.live_runner import LiveRunner

TASKS = Path(__file__).resolve().parents[2] / "tasks"
CONTROLS = "#parley-input textarea, #parley-input input, #parley-input select, #parley-input button"


@dataclass
class Worker:
    """One worker's browser page, and what the runner told it over its websocket."""

    page: Page
    agent_id: str = ""
    positions: set[int] = field(default_factory=set)
    """Every position of a message this page was sent or had acked: what it was shown."""

    def heard(self, ws: WebSocket) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        frame = json.loads(payload)
        if frame.get("type") in ("message", "ack") and isinstance(frame.get("position"), int):
            self.positions.add(frame["position"])

    @property
    def turn(self) -> Locator:
        return self.page.locator("#parley-turn")

    @property
    def banner(self) -> Locator:
        return self.page.locator("#parley-banner")

    def transcript(self) -> list[str]:
        """The texts of the message list, top to bottom (in DOM order)."""
        return self.page.locator("#parley-messages .parley-row .parley-message__text").all_text_contents()


@pytest.fixture
def join(new_page) -> Callable[[LiveRunner, int], list[Worker]]:
    """Open one page per role of a runner's task, one after the other, each waiting for a
    partner before the next arrives, so the n-th page takes the task's n-th role."""
    def open_all(runner: LiveRunner, count: int) -> list[Worker]:
        workers = [Worker(new_page(1100, 760)) for _ in range(count)]
        for worker in workers:
            worker.page.on("websocket", worker.heard)
        open_in_order([w.page for w in workers], [runner.link(f"W{n + 1}") for n in range(count)])
        for worker, agent_id in zip(workers, runner.manager.task.agent_ids):
            worker.agent_id = agent_id
        return workers

    return open_all


def label(runner: LiveRunner, agent_id: str) -> str:
    return runner.manager.task.config["roles"][agent_id]["label"]


def expect_roles_shown(runner: LiveRunner, workers: list[Worker]) -> None:
    """Each page says at the top which role is its own, in the task's words and colour."""
    roles = runner.manager.task.config["roles"]
    for worker in workers:
        role = worker.page.locator("#parley-role")
        expect(role).to_have_text(f"You are {roles[worker.agent_id]['label']}")
        expect(role).to_have_attribute("data-agent-id", worker.agent_id)
        red, green, blue = (int(roles[worker.agent_id]["color"][i:i + 2], 16) for i in (1, 3, 5))
        # Retried like the checks above: the line is drawn again when a state or welcome frame
        # comes in, and a swatch read just as it was replaced has no computed style.
        expect(role.locator(".parley-swatch")).to_have_css("background-color", f"rgb({red}, {green}, {blue})")


def expect_turn_of(runner: LiveRunner, workers: list[Worker], speaker: Worker) -> None:
    """Only the speaker's page may send; every other page names whom it waits for, has its
    input closed, and cannot send even from a script."""
    expect(speaker.turn).to_have_text("Your turn.")
    expect(speaker.turn).to_have_attribute("data-yours", "true")
    for worker in workers:
        if worker is speaker:
            continue
        expect(worker.turn).to_have_text(f"Waiting for {label(runner, speaker.agent_id)}…")
        expect(worker.turn).to_have_attribute("role", "status")
        expect(worker.turn).to_have_attribute("aria-live", "polite")
        controls = worker.page.locator(CONTROLS)
        for n in range(controls.count()):
            expect(controls.nth(n)).to_be_disabled()
        assert worker.page.evaluate("Parley.sendMessage('out of turn')") is False


def say(worker: Worker, text: str) -> None:
    box = worker.page.locator("#parley-input textarea")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")
    expect(worker.page.locator(".parley-row--self").last).to_have_attribute("data-status", "sent")


def finish(runner: LiveRunner, workers: list[Worker], reviewer: Page, site_url: str) -> None:
    """The conversation is over: each page says so and submits; then every page's transcript,
    the store and the review page are compared, message by message, in order."""
    for worker in workers:
        expect(worker.banner).to_have_attribute("data-state", "done")
        expect(worker.banner).to_have_text(DONE_TEXT)
        expect(worker.page.locator("#parley-turn")).to_be_hidden()
        worker.page.get_by_role("button", name="Done").click()
        expect(worker.banner).to_have_text(SUBMITTED_TEXT)
        expect(worker.page.locator("#parley-input")).to_be_hidden()
        expect(worker.page.get_by_placeholder(re.compile("closed", re.I))).to_have_count(0)
    assert runner.manager.wait(15)
    stored = sorted(runner.handler.get_messages(runner.run_id, "t_1"), key=lambda m: m["turn_index"])
    assert [m["turn_index"] for m in stored] == list(range(len(stored)))
    for worker in workers:
        shown = [m["text"] for m in stored if m["turn_index"] in worker.positions and m["text"]]
        assert worker.transcript() == shown, worker.agent_id
        rows = worker.page.locator("#parley-messages .parley-row")
        placed = [int(p) for p in (rows.nth(n).get_attribute("data-position") for n in range(rows.count()))]
        assert placed == sorted(worker.positions & {m["turn_index"] for m in stored if m["text"]})
    reviewer.goto(f"{site_url}/runs/{runner.run_id}/conversations/t_1")
    expect(reviewer.locator(".message__text")).to_have_text([m["text"] for m in stored if m["text"]])


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"turns-{name}.png"), full_page=True)


# Every example task with two or more human roles ------------------------------------------

def test_dealnodeal_pages_show_each_negotiator_take_turns_and_agree_on_one_order(start, join, reviewer, site):
    dnd = load_task(TASKS / "dealnodeal").worlds
    counts, _ = dnd.make_scenario(random.Random("t_1"))
    runner = start("dealnodeal")
    one, two = workers = join(runner, 2)
    expect_roles_shown(runner, workers)
    expect(one.page.locator("#parley-role")).to_have_text("You are Negotiator 1 (speaks first)")

    expect_turn_of(runner, workers, one)
    say(one, "I would really like the books.")
    expect_turn_of(runner, workers, two)
    shot(two.page, "dealnodeal-their-turn")
    say(two, "I mostly care about hats.")
    expect_turn_of(runner, workers, one)
    keep = {"book": counts["book"], "hat": 0, "ball": 0}
    for item, n in keep.items():
        one.page.locator(f"select[name=keep-{item}]").select_option(str(n))
    one.page.get_by_role("button", name="Propose").click()
    expect_turn_of(runner, workers, two)
    accept = two.page.get_by_role("button", name="Accept")
    expect(accept).to_be_enabled()
    accept.click()
    # The other page names each sender by their role's label.
    expect(one.page.locator(".parley-row--other .parley-message__sender").filter(has_text="Negotiator 2")).to_have_text(
        ["Negotiator 2 (speaks second)"] * 2)
    finish(runner, workers, reviewer, site[0])


def test_custom_frontend_demo_pages_show_each_role_take_turns_and_agree_on_one_order(start, join, reviewer, site):
    runner = start("custom_frontend_demo")
    asker, answerer, evaluator = workers = join(runner, 3)
    expect_roles_shown(runner, workers)
    expect(evaluator.page.locator("#parley-role")).to_have_text("You are the Evaluator")
    for question, answer in (("Legs on a spider?", "8"), ("Pi, roughly?", "3.14"), ("Water boils at?", "100")):
        expect_turn_of(runner, workers, asker)
        say(asker, question)
        expect_turn_of(runner, workers, answerer)
        number = answerer.page.locator("#parley-input input.demo-number")
        number.fill(answer)
        number.press("Enter")
    expect_turn_of(runner, workers, evaluator)
    shot(evaluator.page, "custom-frontend-evaluator-turn")
    evaluator.page.get_by_role("button", name="Approve").click()
    finish(runner, workers, reviewer, site[0])


def test_multi_agent_dialog_pages_show_each_speaker_take_turns_and_agree_on_one_order(start, join, reviewer, site):
    runner = start("multi_agent_dialog")
    one, two = workers = join(runner, 2)
    expect_roles_shown(runner, workers)
    host = runner.local_human()  # LocalAgent: a person at the runner, on a page of their own
    host.say("Hello both! Where shall we picnic?")
    local = label(runner, "LocalAgent")
    expect(one.page.locator(".parley-row--other .parley-message__sender").first).to_have_text(local)
    expect_turn_of(runner, workers, one)
    say(one, "The park by the river.")
    expect_turn_of(runner, workers, two)
    say(two, "Yes, near the big oak.")
    host.say("Lovely, see you there! [DONE]")
    expect_turn_of(runner, workers, one)
    say(one, "I will bring sandwiches. Bye!")
    expect_turn_of(runner, workers, two)
    say(two, "Bye!")
    finish(runner, workers, reviewer, site[0])
