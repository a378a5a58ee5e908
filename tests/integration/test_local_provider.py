"""The local provider: HITs are links, recorded in the store like a marketplace's."""
import pytest

from crowd import registry
from crowd.base import Refused
from crowd.local.provider import LocalProvider


@pytest.fixture
def provider(handler):
    run_id = handler.log_new_run(2, "qa_data_collection", provider="local")
    local = LocalProvider()
    local.bind(handler, run_id, "http://127.0.0.1:5000/")
    return local


def test_launch_records_assignable_hits_and_gives_one_link_each(handler, provider):
    hit_ids = provider.launch(2)
    assert hit_ids == [f"local-{provider.run_id}-1", f"local-{provider.run_id}-2"]
    assert [(h["hit_id"], h["hit_status"]) for h in handler.get_hits_for_run(provider.run_id)] == [
        (hit_ids[0], "Assignable"), (hit_ids[1], "Assignable")]
    links = provider.worker_links()
    assert links[0] == (f"http://127.0.0.1:5000/task/{provider.run_id}?hitId={hit_ids[0]}"
                        f"&assignmentId={hit_ids[0]}-A&workerId=local-worker-1")
    assert provider.launch(1) == [f"local-{provider.run_id}-3"]


def test_only_this_runs_hits_are_accepted(provider):
    [hit_id] = provider.launch(1)
    provider.check_assignment(hit_id, "A1", "W1")
    with pytest.raises(Refused, match="this link does not belong to this run"):
        provider.check_assignment("local-other-1", "A1", "W1")


def test_expire_and_cleanup_dispose_of_the_runs_hits(handler, provider):
    hit_ids = provider.launch(2)
    provider.expire_hits(hit_ids[:1])
    assert [h["hit_status"] for h in handler.get_hits_for_run(provider.run_id)] == ["Disposed", "Assignable"]
    with pytest.raises(Refused, match="is not one of this run's"):
        provider.expire_hits(["someone-elses"])
    provider.cleanup()
    assert {h["hit_status"] for h in handler.get_hits_for_run(provider.run_id)} == {"Disposed"}


def test_money_and_block_calls_move_nothing_but_answer_what_they_would_have_done(provider):
    assert provider.bonus("W1", "A1", amount_cents=150, reason="thanks", token="t1") == {
        "provider": "local", "action": "bonus", "ok": True, "worker_id": "W1",
        "assignment_id": "A1", "amount_cents": 150, "token": "t1"}
    assert provider.approve("A1")["action"] == "approve"
    assert provider.reject("A1", feedback="no")["feedback"] == "no"
    assert provider.hard_block("W1", reason="x")["action"] == "hard_block"
    assert [c["action"] for c in provider.calls] == ["bonus", "approve", "reject", "hard_block"]
    assert provider.submits_on_done()


def test_the_registry_knows_its_providers_and_names_them_for_anything_else():
    assert registry.provider_class("local") is LocalProvider
    assert isinstance(registry.provider_class("local").for_review(is_sandbox=True), LocalProvider)
    with pytest.raises(Refused, match="there is no 'crowdflower' provider \\(there are: local, mturk, prolific\\)"):
        registry.provider_class("crowdflower")
