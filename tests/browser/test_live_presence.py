"""The live monitor in Chromium, with the workers' chat pages served by a runner in another
process on the same store: the monitor shows a worker connected to that runner, then in
conversation, then stuck when they let their turn pass without a message; a conversation's
live page shows its transcript as it grows."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.faults.processes import Runner
from tests.support.browser import SCREENSHOTS, send
from tests.support.runner_processes import assignment_of, local_runners

STUCK_SECONDS = "2"
LIVE = {"timeout": 20_000}
"""Long enough for a beat of the runner, a refresh of the page and a loaded machine."""


@pytest.fixture
def runner(store_url: str, tmp_path: Path) -> Iterator[Runner]:
    """A runner process of its own, beating often and calling a worker stuck after 2 s on their turn."""
    with local_runners(store_url, tmp_path) as start:
        yield start("runner", "--presence-seconds", "0.2", "--stuck-seconds", STUCK_SECONDS)


def close_before_the_servers_stop(*pages: Page) -> None:
    """Live pages poll and hold sockets: closed now, none of their requests is cut by the
    runner and the webapp stopping (which the browser would log as an error)."""
    for page in pages:
        page.close()


def test_the_monitor_shows_a_worker_connected_to_a_runner_in_another_process_and_then_stuck(
        reviewer, site, runner, open_page):
    url, _ = site
    first, second = runner.links(2)
    reviewer.goto(url + "/live")
    alice_row = reviewer.locator(f'#live-workers tr[data-assignment="{assignment_of(first)}"]')
    run_row = reviewer.locator(f'#live-runs tr[data-run="{runner.run_id}"]')

    alice = open_page(first)
    expect(alice_row.locator('[data-field="presence"]')).to_have_text("waiting", **LIVE)
    expect(alice_row).to_contain_text(f":{runner.proc.pid}")  # served by the other process
    expect(run_row.locator('[data-field="connected"]')).to_have_text("1")
    expect(run_row.locator('[data-field="runners"]')).to_contain_text(f":{runner.proc.pid}")

    bob = open_page(second)
    expect(alice.locator("#parley-messages")).to_contain_text("You are Alice.")
    expect(alice_row.locator('[data-field="presence"]')).to_have_text("in conversation", **LIVE)
    expect(run_row.locator('[data-field="connected"]')).to_have_text("2")
    # Alice's turn comes first; she lets it pass.
    expect(alice_row.locator('[data-field="presence"]')).to_have_text("stuck", **LIVE)
    expect(run_row.locator('[data-field="stuck"]')).to_have_text("1")
    SCREENSHOTS.mkdir(exist_ok=True)
    reviewer.screenshot(path=str(SCREENSHOTS / "dashboard-live-stuck.png"), full_page=True)

    send(alice, "Sorry, I was making tea")
    expect(alice_row.locator('[data-field="presence"]')).to_have_text("in conversation", **LIVE)
    close_before_the_servers_stop(reviewer, alice, bob)


def test_a_conversations_live_page_shows_its_transcript_growing_and_who_is_stuck(reviewer, site, runner, open_page):
    url, _ = site
    first, second = runner.links(2)
    alice, bob = open_page(first), open_page(second)
    expect(bob.locator("#parley-messages")).to_contain_text("You are Bob.")
    reviewer.goto(url + "/live")
    link = reviewer.locator(f'#live-workers tr[data-assignment="{assignment_of(first)}"] a[href*="/conversations/"]')
    expect(link).to_have_text("t_1", **LIVE)
    link.click()
    expect(reviewer.locator("h1")).to_have_text("Live conversation t_1")
    transcript = reviewer.locator("#live-transcript .message__text")
    expect(transcript).to_have_text(["You are Alice.", "You are Bob."])

    send(alice, "Hello <b>Bob</b>")
    expect(transcript.last).to_have_text("Hello <b>Bob</b>", **LIVE)  # without a reload, and as text
    bob_row = reviewer.locator(f'#live-conversation-workers tr[data-assignment="{assignment_of(second)}"]')
    expect(bob_row.locator('[data-field="presence"]')).to_have_text("stuck", **LIVE)
    close_before_the_servers_stop(reviewer, alice, bob)
