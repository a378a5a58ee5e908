"""How the browser tests start Chromium: Debian's build, with the flags this machine needs."""
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "browser" / "screenshots"
PAYLOADS = ['<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1">',
            '<a href="javascript:window.__pwned=1" id="evil">click me</a>']
"""Worker text that would set window.__pwned if a page ever treated it as HTML."""


def is_problem(kind: str, text: str) -> bool:
    """A console line that means the page is broken. The browser's own log of a websocket
    the server cut is expected, not a page bug."""
    if text.startswith("WebSocket connection to"):
        return False
    return kind == "error" or "Content Security Policy" in text


def send(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type a message in the chat page's box and press Enter, as a worker does."""
    box = page.locator("#parley-input textarea")
    box.fill(text)
    box.press("Enter")


def wait_until(predicate, timeout: float = 5.0, message: str = "condition") -> None:  # type: ignore[no-untyped-def]
    """Poll `predicate` from Python until it is true. Playwright's `wait_for_function` polls
    by evaluating a string in the page, which a strict Content-Security-Policy forbids."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} did not happen within {timeout} s")
        time.sleep(0.05)


def expect_live(region, state: str, text: str | re.Pattern[str], timeout: float = 5000) -> None:  # type: ignore[no-untyped-def]
    """The chat page is in `state`: `region` (a Playwright locator) says `text`, in a live
    region a screen reader announces."""
    from playwright.sync_api import expect

    expect(region).to_have_attribute("data-state", state, timeout=timeout)
    expect(region).to_have_text(text)
    expect(region).to_have_attribute("role", "status")
    expect(region).to_have_attribute("aria-live", "polite")


def open_in_order(pages, links: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Each page opens its link once the one before waits for a partner, so the n-th page
    takes the task's n-th role."""
    from playwright.sync_api import expect

    for n, (page, link) in enumerate(zip(pages, links)):
        page.goto(link)
        if n < len(links) - 1:
            expect(page.locator("#parley-banner")).to_have_attribute("data-state", "waiting")


MTURK_SUBMIT_TO = "https://workersandbox.mturk.com"


def open_work(page, runner, fake: Any, worker_id: str, n: int) -> None:  # type: ignore[no-untyped-def]
    """Open work on the run's page as a worker does: with no marketplace (`fake` None) the
    local provider's next link; on the fake MTurk, accept its `n`th HIT there and open it as
    MTurk's frame does, with MTurk's end of the page's submit form played by the fake (the
    page then shows "Submitted to MTurk.")."""
    if fake is None:
        page.goto(runner.link(worker_id))
        return
    hit_id = runner.provider.hit_ids[n]
    assignment_id = fake.accept(hit_id, worker_id)

    def external_submit(route) -> None:  # type: ignore[no-untyped-def]
        fields = {k: v[0] for k, v in parse_qs(route.request.post_data or "").items()}
        fake.submit(fields["assignmentId"], fields)
        route.fulfill(status=200, content_type="text/html", body="<p>Submitted to MTurk.</p>")

    page.route(f"{MTURK_SUBMIT_TO}/**", external_submit)
    query = urlencode({"assignmentId": assignment_id, "hitId": hit_id, "workerId": worker_id,
                       "turkSubmitTo": MTURK_SUBMIT_TO})
    page.goto(f"{runner.server.url}/task/{runner.run_id}?{query}")
