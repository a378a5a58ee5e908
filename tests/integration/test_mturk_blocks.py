"""Blocks enforced at the marketplace, on the fake MTurk (real boto3 client): a soft block is a
qualification every HIT of the task requires the worker not to have, a hard block is MTurk's
worker block, `--unique` is a qualification granted to each worker who starts, and an unblock
lifts them; the fake refuses the accept while the worker is kept out."""
from __future__ import annotations

import time

import pytest

from tests.fakes.mturk_server import ActionRefused
from tests.support.mturk import work

BLOCK = "parley_pair_chat_block"


def kept_out_by(fake, name: str) -> dict:
    """The requirement that keeps holders of qualification `name` away from a HIT."""
    [qual] = [q for q in fake.qualification_types.values() if q["Name"] == name]
    return {"QualificationTypeId": qual["QualificationTypeId"], "Comparator": "DoesNotExist",
            "ActionsGuarded": "DiscoverPreviewAndAccept"}


def audit(run, worker_id: str) -> list[tuple[str, str]]:
    return [(r["action"], r["outcome"]) for r in run.handler.get_review_actions(worker_id=worker_id)]


def disconnects_on_mturk(run, fake, worker_id: str, hit_id: str) -> None:
    """The worker accepts the HIT, opens it, and goes away: the runner hears nothing for
    --disconnect-timeout and records a disconnect."""
    assignment_id, worker = work(run, fake, worker_id, hit_id)
    worker.wait_state("waiting")
    worker.heartbeats = False
    worker.close()
    deadline = time.monotonic() + 15
    while run.handler.get_assignment_data(assignment_id)["status"] != "disconnect":
        assert time.monotonic() < deadline, "the runner never recorded the disconnect"
        time.sleep(0.05)


def wait_for_audit(run, worker_id: str, wanted: list[tuple[str, str]]) -> None:
    deadline = time.monotonic() + 15
    while audit(run, worker_id) != wanted:
        assert time.monotonic() < deadline, audit(run, worker_id)
        time.sleep(0.05)


def test_a_soft_blocked_worker_cannot_accept_any_hit_of_the_task_until_unblocked(mturk_run, fake):
    first, second = mturk_run(), mturk_run()  # two runs of the task share its block qualification
    review = first.manager.review
    blocked = review.soft_block("AWORKERIVY", run_id=first.run_id, actor="reviewer", reason="copied answers",
                                qualification_name=BLOCK)
    assert blocked.succeeded
    [granted] = fake.calls_of("AssociateQualificationWithWorker")
    assert (granted["WorkerId"], granted["SendNotification"]) == ("AWORKERIVY", False)
    requirement = kept_out_by(fake, BLOCK)
    assert all(requirement in hit["QualificationRequirements"] for hit in fake.hits.values())
    for hit_id in (first.provider.hit_ids[0], second.provider.hit_ids[0]):
        with pytest.raises(ActionRefused, match="qualification requirements"):
            fake.accept(hit_id, "AWORKERIVY")
    assert audit(first, "AWORKERIVY") == [("soft_block", "succeeded")]

    lifted = review.unblock("AWORKERIVY", run_id=first.run_id, actor="reviewer", reason="appeal upheld")
    assert lifted.succeeded and not lifted.repeated
    [taken_away] = fake.calls_of("DisassociateQualificationFromWorker")
    assert taken_away["QualificationTypeId"] == requirement["QualificationTypeId"]
    assert first.handler.get_blocks_for_worker("AWORKERIVY") == []
    assert fake.accept(second.provider.hit_ids[0], "AWORKERIVY")
    again = review.unblock("AWORKERIVY", run_id=first.run_id, actor="reviewer", reason="appeal upheld")
    assert again.repeated and again.action["id"] == lifted.action["id"]
    assert len(fake.calls_of("DisassociateQualificationFromWorker")) == 1
    assert audit(first, "AWORKERIVY") == [("soft_block", "succeeded"), ("unblock", "succeeded")]


def test_a_hard_blocked_worker_cannot_accept_until_unblocked(mturk_run, fake):
    run = mturk_run()
    review = run.manager.review
    assert review.hard_block("AWORKERJO", run_id=run.run_id, actor="reviewer", reason="abuse").succeeded
    assert fake.blocks == {"AWORKERJO": "abuse"}
    with pytest.raises(ActionRefused, match="blocked"):
        fake.accept(run.provider.hit_ids[0], "AWORKERJO")
    assert review.unblock("AWORKERJO", run_id=run.run_id, actor="reviewer", reason="mistake").succeeded
    assert fake.blocks == {} and fake.calls_of("DisassociateQualificationFromWorker") == []
    assert fake.accept(run.provider.hit_ids[0], "AWORKERJO")
    assert audit(run, "AWORKERJO") == [("hard_block", "succeeded"), ("unblock", "succeeded")]


def test_an_unblock_whose_qualification_mturk_already_took_away_still_succeeds(mturk_run, fake):
    run = mturk_run()
    review = run.manager.review
    review.soft_block("AWORKERKIM", run_id=run.run_id, actor="reviewer", reason="spam", qualification_name=BLOCK)
    fake.client().disassociate_qualification_from_worker(
        QualificationTypeId=kept_out_by(fake, BLOCK)["QualificationTypeId"], WorkerId="AWORKERKIM")
    assert review.unblock("AWORKERKIM", run_id=run.run_id, actor="reviewer", reason="retry").succeeded
    assert run.handler.get_blocks_for_worker("AWORKERKIM") == []


def test_with_unique_each_worker_who_starts_gets_the_runs_own_qualification_and_one_hit_only(mturk_run, fake):
    run = mturk_run(unique=True)
    name = f"parley_{run.run_id}_unique"
    _, worker = work(run, fake, "AWORKERLEO", run.provider.hit_ids[0])
    worker.wait_state("waiting")
    requirement = kept_out_by(fake, name)
    assert all(requirement in hit["QualificationRequirements"] for hit in fake.hits.values())
    assert fake.qualifications[(requirement["QualificationTypeId"], "AWORKERLEO")]["Status"] == "Granted"
    with pytest.raises(ActionRefused, match="qualification requirements"):
        fake.accept(run.provider.hit_ids[1], "AWORKERLEO")
    assert fake.accept(run.provider.hit_ids[1], "AWORKERMIA")  # others still can


def test_a_worker_who_reaches_the_disconnect_cap_gets_the_disconnect_qualification_and_no_more_hits(
        mturk_run, fake):
    run = mturk_run(options={"disconnect_cap": 2, "disconnect_qualification": "parley_flaky",
                             "disconnect_timeout": 1.0}, disconnect_qualification="parley_flaky")
    disconnects_on_mturk(run, fake, "AWORKERNED", run.provider.hit_ids[0])
    assert audit(run, "AWORKERNED") == []  # one disconnect: under the cap
    disconnects_on_mturk(run, fake, "AWORKERNED", run.provider.hit_ids[1])
    wait_for_audit(run, "AWORKERNED", [("soft_block", "succeeded")])
    requirement = kept_out_by(fake, "parley_flaky")
    assert all(requirement in hit["QualificationRequirements"] for hit in fake.hits.values())
    assert fake.qualifications[(requirement["QualificationTypeId"], "AWORKERNED")]["Status"] == "Granted"
    with pytest.raises(ActionRefused, match="qualification requirements"):
        fake.accept(run.provider.hit_ids[2], "AWORKERNED")
    assert [r["actor"] for r in run.handler.get_review_actions(worker_id="AWORKERNED")] == ["disconnect-cap"]


def test_with_hard_block_a_worker_who_reaches_the_disconnect_cap_is_blocked_on_mturk(mturk_run, fake):
    run = mturk_run(options={"disconnect_cap": 1, "hard_block": True, "disconnect_timeout": 1.0})
    disconnects_on_mturk(run, fake, "AWORKEROLA", run.provider.hit_ids[0])
    wait_for_audit(run, "AWORKEROLA", [("hard_block", "succeeded")])
    assert "AWORKEROLA" in fake.blocks
    with pytest.raises(ActionRefused, match="blocked"):
        fake.accept(run.provider.hit_ids[1], "AWORKEROLA")
