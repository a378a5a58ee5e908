"""The chat page against the real runner (not the fake): two workers in two browser
contexts chat to the end and submit; a page whose token the runner will not take says so
and stops trying."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from runner.budget import COUNT_TEXT, CUT_OFF_TEXT, REFUSALS_BEFORE_CUT_OFF
from tests.support.browser import SCREENSHOTS, send
from tests.support.live_runner import LiveRunner, fetch


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


def test_a_message_over_the_budget_is_marked_not_sent_with_the_reason_and_never_sent_again(store_url, open_page):
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1, messages_per_assignment=1)
    try:
        sent_frames: list[str] = []

        def watch(page: Page) -> None:
            page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent_frames.append(str(payload))))

        alice = open_page(runner.link("W1"), watch)
        open_page(runner.link("W2"))
        expect(alice.locator("#parley-messages")).to_contain_text("You are Alice.")
        mine = alice.locator("#parley-messages .parley-row--self")
        send(alice, "my one message")
        expect(mine.nth(0)).to_have_attribute("data-status", "sent")
        send(alice, "one message too many")
        expect(mine.nth(1)).to_have_attribute("data-status", "failed")
        expect(mine.nth(1).locator(".parley-row__status")).to_have_text(f"Not sent: {COUNT_TEXT}")

        alice.reload()  # the page sends again whatever it holds unacknowledged
        expect(alice.locator("#parley-connection")).to_have_attribute("data-status", "connected")
        expect(mine.nth(1).locator(".parley-row__status")).to_have_text(f"Not sent: {COUNT_TEXT}")
        alice.wait_for_timeout(1000)
        assert sum("one message too many" in frame for frame in sent_frames) == 1
        assert [m["text"] for m in runner.handler.get_messages(runner.run_id, "t_1")][2:] == ["my one message"]
    finally:
        runner.stop()


def test_a_worker_who_keeps_sending_past_the_budget_is_told_the_task_ended(store_url, open_page):
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1, messages_per_assignment=1)
    try:
        alice = open_page(runner.link("W1"))
        open_page(runner.link("W2"))
        expect(alice.locator("#parley-messages")).to_contain_text("You are Alice.")
        send(alice, "my one message")
        for n in range(REFUSALS_BEFORE_CUT_OFF):
            send(alice, f"and another {n}")
        expect(alice.locator("#parley-banner")).to_have_text(CUT_OFF_TEXT)
        expect(alice.locator("#parley-connection")).to_have_attribute("data-status", "closed")
        expect(alice.locator("#parley-input textarea")).to_be_disabled()
    finally:
        runner.stop()


SEND_ONE_FRAME = """async ([url, token, size]) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onopen = () => {
    ws.send(JSON.stringify({type: 'hello', token: token, last_seq: 0}));
    ws.send(JSON.stringify({type: 'message', cid: 'big', act: {text: 'x', pad: 'y'.repeat(size)}}));
  };
  ws.onclose = (event) => resolve({code: event.code, reason: event.reason});
})"""


@pytest.mark.parametrize("size", [300_000, 2**20, 10 * 2**20], ids=["300KB", "1MiB", "10MiB"])
def test_a_frame_over_the_socket_limit_is_closed_with_1009_and_a_reason_the_browser_sees(runner, new_page, size):
    """What the browser itself reports, each of three times: the close frame arrived whole,
    with its code and reason (a connection reset, or bytes after the close frame, would make
    it 1006 with no reason), and nothing of the frame was stored."""
    token = fetch(runner.link("W1")).config["token"]
    page = new_page()
    page.goto(runner.server.url + "/healthz")
    ws_url = runner.server.url.replace("http", "ws", 1) + "/ws"
    closes = [page.evaluate(SEND_ONE_FRAME, [ws_url, token, size]) for _ in range(3)]
    assert closes == [{"code": 1009, "reason": "Message is too big"}] * 3
    assert runner.handler.get_messages(runner.run_id, "t_1") == []
