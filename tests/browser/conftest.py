"""The browser every test here drives (Debian's chromium under Playwright, one per session),
and the reviewer's webapp served over real HTTP with a reviewer logged in to it."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from runner.server import RunnerServer
from tests.fakes.mturk_server import FakeMTurk
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, is_problem
from tests.support.live_runner import LiveRunner

PASSWORD = "dashboard-test"
TASKS = Path(__file__).resolve().parents[2] / "tasks"


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

    def close_pages() -> None:
        while contexts:
            contexts.pop().close()

    make.close_pages = close_pages  # type: ignore[attr-defined]
    yield make
    close_pages()
    assert not problems, problems


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """The test's pages close before any fixture's teardown, so a server stopped first (the
    webapp, a runner) is never seen by a page still loading from it (its favicon, its styles):
    Chromium reports such a load as a console error, which would fail the test for nothing
    it did."""
    made = getattr(item, "funcargs", {}).get("new_page")
    if made is not None:
        made.close_pages()
    yield


@pytest.fixture
def open_page(new_page) -> Callable[[str], Page]:
    """Open a link in its own browser context, as another person's browser would."""
    def open_(url: str) -> Page:
        page = new_page(1100, 760)
        page.goto(url)
        return page

    return open_


@pytest.fixture
def site(store_url, tmp_path, monkeypatch) -> Iterator[tuple[str, object]]:
    """The webapp over the per-test store on a free local port: (its URL, its handler)."""
    from webapp import create_app

    monkeypatch.setenv("PARLEY_CONFIG", str(tmp_path / "webapp.json"))
    app = create_app({"DATABASE_URL": store_url, "ADMIN_PASSWORD": PASSWORD, "SECRET_KEY": "k"})
    server = RunnerServer(app).start()
    yield server.url, app.extensions["parley"].handler
    for manager in app.extensions["parley"].test_runs():
        manager.shutdown()
    server.stop()


@pytest.fixture
def reviewer(new_page, site) -> Page:
    """A page of the webapp whose reviewer has just logged in (and is on the runs page)."""
    url, _ = site
    page = new_page(1280, 900)
    page.goto(url + "/")
    expect(page).to_have_url(url + "/login?next=/")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Runs")
    return page


@pytest.fixture
def start(store_url) -> Iterator[Callable[..., LiveRunner]]:
    """Start a runner of a task (an example task's name, or one of tests/support/tasks) for
    one conversation; each is stopped at the end of the test."""
    runners: list[LiveRunner] = []

    def make(task: str, **options) -> LiveRunner:  # type: ignore[no-untyped-def]
        path = str(TASKS / task) if (TASKS / task).is_dir() else task
        runners.append(LiveRunner(store_url, path, **{"num_conversations": 1, **options}))
        return runners[-1]

    yield make
    for runner in runners:
        runner.stop()


@pytest.fixture(params=["local", "mturk"])
def marketplace(request, monkeypatch) -> Iterator[FakeMTurk | None]:
    """Each test that takes it runs twice: with no marketplace (None), and on a fake MTurk,
    which the webapp's review actions reach too (through the environment)."""
    if request.param == "local":
        yield None
        return
    with FakeMTurk() as fake:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
        monkeypatch.setenv("PARLEY_MTURK_ENDPOINT", fake.url)
        yield fake
