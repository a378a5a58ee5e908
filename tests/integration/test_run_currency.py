"""A run's currency is recorded by its provider at launch: a Prolific study is paid in its
account's currency, read from the draft study Prolific creates (`currency_code`)."""
from __future__ import annotations

from tests.integration.test_prolific_provider import prolific, provider_for  # noqa: F401  (a fixture)
from tests.support.mturk import PAIR_CHAT
from tests.support.prolific import published_study


def test_a_prolific_launch_records_the_studys_currency_for_the_run(prolific, handler):  # noqa: F811
    prolific.state.currency = "GBP"
    provider = provider_for(prolific, handler)
    assert handler.get_run_data(provider.run_id)["currency"] == "USD"  # what a new run starts as
    provider.launch(2)
    assert handler.get_run_data(provider.run_id)["currency"] == "GBP"


def test_a_study_that_names_no_currency_leaves_the_run_in_us_dollars(prolific, handler):  # noqa: F811
    provider = provider_for(prolific, handler)
    provider.launch(2)
    assert handler.get_run_data(provider.run_id)["currency"] == "USD"


def test_a_study_launched_on_the_fake_prolific_makes_the_run_one_in_its_accounts_pounds(
        fake_prolific, store_url, handler):
    provider = published_study(store_url, handler, str(PAIR_CHAT), "-r", "0.50")
    run_id = handler.log_new_run(1, "pair_chat", provider="prolific", is_sandbox=False, reward="0.50")
    provider.bind(handler, run_id, "")
    provider.launch(2)
    assert fake_prolific.study(provider.hit_ids[0])["currency_code"] == "GBP"
    assert handler.get_run_data(run_id)["currency"] == "GBP"


def test_a_local_run_is_in_us_dollars(handler):
    run_id = handler.log_new_run(1, "pair_chat", provider="local")
    assert handler.get_run_data(run_id)["currency"] == "USD"
