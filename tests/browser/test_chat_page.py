"""The worker's chat page in a real browser (Debian's chromium driven by Playwright), talking
to a fake server that speaks the live-channel protocol: what a worker sees, what reaches the
server, and that nothing a worker or partner types ever runs as markup."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import SCREENSHOTS, expect_live, send, wait_until
from tests.support.fake_live_server import Connection, FakeLiveServer, Session

XSS = '<img src=x onerror="window.__pwned=1"> and <script>window.__pwned=1</script>'

ASKER_CUSTOM_JS = """
Parley.registerComponents({
  TextResponse: {
    Asker: function (props) {
      var h = Parley.h;
      return h('div', {class: 'asker-response'},
        h('button', {type: 'button', class: 'parley-button parley-button--primary asker-yes',
                     disabled: props.disabled,
                     onclick: function () { props.send('Yes, please'); }}, 'Say yes'));
    }
  },
  ChatMessage: {
    'default': function (props) {
      var el = Parley.core.ChatMessage(props);
      if (el) el.classList.add('wrapped-by-custom');
      return el;
    }
  }
});
"""


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeLiveServer]]:
    servers: list[FakeLiveServer] = []

    def start(**options) -> FakeLiveServer:
        servers.append(FakeLiveServer(**options).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(serve) -> FakeLiveServer:
    return serve()


@pytest.fixture
def open_chat(new_page) -> Callable[..., Page]:
    """Open a token's chat page in a fresh browser context; at the end, fail on any script
    error or Content-Security-Policy violation the page reported."""
    def open_(server: FakeLiveServer, token: str | None = None, width: int = 1200, height: int = 780) -> Page:
        page = new_page(width, height)
        page.goto(server.chat_url(token))
        expect(page.locator("#parley-connection")).to_have_attribute("data-status", "connected")
        # The fake says in_task right after its welcome; frames a test pushes come after it.
        expect(page.locator("#parley-banner")).to_have_text(server.in_task_text)
        return page

    return open_


def self_rows(page: Page):
    return page.locator("#parley-messages .parley-row--self")


def other_rows(page: Page):
    return page.locator("#parley-messages .parley-row--other")


def all_rows(page: Page):
    return page.locator("#parley-messages .parley-row")


def test_a_typed_message_is_shown_acknowledged_and_answered_by_the_partner(server, open_chat):
    page = open_chat(server)
    hello = server.wait_for_frames("hello")[0]
    assert hello == {"type": "hello", "token": "tok-worker", "last_seq": 0}
    expect(page.locator("#parley-banner")).to_have_text("You are paired. Say hello!")

    send(page, "Hello there")

    mine = self_rows(page)
    expect(mine).to_have_count(1)
    expect(mine.locator(".parley-message__text")).to_have_text("Hello there")
    expect(mine).to_have_attribute("data-status", "sent")
    expect(mine.locator(".parley-row__status")).to_have_text("Sent")
    sent = server.wait_for_frames("message")[0]
    # With how it was composed (here filled in at once, as a script does): composition.js.
    assert sent["act"] == {"text": "Hello there", "signals": sent["act"]["signals"]}
    assert sent["act"]["signals"]["chars"] == sent["act"]["signals"]["inserted_chars"] == 11
    assert mine.get_attribute("data-cid") == sent["cid"]

    reply = other_rows(page)
    expect(reply.locator(".parley-message__text")).to_have_text("You said: Hello there")
    expect(reply.locator(".parley-message__sender")).to_have_text("Partner")
    expect(page.locator("#parley-input textarea")).to_have_value("")
    server.wait_for_frames("heartbeat")


def test_in_a_task_that_takes_turns_the_input_opens_only_on_the_workers_turn_for_one_message(serve, open_chat):
    server = serve(free_chat=False)
    page = open_chat(server)
    box, turn = page.locator("#parley-input textarea"), page.locator("#parley-turn")
    expect(box).to_be_disabled()
    expect(turn).to_have_text("Waiting…")
    server.push("tok-worker", {"type": "turn", "agent_id": "Partner", "yours": False})
    expect(turn).to_have_text("Waiting for Partner…")
    expect(box).to_be_disabled()
    server.push("tok-worker", {"type": "turn", "agent_id": "Worker", "yours": True})
    expect(turn).to_have_text("Your turn.")
    expect(turn).to_have_attribute("aria-live", "polite")
    send(page, "My one message")
    expect(self_rows(page)).to_have_count(1)
    expect(box).to_be_disabled()  # the turn is used: nothing more until the next one
    expect(turn).to_have_text("Waiting…")
    assert [f["act"]["text"] for f in server.wait_for_frames("message")] == ["My one message"]


def test_shift_enter_makes_a_new_line_instead_of_sending(server, open_chat):
    page = open_chat(server)
    box = page.locator("#parley-input textarea")
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
    expect(self_rows(page)).to_have_count(0)
    box.press("Enter")
    expect(self_rows(page).locator(".parley-message__text")).to_have_text("first line\nsecond line")


def test_markup_in_messages_is_shown_as_literal_text_and_never_runs(server, open_chat):
    page = open_chat(server)
    send(page, XSS)
    expect(other_rows(page)).to_have_count(1)
    server.push_message("tok-worker", {"id": XSS, "text": XSS})

    expect(self_rows(page).locator(".parley-message__text")).to_have_text(XSS)
    expect(other_rows(page).locator(".parley-message__text")).to_have_text([f"You said: {XSS}", XSS])
    expect(other_rows(page).nth(1).locator(".parley-message__sender")).to_have_text(XSS)
    assert page.locator("#parley-messages img, #parley-messages script").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_task_data_text_image_and_table_render_in_the_context_pane(server, open_chat):
    page = open_chat(server)
    context = page.locator("#parley-context")
    expect(context).to_be_hidden()

    server.push_message("tok-worker", {"id": "Partner", "text": "Here is what we discuss.", "task_data": {
        "text": "A street market at dusk.\nLook at the stalls.",
        "image_url": "/test-image.png",
        "table": {"columns": ["item", "price"], "rows": [["apples", "$2"], ["<b>pears</b>", "$3"]]},
        "persona": {"name": "Sam", "likes": ["fruit", "<i>markets</i>"]},
    }})
    expect(context).to_be_visible()
    expect(context.locator(".parley-context__text").first).to_have_text("A street market at dusk.\nLook at the stalls.")
    image = context.locator("img")
    expect(image).to_have_count(1)
    expect(image).to_have_attribute("src", server.url("/test-image.png"))
    wait_until(lambda: image.evaluate("img => img.naturalWidth") > 0, message="the image loading")
    expect(context.locator("th")).to_have_text(["Item", "Price"])
    expect(context.locator("td")).to_have_text(["apples", "$2", "<b>pears</b>", "$3"])
    expect(context.locator("dt")).to_have_text(["Name", "Likes"])
    expect(context.locator("dd li")).to_have_text(["fruit", "<i>markets</i>"])

    # Later task_data is merged in (shallowly, as ParlAI did); unsafe image URLs are dropped.
    server.push_message("tok-worker", {"id": "Partner", "text": "", "task_data": {
        "image_url": "javascript:window.__pwned=1", "images": ["/test-image.png", "data:image/png;base64,AAAA"],
    }})
    expect(context.locator("img")).to_have_count(1)
    expect(context.locator("th")).to_have_text(["Item", "Price"])
    expect(other_rows(page)).to_have_count(1)  # a message with no text draws no bubble
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_a_custom_component_for_the_asker_replaces_text_response_only_for_the_asker(serve, open_chat):
    server = serve(agents={"tok-asker": "Asker", "tok-answerer": "Answerer"},
                   custom_js=ASKER_CUSTOM_JS, agent_id_in_page=False)

    asker = open_chat(server, "tok-asker")
    expect(asker.locator(".asker-response")).to_be_visible()  # agent id arrived with welcome
    expect(asker.locator("#parley-input textarea")).to_have_count(0)
    asker.locator(".asker-yes").click()
    server.wait_for_frames("message", act={"text": "Yes, please"})
    expect(self_rows(asker).locator(".parley-message--self.wrapped-by-custom")).to_have_text(["YouYes, please"])

    answerer = open_chat(server, "tok-answerer")
    expect(answerer.locator("#parley-input textarea")).to_be_enabled()
    expect(answerer.locator(".asker-response")).to_have_count(0)


def test_partner_disconnect_shows_its_text_and_the_done_button_which_submits(server, open_chat):
    page = open_chat(server)
    expect(page.locator("#parley-done")).to_be_hidden()
    expect(page.locator(".parley-actions")).to_have_text("Return task")

    server.push_state("tok-worker", "partner_disconnect", "Your partner left. Press Done to be paid for your part.")

    expect(page.locator("#parley-banner")).to_have_text("Your partner left. Press Done to be paid for your part.")
    expect(page.locator("#parley-banner")).to_have_attribute("data-tone", "warning")
    expect(page.locator("#parley-input textarea")).to_be_disabled()
    expect(page.locator(".parley-actions")).to_have_text("")
    done = page.get_by_role("button", name="Done")
    expect(done).to_be_visible()
    done.click()
    server.wait_for_frames("done")
    expect(page.locator("#parley-banner")).to_contain_text("Your work is submitted. You can close this tab.")
    expect(page.locator("#parley-done")).to_be_hidden()


def test_done_with_a_form_submit_posts_the_providers_fields_to_its_action(serve, open_chat):
    server = serve(submit={"kind": "form", "action": None,
                           "fields": {"assignmentId": "ASSIGN-1", "parley_done": "true"}})
    server.submit["action"] = server.url("/turk/mturk/externalSubmit")
    page = open_chat(server)
    expect(page.locator(".parley-actions")).to_have_text("")  # marketplace workers return on the marketplace

    server.push_state("tok-worker", "done", "All done, thank you!")
    with page.expect_navigation():
        page.get_by_role("button", name="Done").click()
    expect(page.locator("#turk-done")).to_be_visible()
    assert server.frames("done")
    assert server.turk_submissions == [{"assignmentId": "ASSIGN-1", "parley_done": "true"}]


@pytest.mark.parametrize(("state", "code"), [("done", "DONE1"), ("partner_disconnect", "LEFT1")])
def test_done_with_a_redirect_submit_sends_the_worker_to_the_url_for_the_pages_state(serve, open_chat, state, code):
    server = serve(submit={"kind": "redirect", "url": None, "by_state": {}})
    server.submit["url"] = server.url("/marketplace/complete?cc=DONE1")
    server.submit["by_state"] = {"partner_disconnect": server.url("/marketplace/complete?cc=LEFT1")}
    page = open_chat(server)
    expect(page.locator(".parley-actions")).to_have_text("")  # marketplace workers return on the marketplace

    server.push_state("tok-worker", state, "Press Done to finish.")
    with page.expect_navigation():
        page.get_by_role("button", name="Done").click()
    expect(page.locator("#marketplace-done")).to_be_visible()
    assert server.frames("done")
    assert server.redirects == [{"cc": code}]


def test_return_task_sends_return_after_the_worker_confirms(server, open_chat):
    page = open_chat(server)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Return task").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Return task").click()
    server.wait_for_frames("return")
    assert len(server.frames("return")) == 1
    expect(page.locator("#parley-banner")).to_have_text("You returned this task.")
    expect(page.locator("#parley-input textarea")).to_be_disabled()


def test_unacked_messages_are_resent_after_the_server_drops_and_comes_back(server, open_chat):
    page = open_chat(server)
    send(page, "before the drop")
    expect(self_rows(page)).to_have_attribute("data-status", "sent")

    server.ack_messages = False
    send(page, "lost in transit")
    first = server.wait_for_frames("message", act={"text": "lost in transit"})[0]
    expect(self_rows(page).nth(1)).to_have_attribute("data-status", "pending")
    expect(self_rows(page).nth(1).locator(".parley-row__status")).to_have_text("Sending…")

    server.ack_messages = True
    server.drop(refuse_for=1.5)
    expect(page.locator("#parley-connection")).to_have_attribute("data-status", "reconnecting")

    again = server.wait_for_frames("message", count=2, act={"text": "lost in transit"}, timeout=15)
    assert again[1]["cid"] == first["cid"]
    hellos = server.wait_for_frames("hello", count=2)
    assert hellos[1]["last_seq"] > 0
    expect(self_rows(page).nth(1)).to_have_attribute("data-status", "sent", timeout=10_000)
    expect(page.locator("#parley-connection")).to_have_attribute("data-status", "connected")
    # Replayed frames are not drawn twice; the late message got its one answer.
    expect(other_rows(page).locator(".parley-message__text")).to_have_text(
        ["You said: before the drop", "You said: lost in transit"])
    expect(self_rows(page)).to_have_count(2)


def test_a_reloaded_page_keeps_its_transcript_and_resends_what_was_not_acknowledged(server, open_chat):
    page = open_chat(server)
    send(page, "answered")
    expect(other_rows(page)).to_have_count(1)
    server.ack_messages = False
    send(page, "unanswered")
    first = server.wait_for_frames("message", act={"text": "unanswered"})[0]

    server.ack_messages = True
    page.reload()
    again = server.wait_for_frames("message", count=2, act={"text": "unanswered"})
    assert again[1]["cid"] == first["cid"]
    assert server.frames("hello")[-1]["last_seq"] > 0
    expect(self_rows(page).locator(".parley-message__text")).to_have_text(["answered", "unanswered"])
    expect(self_rows(page).nth(1)).to_have_attribute("data-status", "sent")
    expect(other_rows(page).locator(".parley-message__text")).to_have_text(
        ["You said: answered", "You said: unanswered"])


def test_an_error_without_retry_is_shown_under_the_message_and_not_resent(server, open_chat):
    def refuse(server: FakeLiveServer, session: Session, conn: Connection, frame: dict) -> None:
        conn.send({"type": "error", "error": "Messages may not contain links.", "cid": frame["cid"]})

    server.on_message = refuse
    page = open_chat(server)
    send(page, "see http://example.com")
    row = self_rows(page)
    expect(row).to_have_attribute("data-status", "failed")
    expect(row.locator(".parley-row__status")).to_have_text("Not sent: Messages may not contain links.")

    server.drop()
    server.wait_for_frames("hello", count=2, timeout=10)
    page.wait_for_timeout(300)
    assert len(server.frames("message")) == 1


def test_a_message_too_large_for_the_socket_is_not_sent_and_the_page_says_so(server, open_chat):
    """A custom component could hand the page more task_data than a frame may carry; sent, it
    would be refused, or close the socket and be sent again after every reconnect."""
    page = open_chat(server)
    sent = page.evaluate("Parley.sendMessage({text: 'my answer', task_data: {blob: 'y'.repeat(70000)}})")
    assert sent is False
    expect(page.locator("#parley-notice")).to_contain_text("That message is too large to send.")
    send(page, "a message of ordinary size")
    server.wait_for_frames("message", act={"text": "a message of ordinary size"})
    assert [f["act"]["text"] for f in server.frames("message")] == ["a message of ordinary size"]
    expect(self_rows(page)).to_have_count(1)


def test_an_error_with_retry_is_sent_again_until_acknowledged(server, open_chat):
    def busy_once(server: FakeLiveServer, session: Session, conn: Connection, frame: dict) -> None:
        if len(server.frames("message")) == 1:
            conn.send({"type": "error", "error": "store busy", "cid": frame["cid"], "retry": True})
        else:
            server.ack(conn, frame["cid"])

    server.on_message = busy_once
    page = open_chat(server)
    send(page, "try me twice")
    frames = server.wait_for_frames("message", count=2)
    assert frames[0]["cid"] == frames[1]["cid"]
    expect(self_rows(page)).to_have_attribute("data-status", "sent")


def test_the_refused_page_says_why_in_plain_text(server, browser):
    page = browser.new_page(viewport={"width": 1000, "height": 640})
    try:
        page.goto(server.url("/refused?reason=" + "You have already worked on this task <b>twice</b>."))
        expect(page.locator(".parley-refused__reason")).to_have_text(
            "You have already worked on this task <b>twice</b>.")
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "refused_page.png"))
    finally:
        page.close()


def test_screenshot_of_a_conversation(serve, open_chat):
    replies = iter([
        "Hi! I see a busy street market. What catches your eye first?",
        "Same here. The red awning stall looks like it sells spices.",
    ])
    server = serve(reply=lambda text: next(replies, None), title="Describe the market together")
    page = open_chat(server)
    server.push_message("tok-worker", {"id": "Partner", "text": "Hello! Ready when you are.", "task_data": {
        "text": "You both see the same photo. Agree on three things you would buy.",
        "image_url": "/test-image.png",
        "table": {"columns": ["stall", "sells", "price"],
                  "rows": [["North", "spices", "$4"], ["Corner", "fruit", "$2"], ["Red awning", "tea", "$3"]]},
    }})
    send(page, "Hi! Ready. Let's start with the fruit stall on the corner.")
    expect(other_rows(page)).to_have_count(2)
    send(page, "The lanterns above the stalls.\nThey make everything look warm.")
    expect(other_rows(page)).to_have_count(3)
    expect(self_rows(page).nth(1)).to_have_attribute("data-status", "sent")
    server.ack_messages = False
    send(page, "Shall we pick tea as the third thing?")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat_page.png"))

    server.push_state("tok-worker", "done", "The conversation is over. Press Done to submit your work.")
    expect(page.get_by_role("button", name="Done")).to_be_visible()
    page.set_viewport_size({"width": 400, "height": 760})
    page.screenshot(path=str(SCREENSHOTS / "chat_page_narrow.png"))


def test_parley_h_makes_text_nodes_attaches_handlers_and_refuses_script_urls(server, open_chat):
    page = open_chat(server)
    built = page.evaluate("""() => {
        const h = Parley.h;
        let clicked = 0;
        const link = h('a', {href: 'javascript:window.__pwned=1', onclick: () => { clicked += 1; },
                             onmouseover: 'window.__pwned=1', class: ['a', null, 'b']}, '<b>bold?</b>', 7);
        link.dispatchEvent(new MouseEvent('click', {cancelable: true}));
        return {
            href: link.getAttribute('href'), onmouseover: link.getAttribute('onmouseover'),
            className: link.className, html: link.innerHTML, clicked,
            relative: h('img', {src: '/test-image.png'}).getAttribute('src'),
            tabbed: h('a', {href: 'java\\tscript:alert(1)'}).getAttribute('href'),
            data: h('img', {src: 'data:image/png;base64,AAAA'}).getAttribute('src'),
            https: h('a', {href: 'https://example.org/a?b=1'}).getAttribute('href'),
            disabled: h('button', {disabled: false}).disabled,
        };
    }""")
    assert built == {
        "href": None, "onmouseover": None, "className": "a b",
        "html": "&lt;b&gt;bold?&lt;/b&gt;7", "clicked": 1,
        "relative": server.url("/test-image.png"), "tabbed": None, "data": None,
        "https": "https://example.org/a?b=1", "disabled": False,
    }
    assert sorted(page.evaluate("Object.keys(Parley.core)")) == [
        "ChatMessage", "ContextView", "DoneButton", "TaskDescription", "TextResponse"]


def test_the_page_answers_server_heartbeats_once_per_half_period_without_ping_pong(serve, open_chat):
    server = serve(heartbeat_seconds=30)  # the page's own timer stays quiet during the test
    page = open_chat(server)
    server.push("tok-worker", {"type": "heartbeat"})
    server.wait_for_frames("heartbeat")
    server.push("tok-worker", {"type": "heartbeat"})
    page.wait_for_timeout(500)
    assert len(server.frames("heartbeat")) == 1


# Issue 18: one order, roles, states (with the fake server) ---------------------------------

PROBE_JS = """
Parley.registerComponents({TextResponse: {'default': function (props) {
  return Parley.h('p', {class: 'probe'}, 'role=' + props.role + ' is_my_turn=' + props.is_my_turn);
}}});
"""


def test_messages_show_by_position_and_the_workers_own_moves_from_sending_to_its_place(server, open_chat):
    page = open_chat(server)
    for position, text in ((0, "first"), (2, "third"), (1, "second")):
        server.push("tok-worker", {"type": "message", "act": {"id": "Partner", "text": text}, "position": position})
    expect(all_rows(page).locator(".parley-message__text")).to_have_text(["first", "second", "third"])

    cids: list[str] = []

    def hold(server: FakeLiveServer, session: Session, conn: Connection, frame: dict) -> None:
        cids.append(frame["cid"])

    server.on_message = hold
    send(page, "mine")
    server.push("tok-worker", {"type": "message", "act": {"id": "Partner", "text": "fifth"}, "position": 4})
    mine = page.locator(".parley-row--self")
    expect(all_rows(page).locator(".parley-message__text")).to_have_text(["first", "second", "third", "fifth", "mine"])
    expect(mine.locator(".parley-row__status")).to_have_text("Sending…")

    server.wait_for_frames("message")
    server.sessions["tok-worker"].connections[0].send({"type": "ack", "cid": cids[0], "id": 9, "position": 3})
    expect(all_rows(page).locator(".parley-message__text")).to_have_text(["first", "second", "third", "mine", "fifth"])
    expect(mine).to_have_attribute("data-position", "3")
    expect(mine.locator(".parley-row__status")).to_have_text("Sent")

    page.reload()  # the page's log keeps each message's position
    expect(page.locator("#parley-connection")).to_have_attribute("data-status", "connected")
    assert all_rows(page).locator(".parley-message__text").all_text_contents() == ["first", "second", "third", "mine", "fifth"]


def test_the_page_names_its_role_and_each_sender_in_the_tasks_words_and_tells_components_whose_turn(serve, open_chat):
    roles = {"Worker": {"label": "The tourist", "color": "#1f6feb"},
             "Guide": {"label": "The guide", "color": "#b35900"}}
    server = serve(free_chat=False, roles=roles, partner_id="Guide", custom_js=PROBE_JS)
    page = open_chat(server)
    expect(page.locator("#parley-role")).to_have_text("You are The tourist")
    probe = page.locator("#parley-input .probe")
    expect(probe).to_have_text("role=Worker is_my_turn=false")
    server.push("tok-worker", {"type": "turn", "agent_id": "Guide", "yours": False})
    expect(page.locator("#parley-turn")).to_have_text("Waiting for The guide…")
    server.push("tok-worker", {"type": "message", "act": {"id": "Guide", "text": "Welcome!"}, "position": 0})
    expect(page.locator(".parley-row--other .parley-message__sender")).to_have_text("The guide")
    server.push("tok-worker", {"type": "turn", "agent_id": "Worker", "yours": True})
    expect(probe).to_have_text("role=Worker is_my_turn=true")
    expect(page.locator("#parley-turn")).to_have_text("Your turn.")


def test_connecting_then_reconnecting_says_how_many_messages_are_not_sent_yet(server, new_page):
    server.drop(refuse_for=6)  # the server is down as the page loads
    page = new_page()
    page.goto(server.chat_url())
    banner = page.locator("#parley-banner")
    expect_live(banner, "connecting", "Connecting to the task…")
    expect(page.locator("#parley-input textarea")).to_have_attribute("placeholder", "Connecting…")
    expect_live(banner, "in_task", server.in_task_text, timeout=15_000)

    server.ack_messages = False
    send(page, "one")
    send(page, "two")
    server.wait_for_frames("message", count=2)
    server.drop(refuse_for=6)
    expect_live(banner, "reconnecting", "The connection was lost. Reconnecting… 2 messages are not sent yet; "
                                        "they go out as soon as the connection is back.")
    expect(banner).to_have_attribute("data-tone", "warning")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "state-reconnecting.png"))
    server.ack_messages = True
    expect_live(banner, "in_task", server.in_task_text, timeout=15_000)
    for n in range(2):
        expect(page.locator(".parley-row--self").nth(n)).to_have_attribute("data-status", "sent")
