"""Parley as its people use it, end to end in Chromium: workers type and click in the chat
pages of a real runner (the example tasks' own custom components included), a reviewer
reads, approves, rejects and pays from the webapp over the same store, a tester plays each
role of a test run, a worker who closes the tab is recorded and their partner told, and
markup a worker types runs nowhere. Screenshots of the pages land in tests/browser/screenshots/."""
from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from runner.tasks import load_task
from tests.support.browser import PAYLOADS, SCREENSHOTS, send
from tests.support.live_runner import LiveRunner, chat_pair_to_the_end

TASKS = Path(__file__).resolve().parents[2] / "tasks"
DONE = re.compile("^done$", re.I)


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"product-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def others(page: Page) -> Locator:
    """What this page shows from anyone but its own worker."""
    return page.locator("#parley-messages .parley-row--other .parley-message__text")


def heard(page: Page, text: str) -> Locator:
    """The messages from others on this page whose text is exactly `text`."""
    return others(page).filter(has_text=re.compile(f"^{re.escape(text)}$"))


def submit(*pages: Page) -> None:
    """Each worker presses Done and their page says the work is submitted."""
    for page in pages:
        done = page.get_by_role("button", name=DONE)
        expect(done).to_be_enabled()
        done.click()
        expect(page.locator("#parley-banner")).to_contain_text("Your work is submitted. You can close this tab.")


def open_pair(runner: LiveRunner, open_page: Callable[[str], Page]) -> tuple[Page, Page]:
    """Two workers open their links one after the other: the first takes the task's first role."""
    first = open_page(runner.link("W1"))
    expect(first.locator("#parley-banner")).to_contain_text("Waiting for a partner")
    return first, open_page(runner.link("W2"))


def statuses(runner: LiveRunner) -> dict[str, str]:
    return {p["worker_id"]: p["status"] for p in runner.handler.get_pairings_for_run(runner.run_id)}


# Workers ----------------------------------------------------------------------------------

def test_two_negotiators_strike_a_deal_in_the_item_allocation_ui_and_the_reviewer_finds_it(
        start, open_page, reviewer, site):
    dnd = load_task(TASKS / "dealnodeal").worlds
    counts, (values1, values2) = dnd.make_scenario(random.Random("t_1"))
    keep = {"book": counts["book"], "hat": 0, "ball": counts["ball"] // 2}
    give = {item: counts[item] - keep[item] for item in dnd.ITEMS}
    runner = start("dealnodeal")
    one, two = open_pair(runner, open_page)

    # Each negotiator's context pane shows the items and only their own values.
    for page, values in ((one, values1), (two, values2)):
        expect(page.locator("#parley-messages")).to_contain_text("Negotiator1 speaks first.")
        rows = page.locator("#parley-context .dnd-items tbody tr")
        expect(rows).to_have_text([re.compile(rf"^{item}s\s*{counts[item]}\s*{values[item]}$")
                                   for item in dnd.ITEMS])
    send(one, "I would really like the books.")
    expect(others(two)).to_contain_text(["I would really like the books."])
    send(two, "I mostly care about hats.")
    expect(others(one).last).to_have_text("I mostly care about hats.")

    # Negotiator1 picks a split in the selectors (the preview prices it) and proposes it.
    accept = two.get_by_role("button", name="Accept")
    expect(accept).to_be_disabled()
    for item, n in keep.items():
        one.locator(f"select[name=keep-{item}]").select_option(str(n))
    expect(one.locator(".dnd-preview")).to_have_text(
        f"worth {dnd.points_text(dnd.points(keep, values1))} to you")
    one.get_by_role("button", name="Propose").click()
    proposed = f"I propose: I keep {dnd.describe(keep)}; you get {dnd.describe(give)}."
    expect(others(two)).to_contain_text([proposed, f"Negotiator1 proposes to keep {dnd.describe(keep)}."])
    offer = two.locator("#parley-context .dnd-offer")
    expect(offer).to_have_text(f"Your partner offers you {dnd.describe(give)}, worth "
                               f"{dnd.points_text(dnd.points(give, values2))} to you. Accept or reject it below.")
    expect(one.locator("#parley-context .dnd-offer")).to_contain_text(f"You proposed to keep {dnd.describe(keep)}")
    expect(one.get_by_role("button", name="Accept")).to_be_disabled()  # nothing offered to them
    shot(two, "chat-dealnodeal-offer")

    # Negotiator2 accepts: both see the deal and their score, and submit.
    expect(accept).to_be_enabled()
    accept.click()
    expect(others(one)).to_contain_text(["I accept your proposal."])
    for page, mine, values in ((one, keep, values1), (two, give, values2)):
        score = dnd.points(mine, values)
        expect(others(page).last).to_have_text(
            f"Deal! You get {dnd.describe(mine)}, worth {dnd.points_text(score)} to you. "
            "Thank you! You can submit now.")
        expect(page.locator(".dnd-outcome")).to_have_text(f"Deal! You scored {dnd.points_text(score)}.")
    submit(one, two)
    assert runner.manager.wait(10)
    full = runner.handler.get_full_conversation_data(runner.run_id, "t_1", False)
    assert full["custom_data"]["outcome"] == "deal"
    assert full["custom_data"]["deal"] == {"Negotiator1": keep, "Negotiator2": give}
    assert [(w["worker_id"], w["agent_id"], w["status"]) for w in full["workers"]] == [
        ("W1", "Negotiator1", "submitted"), ("W2", "Negotiator2", "submitted")]

    # The reviewer finds the run on the runs page, and the conversation on the run's page.
    url, _ = site
    reviewer.reload()
    reviewer.get_by_role("link", name=runner.run_id).click()
    expect(reviewer.locator("h1")).to_have_text(runner.run_id)
    reviewer.get_by_role("link", name="t_1", exact=True).click()
    expect(reviewer).to_have_url(f"{url}/runs/{runner.run_id}/conversations/t_1")
    texts = reviewer.locator(".message__text")
    for said in ("I would really like the books.", "I mostly care about hats.", proposed,
                 "I accept your proposal."):
        expect(texts.filter(has_text=said)).to_have_count(1)
    expect(reviewer.locator(".message--worker .message__sender")).to_have_text(
        ["Negotiator1", "Negotiator2", "Negotiator1", "Negotiator2"])


def test_a_worker_completes_qa_data_collection_by_typing_the_question_and_the_answer(start, open_page):
    qa = load_task(TASKS / "qa_data_collection").worlds
    paragraph = qa.pick_paragraph(qa.load_squad(TASKS / "qa_data_collection" / "squad_sample.json"), "t_1")
    (_, ask_question), (_, ask_answer) = qa.STEPS
    runner = start("qa_data_collection")
    page = open_page(runner.link("W1"))

    expect(page.locator("#parley-context")).to_contain_text(paragraph["title"])
    expect(page.locator("#parley-context")).to_contain_text(paragraph["text"][:60])
    expect(others(page)).to_have_text([ask_question])
    send(page, "What does the paragraph describe?")
    expect(others(page)).to_have_text([ask_question, ask_answer])
    send(page, "Its main subject.")
    expect(others(page).last).to_have_text("Thank you, that is all! You can submit the HIT now.")
    expect(page.locator(".parley-row--self .parley-message__text")).to_have_text(
        ["What does the paragraph describe?", "Its main subject."])
    submit(page)
    assert runner.manager.wait(10)
    full = runner.handler.get_full_conversation_data(runner.run_id, "t_1", False)
    assert {key: full["custom_data"][key] for key in ("question", "answer", "outcome")} == {
        "question": "What does the paragraph describe?", "answer": "Its main subject.", "outcome": "completed"}
    assert statuses(runner) == {"W1": "submitted"}


def test_a_worker_who_closes_the_tab_mid_conversation_is_disconnected_and_the_partner_told(
        start, open_page):
    runner = start("pair_chat", disconnect_timeout=2.0)
    alice, bob = open_pair(runner, open_page)
    send(alice, "are you still there?")
    expect(others(bob).last).to_have_text("are you still there?")
    bob.context.close()

    expect(alice.locator("#parley-banner")).to_have_text(re.compile("^Your partner left the conversation"),
                                                          timeout=15_000)
    expect(alice.locator("#parley-input textarea")).to_be_disabled()
    assert statuses(runner) == {"W1": "partner_disconnect", "W2": "disconnect"}
    submit(alice)  # what she did is still hers to submit, and the run waits for it
    assert runner.manager.wait(10)
    assert statuses(runner) == {"W1": "submitted", "W2": "disconnect"}


# The reviewer -----------------------------------------------------------------------------

def test_a_reviewer_approves_rejects_and_pays_a_bonus_from_the_conversation_page_and_each_is_logged(
        start, reviewer, site):
    runner = start("pair_chat")
    alice, bob = runner.join("W1"), runner.join("W2")
    chat_pair_to_the_end(alice, bob, "Hello from the review test")
    assert runner.manager.wait(10)
    assignment = {p["worker_id"]: p["assignment_id"] for p in runner.handler.get_pairings_for_run(runner.run_id)}
    url, handler = site

    reviewer.reload()
    shot(reviewer, "dashboard-runs")
    reviewer.get_by_role("link", name=runner.run_id).click()
    expect(reviewer.locator("h1")).to_have_text(runner.run_id)
    shot(reviewer, "dashboard-run")
    reviewer.get_by_role("link", name="t_1", exact=True).click()
    expect(reviewer.locator(".message__text")).to_have_text(
        ["You are Alice.", "You are Bob.", "Hello from the review test", "hi", "bye"])

    w1 = reviewer.locator(f'article[data-assignment="{assignment["W1"]}"]')
    w2 = reviewer.locator(f'article[data-assignment="{assignment["W2"]}"]')
    conversation_page = reviewer.url
    w1.get_by_role("button", name="Approve").click()  # moves on to the worker still to review
    expect(reviewer.locator(".flash--ok")).to_have_text("Approved.")
    expect(w2).to_have_attribute("aria-current", "true")
    w2.get_by_label("Rejection reason").fill("Said only 'hi'.")
    w2.get_by_role("button", name="Reject").click()  # nothing left to review: back to the run
    expect(reviewer.locator(".flash--ok")).to_have_text("Rejected.")
    expect(reviewer.locator("h1")).to_have_text(runner.run_id)
    reviewer.goto(conversation_page)
    w1.get_by_label("Bonus amount in USD").fill("1.25")
    w1.get_by_label("Bonus reason").fill("A friendly opener")
    w1.get_by_role("button", name="Bonus").click()  # a bonus stays on the page
    expect(reviewer.locator(".flash--ok")).to_have_text("Bonus paid.")

    # Each worker's card shows their status and audit log.
    expect(w1.locator(".worker__head .status")).to_have_text("approved")
    expect(w2.locator(".worker__head .status")).to_have_text("rejected")
    expect(w1.locator(".audit li")).to_have_text([
        re.compile(r"^succeeded approve by reviewer at "),
        re.compile(r"^succeeded bonus \$1\.25 by reviewer at .*: “A friendly opener”$")])
    expect(w2.locator(".audit li")).to_have_text([
        re.compile(r"^succeeded reject by reviewer at .*: “Said only 'hi'\.”$")])
    expect(w1).to_contain_text("bonus $1.25 paid")
    shot(reviewer, "dashboard-conversation")

    # The run's payments page lists all three, newest first, and counts the bonus as paid.
    reviewer.goto(f"{url}/runs/{runner.run_id}")
    reviewer.get_by_role("main").get_by_role("link", name="Payments").click()  # the run's, not the top bar's
    expect(reviewer).to_have_url(f"{url}/runs/{runner.run_id}/payments")
    audit = reviewer.locator("section.card", has=reviewer.get_by_role("heading", name=re.compile("^Payments log")))
    rows = audit.locator("tbody tr")
    expect(rows).to_have_count(3)
    expected = [("bonus", "W1", "$1.25", "A friendly opener"), ("reject", "W2", "", "Said only 'hi'."),
                ("approve", "W1", "", "")]
    for row, (action, worker, amount, reason) in zip(rows.all(), expected):
        expect(row.locator("td")).to_have_text(
            [re.compile("."), action, assignment[worker], worker, amount, reason, "succeeded", "reviewer"])
    expect(reviewer.locator(".stat", has_text="bonuses paid").locator(".stat__value")).to_have_text("$1.25")
    shot(reviewer, "dashboard-payments")

    # And the store holds the same.
    assert [(a["action"], a["assignment_id"], a["outcome"], a["amount_cents"], a["reason"], a["actor"])
            for a in handler.get_review_actions(run_id=runner.run_id)] == [
        ("approve", assignment["W1"], "succeeded", None, "", "reviewer"),
        ("reject", assignment["W2"], "succeeded", None, "Said only 'hi'.", "reviewer"),
        ("bonus", assignment["W1"], "succeeded", 125, "A friendly opener", "reviewer"),
    ]
    assert handler.get_assignment_data(assignment["W1"])["status"] == "approved"
    assert handler.get_assignment_data(assignment["W2"])["status"] == "rejected"
    pairing = handler.get_worker_assignment_pairing("W1", assignment["W1"])
    assert (pairing["bonus_amount_cents"], bool(pairing["bonus_paid"])) == (125, True)


def test_each_role_of_a_task_test_run_opens_in_its_own_browser_and_sees_its_own_components(
        reviewer, site, open_page):
    url, _ = site
    reviewer.goto(url + "/app/tasks/custom_frontend_demo")
    reviewer.get_by_role("button", name="Start a test run").click()
    links = reviewer.locator("[data-test-run] a[data-role]")
    expect(links).to_have_text(["Open as Asker", "Open as Answerer", "Open as Evaluator"])
    asker, answerer, evaluator = (open_page(reviewer.get_by_role("link", name=f"Open as {role}")
                                            .get_attribute("href"))
                                  for role in ("Asker", "Answerer", "Evaluator"))
    welcome = "Welcome! The Asker asks 3 questions"
    for page in (asker, answerer, evaluator):
        expect(page.locator("#parley-messages")).to_contain_text(welcome)

    # The Asker has the core chat box; the Answerer a number box; the Evaluator two
    # buttons that wait for the end.
    expect(asker.locator("#parley-input textarea")).to_be_enabled()
    expect(asker.locator("#parley-input .demo-number, #parley-input .demo-approve")).to_have_count(0)
    number = answerer.locator("#parley-input input.demo-number")
    expect(number).to_have_attribute("type", "number")
    expect(answerer.locator("#parley-input textarea")).to_have_count(0)
    approve = evaluator.get_by_role("button", name="Approve")
    reject = evaluator.get_by_role("button", name="Reject")
    expect(approve).to_be_disabled()
    expect(reject).to_be_disabled()
    expect(evaluator.locator(".demo-hint")).to_have_text("Follow the conversation; you will decide at the end.")
    expect(evaluator.locator("#parley-input textarea, #parley-input input")).to_have_count(0)

    for n, (question, answer) in enumerate(zip(["Legs on a spider?", "Pi, roughly?", "Water boils at?"],
                                               ["8", "3.14", "100"]), 1):
        send(asker, question)
        expect(others(answerer).last).to_have_text(question)
        if n == 1:  # letters do not go into the number box, so nothing is sent
            number.press_sequentially("eight")
            number.press("Enter")
        number.fill(answer)
        number.press("Enter")
        expect(answerer.locator(".parley-row--self .parley-message__text")).to_have_count(n)
        expect(heard(asker, answer)).to_have_count(1)
        expect(heard(evaluator, answer)).to_have_count(1)
    expect(answerer.locator(".parley-row--self .parley-message__text")).to_have_text(["8", "3.14", "100"])

    expect(evaluator.locator(".demo-hint")).to_have_text("Did the Answerer answer every question sensibly?")
    expect(approve).to_be_enabled()
    shot(evaluator, "chat-custom-frontend-evaluator")
    approve.click()
    verdict = "The Evaluator chose to approve this conversation. Thank you all! You can submit now."
    for page in (asker, answerer, evaluator):
        expect(others(page).last).to_have_text(verdict)
    # The world's `evaluate` flag shows in the core context pane, never in the Evaluator's.
    expect(asker.locator("#parley-context [data-key=evaluate]")).to_have_count(1)
    expect(evaluator.locator("#parley-context [data-key=evaluate]")).to_have_count(0)
    submit(asker, answerer, evaluator)


# Markup -----------------------------------------------------------------------------------

def test_markup_a_worker_types_runs_no_script_in_the_partners_chat_nor_in_the_dashboard(
        start, open_page, reviewer, site):
    runner = start("pair_chat")
    alice, bob = open_pair(runner, open_page)
    # pair_chat takes turns, so the two workers send the payloads in turn.
    for n, payload in enumerate(PAYLOADS):
        writer, reader = (alice, bob) if n % 2 == 0 else (bob, alice)
        send(writer, payload)
        expect(writer.locator(".parley-row--self").last).to_have_attribute("data-status", "sent")
        expect(others(reader).last).to_have_text(payload)
    for page in (alice, bob):
        assert page.locator("#parley-messages img, #parley-messages script, #evil").count() == 0
        assert page.evaluate("window.__pwned") is None

    url, _ = site
    reviewer.goto(f"{url}/runs/{runner.run_id}/conversations/t_1")
    texts = reviewer.locator(".message__text")
    for payload in PAYLOADS:
        expect(texts.filter(has_text=payload)).to_have_count(1)
    assert reviewer.locator(".messages img, .messages script, #evil").count() == 0
    assert reviewer.evaluate("window.__pwned") is None
