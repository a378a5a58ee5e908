"""Fixtures for the integration tests: the store's clock, and runs on the fake MTurk."""
import pytest

from crowd.mturk.provider import MTurkProvider, client_config
from tests.fakes.mturk_server import FakeMTurk
from tests.support.live_runner import LiveRunner
from tests.support.mturk import PAIR_CHAT, settings
from tests.support.store_probes import STORE_MODULES_THAT_READ_THE_CLOCK, T0, Clock


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The store's clock, starting at T0; set `clock.now` to move it."""
    clock = Clock(T0)
    for module in STORE_MODULES_THAT_READ_THE_CLOCK:
        monkeypatch.setattr(f"datastore.{module}.time", clock)
    return clock


@pytest.fixture
def fake():
    with FakeMTurk() as mturk:
        yield mturk


@pytest.fixture
def mturk_run(store_url, fake):
    """Starts runs of the test task pair_chat on the fake MTurk: `mturk_run(options={run
    options}, **hit_settings)`."""
    runs = []

    def start(options: dict | None = None, **hit_settings) -> LiveRunner:
        provider = MTurkProvider(is_sandbox=True, client=fake.client(config=client_config()),
                                 settings=settings("http://127.0.0.1", **hit_settings))
        runs.append(LiveRunner(store_url, str(PAIR_CHAT), provider=provider,
                               **{"num_conversations": 1, "reward": "0.50", **(options or {})}))
        return runs[-1]

    yield start
    for run in runs:
        run.stop()
