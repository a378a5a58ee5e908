"""pairwise_dialog_eval in a real browser, on the local provider and on the fake MTurk: two
workers each judge their pairs of conversations, shown side by side in an order drawn for
each of them; a judgement without its reason is refused next to the field; afterwards every
pair is judged twice, each answer keeps the order its worker saw, the models' names never
reached a page, and the review page and the export show the answers."""
from __future__ import annotations

import io
import json
import re

from playwright.sync_api import expect

from datastore.export import export_jsonl
from tests.integration.test_task_context_live import mturk
from tests.support.browser import open_work

PAIRS = 8
SHORT = "Nicer."
SHORT_TEXT = "Please write at least 15 characters (you wrote 6)."


def test_two_workers_judge_every_pair_twice_each_seeing_its_own_order(start, new_page, marketplace, site,
                                                                      reviewer):
    provider = None if marketplace is None else mturk(marketplace, block_qualification="parley_pairwise_block")
    runner = start("pairwise_dialog_eval", provider=provider, num_conversations=PAIRS)
    handler, shown = runner.handler, {}
    for n, worker_id in enumerate(("AWORKERONE", "AWORKERTWO")):
        for round_ in range(PAIRS // 2):  # 8 pairs x 2 judgements / 2 pairs an assignment / 2 workers
            page = new_page(1200, 900)
            open_work(page, runner, marketplace, worker_id, 2 * round_ + n)
            items = page.locator(".parley-form-item")
            expect(items).to_have_count(2)
            content = page.content()
            assert "curious bot" not in content and "terse bot" not in content  # blind
            for k, item in enumerate(items.all()):
                item_id = item.get_attribute("data-item-id")
                titles = item.locator(".parley-pair__title").all_inner_texts()
                shown[(worker_id, item_id)] = [t.removeprefix("Conversation ").lower() for t in titles]
                item.locator('[data-field="winner"] input[value="a"]').check()
                if k == 0 and round_ == 0:  # a judgement without a real reason is refused by its field
                    item.locator('[data-field="reason"] textarea').fill(SHORT)
                    item.locator(".parley-form-item__submit").click()
                    expect(item.locator('[data-field="reason"] .parley-field__error')).to_have_text(SHORT_TEXT)
                    assert handler.get_form_answers(runner.run_id, item_id=item_id, worker_id=worker_id) == []
                item.locator('[data-field="reason"] textarea').fill("It asks about me and stays friendly.")
                item.locator(".parley-form-item__submit").click()
                expect(item).to_have_attribute("data-answered", "true")
            page.get_by_role("button", name=re.compile("done", re.I)).click()
            if marketplace is None:
                expect(page.locator("#parley-banner")).to_contain_text("submitted")
            else:  # the page posted its submission form to MTurk
                expect(page.locator("body")).to_have_text("Submitted to MTurk.")
            page.close()
    answers = handler.get_form_answers(runner.run_id)
    judged: dict[str, list[str]] = {}
    for row in answers:
        judged.setdefault(row["item_id"], []).append(row["worker_id"])
        assert row["answers"]["winner"] == "a"
        assert row["answers"]["positions"] == shown[(row["worker_id"], row["item_id"])]
    assert {item: sorted(workers) for item, workers in judged.items()} == {
        f"pair-{n:04d}": ["AWORKERONE", "AWORKERTWO"] for n in range(1, PAIRS + 1)}
    assert {tuple(row["answers"]["positions"]) for row in answers} == {("a", "b"), ("b", "a")}
    if marketplace is not None:
        submitted = {a["AssignmentId"] for a in marketplace.assignments.values()
                     if a["AssignmentStatus"] == "Submitted"}
        assert len(submitted) == PAIRS
    pairing = handler.get_pairings_for_run(runner.run_id)[0]
    reviewer.goto(f"{site[0]}/runs/{runner.run_id}/conversations/{pairing['conversation_id']}")
    expect(reviewer.locator(".form-item")).to_have_count(2)
    first = reviewer.locator(".form-item").first
    expect(first.locator('[data-field="winner"]')).to_have_text("The Bot of conversation A")
    expect(first.locator('[data-field="reason"] .text')).to_have_text("It asks about me and stays friendly.")
    # filled in by Playwright, not typed: the review page says so
    expect(first.locator('[data-field="reason"] .badge[data-flag="inserted"]')).to_have_text("inserted text")
    # Every judgement for the curious bot (16 of 16): its win rate and a significant binomial test.
    reviewer.goto(f"{site[0]}/runs/{runner.run_id}")
    wins = reviewer.locator("table", has_text="A's win rate").locator("tbody tr")
    expect(wins).to_have_count(1)
    expect(wins).to_contain_text("curious bot")
    expect(wins).to_contain_text("significant")
    out = io.StringIO()
    export_jsonl(handler, runner.run_id, out)
    exported = [answer for line in out.getvalue().splitlines() for answer in json.loads(line)["form_answers"]]
    assert sorted((a["item_id"], a["worker_id"]) for a in exported) == sorted(
        (row["item_id"], row["worker_id"]) for row in answers)
