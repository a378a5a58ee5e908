"""Fixtures for the integration tests: the store's clock, live runs of the test tasks, the
review service over a provider with a marketplace's round trip, and the fake marketplaces."""
import pytest

from crowd.mturk.provider import MTurkProvider, client_config
from crowd.review import ReviewService
from tests.fakes.mturk_server import FakeMTurk
from tests.integration.test_runner_process import RunnerProcess
from tests.support.live_runner import LiveRunner
from tests.support.mturk import PAIR_CHAT, settings
from tests.support.review_races import SlowProvider
from tests.support.store_probes import STORE_MODULES_THAT_READ_THE_CLOCK, T0, Clock


@pytest.fixture
def runner_process():
    """Starts `python -m runner run ...` processes (tests/integration/test_runner_process.py's
    RunnerProcess), killed at the end of the test."""
    started: list[RunnerProcess] = []
    yield lambda *args, **kwargs: started.append(RunnerProcess(*args, **kwargs)) or started[-1]
    for process in started:
        process.kill()


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
def aws_env(fake, monkeypatch):
    """The fake MTurk, with fake AWS credentials and PARLEY_MTURK_ENDPOINT set to it (so the
    providers a runner or a run.py makes talk to it)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("PARLEY_MTURK_ENDPOINT", fake.url)
    return fake


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


@pytest.fixture
def start(store_url):
    """Starts live runs of a test task (`start(task, provider=None, **run_options)`) and
    stops them at the end of the test."""
    runners = []

    def make(task="pair_chat", provider=None, **options):
        runners.append(LiveRunner(store_url, task, provider=provider, **options))
        return runners[-1]

    yield make
    for runner in runners:
        runner.stop()


@pytest.fixture
def provider():
    """A provider that records its calls and takes a marketplace's round trip for each."""
    return SlowProvider()


@pytest.fixture
def review(handler, provider):
    return ReviewService(handler, lambda run: provider)


@pytest.fixture
def mturk_review(handler, fake):
    """(the fake MTurk, a review service whose every provider is one sandbox MTurk provider)."""
    provider = MTurkProvider(is_sandbox=True, client=fake.client(config=client_config()))
    provider.bind(handler, "", "")
    return fake, ReviewService(handler, lambda run: provider, lambda name, sandbox: provider)

