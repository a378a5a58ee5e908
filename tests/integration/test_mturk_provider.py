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
from tests.faults.processes import Runner
from tests.support.live_runner import chat_pair_to_the_end
from tests.support.mturk import PAIR_CHAT, settings, work

REPO = Path(__file__).resolve().parents[2]


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
                        "-r", "0.50", "--db", store_url])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == ("python -m runner: error: no AWS credentials found: set AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE for a profile in ~/.aws/credentials")


def test_a_runner_killed_mid_run_is_cleaned_up_by_the_next_one(aws_env, store_url, tmp_path):
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
        summary = [first.stdout.readline() for _ in range(5)]
        [group] = {aws_env.hits[h]["HITGroupId"] for h in hits}
        assert summary == [*(f"  HIT {h}: https://workersandbox.mturk.com/mturk/preview?groupId={group}\n"
                             for h in sorted(hits, key=lambda h: aws_env.hits[h]["CreationTime"])),
                           "  manage the HITs at https://requestersandbox.mturk.com/manage\n"]
        submitted = aws_env.accept(hits[0], "AWORKEREVE")
        aws_env.submit(submitted)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    handler = MTurkDataHandler(db_url=store_url)
    assert handler.get_run_data(run_id)["status"] == "running"  # nobody closed it

    second = Runner(tmp_path, env, str(PAIR_CHAT), "-nc", "1", "-r", "0.50", "--provider", "mturk",
                    "--public-url", "http://127.0.0.1:9", "--expire-orphans", "--db", store_url)
    second.stop()  # its own run is not the point: the cleanup was done before it launched
    # The HIT whose worker submitted was closed already (Reviewable): three were still open.
    assert f"{run_id}: expired 3 HIT(s), recorded 1 submitted assignment(s)" in second.stdout
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
    assert capsys.readouterr().out == f"{run.run_id}: deleted 4 HIT(s)\n"


def test_deleted_hits_are_recorded_disposed_and_deleting_again_does_nothing_and_succeeds(
        aws_env, mturk_run, store_url, capsys):
    run = mturk_run()
    run.manager.shutdown()
    delete = ["hits", "delete", "--run", run.run_id, "--db", store_url]
    assert runner_main(delete) == 0
    assert {h["hit_status"] for h in run.handler.get_hits_for_run(run.run_id)} == {"Disposed"}
    assert capsys.readouterr().out == f"{run.run_id}: deleted 4 HIT(s)\n"
    calls = len(aws_env.calls)

    assert runner_main(delete) == 0
    assert capsys.readouterr().out == f"{run.run_id}: every HIT is already deleted; nothing to do\n"
    assert len(aws_env.calls) == calls  # nothing asked of MTurk


def test_a_delete_whose_answer_was_lost_is_recorded_by_the_repeat_which_succeeds(
        aws_env, mturk_run, store_url, capsys):
    run = mturk_run()
    run.manager.shutdown()
    aws_env.fail_next("DeleteHIT", DROP_CONNECTION, after_effect=True)
    delete = ["hits", "delete", "--run", run.run_id, "--db", store_url]
    assert runner_main(delete) == 1
    out, err = capsys.readouterr()
    assert out == f"{run.run_id}: deleted 3 HIT(s)\n"
    lost = re.match(r"  could not delete (\S+): MTurk did not answer delete_hit", err).group(1)
    assert aws_env.hits[lost]["HITStatus"] == "Disposed"  # it acted; only the answer was lost
    assert run.handler.get_hit_data(lost)["hit_status"] == "Reviewable"

    assert runner_main(delete) == 0
    assert capsys.readouterr().out == f"{run.run_id}: deleted 1 HIT(s)\n"
    assert {h["hit_status"] for h in run.handler.get_hits_for_run(run.run_id)} == {"Disposed"}
    assert len(aws_env.calls_of("DeleteHIT")) == 4  # the lost one was not sent again


def test_hits_expire_skips_hits_already_expired_and_counts_only_what_it_expired(
        aws_env, mturk_run, store_url, capsys):
    run = mturk_run()
    first, second, *rest = run.provider.hit_ids
    client = aws_env.client()
    for hit_id in (first, second):  # expired on MTurk behind the store's back: it still says Assignable
        client.update_expiration_for_hit(HITId=hit_id, ExpireAt=0)
    assert {run.handler.get_hit_data(h)["hit_status"] for h in (first, second)} == {"Assignable"}
    expire = ["hits", "expire", "--run", run.run_id, "--db", store_url]
    assert runner_main(expire) == 0
    assert capsys.readouterr().out == f"{run.run_id}: expired 2 HIT(s); recorded 0 submitted assignment(s)\n"
    assert sorted(c["HITId"] for c in aws_env.calls_of("UpdateExpirationForHIT")) == sorted([first, second, *rest])
    assert {h["hit_status"] for h in run.handler.get_hits_for_run(run.run_id)} == {"Reviewable"}

    assert runner_main(expire) == 0
    assert capsys.readouterr().out == f"{run.run_id}: expired 0 HIT(s); recorded 0 submitted assignment(s)\n"
    assert len(aws_env.calls_of("UpdateExpirationForHIT")) == 4


def test_a_hit_a_worker_still_holds_after_it_expired_is_not_expired_again(aws_env, mturk_run, store_url, capsys):
    run = mturk_run()
    hit_id = run.provider.hit_ids[0]
    aws_env.accept(hit_id, "AWORKERIDA")
    run.provider.expire_hits(run.provider.hit_ids)
    assert run.handler.get_hit_data(hit_id)["hit_status"] == "Unassignable"  # expired, with work pending
    assert runner_main(["hits", "expire", "--run", run.run_id, "--db", store_url]) == 0
    assert "expired 0 HIT(s)" in capsys.readouterr().out
    assert len(aws_env.calls_of("UpdateExpirationForHIT")) == 4


def test_the_launch_summary_gives_each_hit_with_its_workers_page_and_the_requesters_manage_page(mturk_run, fake):
    run = mturk_run()
    [group] = {fake.hits[h]["HITGroupId"] for h in run.provider.hit_ids}
    assert run.provider.launch_summary() == [
        *(f"HIT {h}: https://workersandbox.mturk.com/mturk/preview?groupId={group}" for h in run.provider.hit_ids),
        "manage the HITs at https://requestersandbox.mturk.com/manage"]
    run.provider.is_sandbox = False  # the live marketplace's own sites
    assert run.provider.launch_summary()[0].startswith(f"HIT {run.provider.hit_ids[0]}: https://worker.mturk.com/")
    assert run.provider.launch_summary()[-1] == "manage the HITs at https://requester.mturk.com/manage"


def test_a_stopped_run_leaves_its_workers_mid_task_interrupted_and_what_they_submit_is_recorded(
        aws_env, mturk_run, store_url, capsys):
    run = mturk_run()
    hits = run.provider.hit_ids
    alice_assignment, alice = work(run, aws_env, "AWORKERJO", hits[0])
    bob_assignment, bob = work(run, aws_env, "AWORKERKIM", hits[1])
    alice.wait_state("in_task")
    bob.wait_state("in_task")
    run.manager.shutdown()
    assert run.handler.get_run_data(run.run_id)["status"] == "stopped"
    for assignment, page in ((alice_assignment, alice), (bob_assignment, bob)):
        assert run.handler.get_assignment_data(assignment)["status"] == "interrupted"
        page.wait_state("done")  # the page offers Done, which submits on MTurk

    aws_env.submit(alice_assignment)  # she pressed Done after the runner stopped
    assert runner_main(["hits", "expire", "--run", run.run_id, "--db", store_url]) == 0
    assert "recorded 1 submitted assignment(s)" in capsys.readouterr().out
    assert run.handler.get_assignment_data(alice_assignment)["status"] == "submitted"
    assert run.handler.get_assignment_data(bob_assignment)["status"] == "interrupted"
    assert ReviewService(run.handler, lambda _run: run.provider).approve(alice_assignment, actor="t").succeeded


@pytest.mark.parametrize(("credentials", "config", "sentence"), [
    (None, None, "The config profile (nobody) could not be found"),
    ("[nobody\naws_access_key_id = AKIA\n", None, "Unable to parse config file"),
    ("[nobody]\naws_access_key_id = AKIA\n", None,
     "Partial credentials found in shared-credentials-file, missing: aws_secret_access_key"),
    (None, "[profile nobody\nregion = us-east-1\n", "Unable to parse config file"),
])
def test_unreadable_aws_credentials_are_one_sentence_and_exit_2(
        store_url, monkeypatch, capsys, tmp_path, credentials, config, sentence):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, text in (("AWS_SHARED_CREDENTIALS_FILE", credentials), ("AWS_CONFIG_FILE", config)):
        path = tmp_path / name.lower()
        if text is not None:
            path.write_text(text)
        monkeypatch.setenv(name, str(path))
    monkeypatch.setenv("AWS_PROFILE", "nobody")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code = runner_main(["run", str(PAIR_CHAT), "--provider", "mturk", "--public-url", "https://x.example",
                        "-r", "0.50", "--db", store_url])
    [line] = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert line.startswith("python -m runner: error: the AWS credentials cannot be read: ")
    assert sentence in line
    assert MTurkDataHandler(db_url=store_url).get_all_run_data() == []


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


def test_hits_list_all_lists_every_sandbox_run_or_with_live_every_live_one(handler, store_url, capsys):
    runs = {}
    for name, sandbox in (("sandbox_a", True), ("sandbox_b", True), ("live_a", False)):
        runs[name] = handler.log_new_run(1, name, provider="mturk", is_sandbox=sandbox)
        handler.log_hit(f"H-{name}", "Assignable", expiration=1.0, available=1, run_id=runs[name])
    handler.log_hit("H-local", "Assignable", expiration=1.0, available=1,
                    run_id=handler.log_new_run(1, "local_a", provider="local"))

    def listed(*flags):
        assert runner_main(["hits", "list", "--all", *flags, "--db", store_url]) == 0
        return sorted(line.split("\t")[0] for line in capsys.readouterr().out.splitlines())

    assert listed() == ["H-sandbox_a", "H-sandbox_b"]
    assert listed("--live") == ["H-live_a"]


@pytest.mark.parametrize(("flags", "sandbox"), [
    ([], True), (["--sandbox"], True), (["--live", "--budget", "10"], False)])
def test_sandbox_and_live_choose_the_marketplace_a_run_launches_on(aws_env, handler, flags, sandbox):
    from crowd import registry
    from crowd.base import Launch
    from runner.cli import build_parser, options_from
    from runner.tasks import load_task

    args = build_parser()[0].parse_args(["run", str(PAIR_CHAT), "--provider", "mturk", "-r", "0.50",
                                         "--public-url", "https://collect.example.org", *flags])
    provider = registry.provider_for_launch("mturk", Launch(args, load_task(PAIR_CHAT), options_from(args), handler))
    assert provider.is_sandbox is sandbox
    site = "https://requestersandbox.mturk.com" if sandbox else "https://requester.mturk.com"
    assert provider.launch_summary()[-1] == f"manage the HITs at {site}/manage"
