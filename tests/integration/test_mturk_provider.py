"""The MTurk provider against the fake MTurk (real boto3 client, real JSON protocol): a whole
run from launch to payment, bonuses that survive a lost answer, budgets and credentials, and
a runner killed mid-run whose HITs the next runner cleans up."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crowd.mturk.provider import MTurkProvider, client_config
from crowd.mturk.reconcile import reconcile_run
from crowd.review import ReviewRefused, ReviewService
from datastore import MTurkDataHandler
from runner.cli import main as runner_main
from tests.fakes.mturk_server import DROP_CONNECTION
from tests.support.live_runner import chat_pair_to_the_end
from tests.support.mturk import PAIR_CHAT, settings, work

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def aws_env(fake, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("PARLEY_MTURK_ENDPOINT", fake.url)
    return fake


def test_a_whole_run_launch_chat_submit_review_and_pay_leaves_mturk_and_the_store_agreeing(mturk_run, fake):
    run = mturk_run()
    hits = run.provider.hit_ids
    assert len(hits) == 4  # two workers and, as oTree does, as many spares again
    assert {h["HITStatus"] for h in fake.hits.values()} == {"Assignable"}
    assert all(h["ExternalURL"] == f"{run.server.url}/task/{run.run_id}" for h in fake.hits.values())
    requirements = next(iter(fake.hits.values()))["QualificationRequirements"]
    assert [r["Comparator"] for r in requirements] == ["DoesNotExist"]  # the soft-block qualification

    a1, alice = work(run, fake, "AWORKERALICE", hits[0])
    a2, bob = work(run, fake, "AWORKERBOB", hits[1])
    alice.wait_state("in_task")
    bob.wait_state("in_task")
    chat_pair_to_the_end(alice, bob, "hello from MTurk")
    fake.submit(a1, {"done": "yes"})  # the page's externalSubmit form, on MTurk
    fake.submit(a2, {"done": "yes"})
    assert run.manager.wait(15)

    h = run.handler
    assert {h.get_assignment_data(a)["status"] for a in (a1, a2)} == {"submitted"}
    assert {hit["hit_status"] for hit in h.get_hits_for_run(run.run_id)} == {
        hit["HITStatus"] for hit in fake.hits.values()}
    assert {hit["HITStatus"] for hit in fake.hits.values()} <= {"Reviewable", "Unassignable"}

    review = ReviewService(h, lambda _run: run.provider)
    assert review.approve(a1, actor="t").succeeded
    assert review.reject(a2, actor="t", reason="You only said hi.").succeeded
    assert review.bonus(a1, "0.25", actor="t", reason="Friendly").succeeded
    assert review.bonus(a1, "0.25", actor="t", reason="Friendly").repeated

    states = {a["AssignmentId"]: a for a in fake.assignments.values()}
    assert (states[a1]["AssignmentStatus"], states[a2]["AssignmentStatus"]) == ("Approved", "Rejected")
    assert states[a2]["RequesterFeedback"] == "You only said hi."
    assert (h.get_assignment_data(a1)["status"], h.get_assignment_data(a2)["status"]) == ("approved", "rejected")
    assert [(b["AssignmentId"], b["BonusAmount"]) for b in fake.bonuses] == [(a1, "0.25")]
    assert h.get_worker_assignment_pairing("AWORKERALICE", a1)["bonus_paid"]
    texts = [m["text"] for m in h.get_full_conversation_data(run.run_id, "t_1", True)["messages"]]
    assert texts == ["You are Alice.", "You are Bob.", "hello from MTurk", "hi", "bye"]


def submitted_alone(run, fake, worker_id: str) -> str:
    """A worker the run sent away for want of a partner, who submits on MTurk all the same
    (so there is work to review): answers the assignment."""
    assignment, worker = work(run, fake, worker_id, run.provider.hit_ids[0])
    worker.wait_state("waiting")
    run.manager.shutdown()
    worker.wait_state("expired")
    fake.submit(assignment)
    run.provider.cleanup()
    assert run.handler.get_assignment_data(assignment)["status"] == "submitted"
    return assignment


def test_a_bonus_whose_answer_was_lost_is_settled_by_asking_mturk_and_never_sent_again(mturk_run, fake):
    run = mturk_run()
    assignment = submitted_alone(run, fake, "AWORKERCAROL")
    review = ReviewService(run.handler, lambda _run: run.provider)
    fake.fail_next("SendBonus", error="ServiceUnavailable", after_effect=True)
    first = review.bonus(assignment, "1.00", actor="t", reason="Thanks anyway")
    assert first.outcome == "unknown" and "send_bonus" in first.action["error"]
    assert len(fake.bonuses) == 1  # MTurk did pay before the answer was lost
    second = review.bonus(assignment, "1.00", actor="t", reason="Thanks anyway")
    assert second.succeeded and second.repeated and second.action["id"] == first.action["id"]
    assert second.action["provider_response"] == {"settled": "mturk was asked afterwards: it was done"}
    assert len(fake.calls_of("ListBonusPayments")) == 1
    assert run.handler.get_worker_assignment_pairing("AWORKERCAROL", assignment)["bonus_paid"]
    third = review.bonus(assignment, "1.00", actor="t", reason="Thanks anyway")
    assert third.repeated
    assert len(fake.bonuses) == 1 and len(fake.calls_of("SendBonus")) == 1


def test_a_bonus_lost_before_mturk_acted_is_settled_as_failed_and_then_paid_once(mturk_run, fake):
    run = mturk_run()
    assignment = submitted_alone(run, fake, "AWORKERCAROL")
    review = ReviewService(run.handler, lambda _run: run.provider)
    fake.fail_next("SendBonus", error=DROP_CONNECTION)
    assert review.bonus(assignment, "1.00", actor="t", reason="Thanks").outcome == "unknown"
    assert fake.bonuses == []
    paid = review.bonus(assignment, "1.00", actor="t", reason="Thanks")
    assert paid.succeeded and not paid.repeated
    assert [r["outcome"] for r in run.handler.get_review_actions(assignment_id=assignment)] == ["failed", "succeeded"]
    assert len(fake.bonuses) == 1


def test_an_approval_whose_answer_was_lost_is_settled_from_the_assignments_status(mturk_run, fake):
    run = mturk_run()
    assignment = submitted_alone(run, fake, "AWORKERCAROL")
    review = ReviewService(run.handler, lambda _run: run.provider)
    fake.fail_next("ApproveAssignment", error=DROP_CONNECTION, after_effect=True)
    assert review.approve(assignment, actor="t").outcome == "unknown"
    with pytest.raises(ReviewRefused, match="already approved; an approved assignment cannot be rejected"):
        review.reject(assignment, actor="t", reason="changed my mind")
    assert len(fake.calls_of("GetAssignment")) >= 1 and fake.calls_of("RejectAssignment") == []
    assert run.handler.get_assignment_data(assignment)["status"] == "approved"
    assert [r["outcome"] for r in run.handler.get_review_actions(assignment_id=assignment)] == ["succeeded"]




def test_max_open_hits_launches_more_only_as_workers_finish(mturk_run, fake):
    run = mturk_run(max_open_hits=2)
    assert len(run.provider.hit_ids) == 2
    assignment, worker = work(run, fake, "AWORKERDAN", run.provider.hit_ids[0])
    worker.send_frame({"type": "return"})
    worker.wait_state("returned")
    # The page hears "returned" first; the replacement HIT is launched just after.
    deadline = time.monotonic() + 10
    while len(run.provider.hit_ids) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(run.provider.hit_ids) == 3


def test_throttling_is_retried_and_other_errors_are_not(store_url, fake):
    handler = MTurkDataHandler(db_url=store_url)
    provider = MTurkProvider(is_sandbox=True, client=fake.client(config=client_config()), settings=settings("http://127.0.0.1"))
    fake.fail_next("GetAccountBalance", error="ThrottlingException", times=2)
    assert provider.balance_cents() == 1_000_000
    assert len(fake.calls_of("GetAccountBalance")) == 3
    fake.fail_next("GetAccountBalance", error="ServiceUnavailable")
    with pytest.raises(Exception, match="GetAccountBalance|get_account_balance|reach"):
        provider.balance_cents()
    assert len(fake.calls_of("GetAccountBalance")) == 4
    handler.engine.dispose()


def test_a_live_launch_over_budget_is_refused_before_any_call(aws_env, store_url, capsys):
    code = runner_main(["run", str(PAIR_CHAT), "--provider", "mturk", "--live", "--public-url",
                        "https://collect.example.org", "--budget", "1.00", "-r", "0.50", "--db", store_url])
    assert code == 2
    assert "the estimate $2.40 is over the budget $1.00; nothing was launched" in capsys.readouterr().err
    assert aws_env.calls == []


def test_missing_credentials_are_one_sentence(store_url, monkeypatch, capsys, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code = runner_main(["run", str(PAIR_CHAT), "--provider", "mturk", "--public-url", "https://x.example",
                        "--db", store_url])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == ("python -m runner: error: no AWS credentials found: set AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE for a profile in ~/.aws/credentials")


def test_a_runner_killed_mid_run_is_cleaned_up_by_the_next_one(aws_env, store_url):
    env = {**os.environ}
    first = subprocess.Popen(
        [sys.executable, "-m", "runner", "run", str(PAIR_CHAT), "-nc", "1", "-r", "0.50", "--provider", "mturk",
         "--public-url", "http://127.0.0.1:9", "--db", store_url],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any(line.startswith("Run ") for line in lines):
            line = first.stdout.readline()
            assert line, first.stderr.read()
            lines.append(line)
        run_id = re.match(r"Run (\S+):", lines[-1]).group(1)
        hits = [h for h, hit in aws_env.hits.items() if hit["RequesterAnnotation"] == run_id]
        assert len(hits) == 4
        submitted = aws_env.accept(hits[0], "AWORKEREVE")
        aws_env.submit(submitted)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    handler = MTurkDataHandler(db_url=store_url)
    assert handler.get_run_data(run_id)["status"] == "running"  # nobody closed it

    second = subprocess.run(
        [sys.executable, "-m", "runner", "run", str(PAIR_CHAT), "-nc", "0", "--provider", "mturk",
         "--public-url", "http://127.0.0.1:9", "--expire-orphans", "--db", store_url],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert f"{run_id}: expired 4 HIT(s), recorded 1 submitted assignment(s)" in second.stdout
    assert handler.get_run_data(run_id)["status"] == "stopped"
    assert {aws_env.hits[h]["HITStatus"] for h in hits} <= {"Reviewable", "Unassignable"}
    assignment = handler.get_assignment_data(submitted)
    assert (assignment["status"], assignment["worker_id"], assignment["run_id"]) == ("submitted", "AWORKEREVE", run_id)


def test_the_hits_and_bonus_commands_work_on_a_runs_hits(aws_env, mturk_run, store_url, capsys):
    run = mturk_run()
    hits = list(run.provider.hit_ids)
    assignment, worker = work(run, aws_env, "AWORKERFRAN", hits[0])
    worker.wait_state("waiting")
    run.manager.shutdown()
    aws_env.submit(assignment)
    assert runner_main(["hits", "list", "--run", run.run_id, "--db", store_url]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert sorted(line.split("\t")[0] for line in listed) == sorted(hits)
    assert runner_main(["hits", "expire", "--run", run.run_id, "--db", store_url]) == 0
    assert "recorded 1 submitted assignment(s)" in capsys.readouterr().out
    assert run.handler.get_assignment_data(assignment)["status"] == "submitted"
    args = ["bonus", "--assignment", assignment, "--amount", "0.40", "--reason", "Waited patiently", "--db", store_url]
    assert runner_main(args) == 0
    assert "Paid $0.40 to AWORKERFRAN" in capsys.readouterr().out
    assert runner_main(args) == 0
    assert "already succeeded" in capsys.readouterr().out
    assert len(aws_env.bonuses) == 1
    ReviewService(run.handler, lambda _run: run.provider).approve(assignment, actor="t")
    assert runner_main(["hits", "delete", "--run", run.run_id, "--db", store_url]) == 0
    assert {aws_env.hits[h]["HITStatus"] for h in hits} == {"Disposed"}


def test_a_unique_qualification_is_granted_to_each_worker_who_starts_and_keeps_them_out(mturk_run, fake):
    run = mturk_run(unique_qual_name="parley_once_only")
    _, worker = work(run, fake, "AWORKERGUS", run.provider.hit_ids[0])
    worker.wait_state("waiting")
    [qual] = [q for q in fake.qualification_types.values() if q["Name"] == "parley_once_only"]
    assert (qual["QualificationTypeId"], "AWORKERGUS") in fake.qualifications
    with pytest.raises(Exception, match="(?i)qualif"):
        fake.accept(run.provider.hit_ids[1], "AWORKERGUS")


def test_an_interrupted_assignment_that_mturk_has_as_submitted_is_recorded_submitted_and_reviewed(
        store_url, fake):
    handler = MTurkDataHandler(db_url=store_url)
    provider = MTurkProvider(is_sandbox=True, client=fake.client(config=client_config()),
                             settings=settings("http://127.0.0.1:9"))
    run_id = handler.log_new_run(1, "pair_chat", provider="mturk", is_sandbox=True, reward="0.50")
    provider.bind(handler, run_id, "")
    [hit_id] = provider.launch(1)
    assignment_id = fake.accept(hit_id, "AWORKERHAL")
    handler.log_worker_accept_assignment("AWORKERHAL", assignment_id, hit_id, run_id)
    handler.log_waiting("AWORKERHAL", assignment_id)
    handler.log_start_task("AWORKERHAL", assignment_id, "t_1", agent_id="Alice")
    handler.log_interrupted_run(run_id, noticed_by="runner")  # the runner died mid-task...
    fake.submit(assignment_id)  # ...and the worker submitted on MTurk all the same

    assert reconcile_run(handler, provider, run_id).submitted == 1
    assert handler.get_assignment_data(assignment_id)["status"] == "submitted"
    assert ReviewService(handler, lambda _run: provider).approve(assignment_id, actor="t").succeeded
    assert fake.assignments[assignment_id]["AssignmentStatus"] == "Approved"
