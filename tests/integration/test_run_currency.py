"""A run's currency is recorded by its provider at launch: a Prolific study is paid in its
account's currency, read from the draft study Prolific creates (`currency_code`)."""
from __future__ import annotations

import pytest

from tests.integration.test_prolific_provider import Prolific, provider_for
from tests.support.scripted_http import ScriptedServer


class ProlificInPounds(Prolific):
    """The scripted Prolific, answering a new study with its account's currency as Prolific does."""

    def __call__(self, request):
        status, body, headers = super().__call__(request)
        if request.path == "/api/v1/studies/" and request.method == "POST":
            body = {**body, "currency_code": "GBP"}
        return status, body, headers


@pytest.fixture
def pounds():
    state = ProlificInPounds()
    with ScriptedServer(answer=state) as server:
        server.state = state
        yield server


def test_a_prolific_launch_records_the_studys_currency_for_the_run(pounds, handler):
    provider = provider_for(pounds, handler)
    assert handler.get_run_data(provider.run_id)["currency"] == "USD"  # what a new run starts as
    provider.launch(2)
    assert handler.get_run_data(provider.run_id)["currency"] == "GBP"


def test_a_local_run_is_in_us_dollars(handler):
    run_id = handler.log_new_run(1, "pair_chat", provider="local")
    assert handler.get_run_data(run_id)["currency"] == "USD"
