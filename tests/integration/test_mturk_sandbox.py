"""Opt-in: the MTurk provider against Amazon's real MTurk *sandbox* (no money moves there).
It runs only with PARLEY_MTURK_SANDBOX_TESTS=1 and AWS credentials in the environment or a
profile, so CI and ordinary runs never reach AWS. It launches one HIT and expires and
deletes it again."""
import os

import boto3
import pytest

from crowd.mturk.provider import SANDBOX_ENDPOINT, HitSettings, MTurkProvider
from datastore import MTurkDataHandler

pytestmark = pytest.mark.skipif(
    os.environ.get("PARLEY_MTURK_SANDBOX_TESTS") != "1" or boto3.session.Session().get_credentials() is None,
    reason="talks to the real MTurk sandbox: set PARLEY_MTURK_SANDBOX_TESTS=1 with AWS credentials to run it",
)


def test_a_hit_is_launched_on_the_real_sandbox_and_cleaned_up(store_url, monkeypatch):
    monkeypatch.delenv("PARLEY_MTURK_ENDPOINT", raising=False)
    handler = MTurkDataHandler(db_url=store_url)
    run_id = handler.log_new_run(1, "qa_data_collection", provider="mturk", is_sandbox=True, reward="0.01")
    provider = MTurkProvider(is_sandbox=True, endpoint_url=SANDBOX_ENDPOINT, settings=HitSettings(
        title="Parley sandbox check", description="Please ignore: an automated check", keywords="test",
        reward_cents=1, public_url="https://example.org", lifetime_seconds=600))
    provider.bind(handler, run_id, "https://example.org")
    assert provider.balance_cents() > 0  # the sandbox always has $10,000.00
    [hit_id] = provider.launch(1)
    assert handler.get_hit_data(hit_id)["hit_status"] == "Assignable"
    provider.expire_hits([hit_id])
    assert provider.delete_hits([hit_id]) == []
