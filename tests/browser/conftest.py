"""The browser every test here drives: Debian's chromium under Playwright, one per session."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, is_problem


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"Debian's chromium is not installed at {CHROMIUM} (`make chromium` installs it)")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., Page]]:
    """A page in a fresh browser context (its own storage, like another person's browser).
    At the end the test fails on any script error or Content-Security-Policy violation
    a page reported."""
    contexts, problems = [], []

    def make(width: int = 1200, height: int = 780) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
        page.on("console", lambda msg: problems.append(f"console: {msg.text}")
                if is_problem(msg.type, msg.text) else None)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems
