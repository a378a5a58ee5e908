"""How the browser tests start Chromium: Debian's build, with the flags this machine needs."""
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "browser" / "screenshots"


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
