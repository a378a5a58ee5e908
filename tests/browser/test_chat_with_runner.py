"""The chat page against the real runner (not the fake): two workers in two browser
contexts chat to the end and submit; a page whose token the runner will not take says so
and stops trying."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import SCREENSHOTS, send
from tests.support.live_runner import LiveRunner


@pytest.fixture
def runner(store_url) -> Iterator[LiveRunner]:
    live = LiveRunner(store_url, "pair_chat", num_conversations=1)
    yield live
    live.stop()


@pytest.fixture
def open_page(new_page):
    def open_(url: str, setup=None) -> Page:
        page = new_page(1100, 760)
        if setup:
            setup(page)
        page.goto(url)
        return page

    return open_


def test_two_workers_chat_through_the_runner_and_submit(runner, open_page):
    alice = open_page(runner.link("W1"))
    bob = open_page(runner.link("W2"))
    expect(alice.locator("#parley-messages")).to_contain_text("You are Alice.")
    expect(bob.locator("#parley-messages")).to_contain_text("You are Bob.")
    send(alice, "Hello Bob, from a real browser")
    expect(bob.locator("#parley-messages .parley-row--other")).to_contain_text(["Hello Bob, from a real browser"])
    send(bob, "Hi Alice")
    expect(alice.locator("#parley-messages .parley-row--other").last).to_contain_text("Hi Alice")
    send(alice, "bye")
    SCREENSHOTS.mkdir(exist_ok=True)
    for page in (alice, bob):
        done = page.get_by_role("button", name=re.compile("done", re.I))
        expect(done).to_be_enabled()
        done.click()
        expect(page.locator("#parley-banner")).to_contain_text("submitted")
    alice.screenshot(path=str(SCREENSHOTS / "runner-chat-submitted.png"), full_page=True)
    assert runner.manager.wait(10)
    texts = [m["text"] for m in runner.handler.get_messages(runner.run_id, "t_1")]
    assert texts == ["You are Alice.", "You are Bob.", "Hello Bob, from a real browser", "Hi Alice", "bye"]
    assert {p["status"] for p in runner.handler.get_pairings_for_run(runner.run_id)} == {"submitted"}


def test_a_page_whose_token_is_refused_says_so_and_stops_reconnecting(runner, open_page):
    sockets = []
    # The page's config is edited in the browser before chat.js boots, as a worker who
    # tampers with the page (or a stale tab) would present another token.
    forge_token = """document.addEventListener('DOMContentLoaded', function () {
        var holder = document.getElementById('parley-config');
        var config = JSON.parse(holder.textContent);
        config.token = 'forged-token';
        holder.textContent = JSON.stringify(config);
    }, {capture: true});"""

    def setup(page: Page) -> None:
        page.add_init_script(forge_token)
        page.on("websocket", lambda ws: sockets.append(ws))

    page = open_page(runner.link("W1"), setup)
    notice = page.locator("#parley-notice")
    expect(notice).to_contain_text("This page cannot connect to its task (the token is not valid)")
    expect(page.locator("#parley-connection")).to_have_attribute("data-status", "closed")
    # flask-sock on werkzeug sometimes garbles the closing bytes after the error frame
    # (flask-sock issues #20, #77); Chrome then drops the frame and the page tries once
    # more. Once the page has shown the refusal, it must never try again.
    opened = len(sockets)
    assert opened <= 2
    page.wait_for_timeout(3000)  # several reconnect back-offs: none may happen
    assert len(sockets) == opened
    expect(notice).to_be_visible()
    config = json.loads(page.locator("#parley-config").text_content())
    assert config["token"] == "forged-token"
