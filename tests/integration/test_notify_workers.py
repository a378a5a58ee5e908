"""Messages to workers: ReviewService.notify and `python -m runner notify`. Each worker's
message is audited, sent once per run however often (or however concurrently) it is asked,
sent in batches the provider takes, and refused with a sentence when it is too long. On SQLite
and on PostgreSQL (the suite runs on both); MTurk on the fake."""
from __future__ import annotations

import threading

import pytest

from crowd.review import ReviewRefused, ReviewService
from runner.cli import main as runner_main
from tests.fakes.test_mturk_server import HIT
from tests.support.builders import completed_conversation
from tests.support.review_races import SlowProvider

SUBJECT = "A new task for you"
MESSAGE = "Thank you for your work on the picture chat; a follow-up task opens tomorrow."


def notifications(handler, worker_id=None):
    return [a for a in handler.get_review_actions(worker_id=worker_id) if a["action"] == "notify"]


@pytest.fixture
def built(handler):
    return completed_conversation(handler, provider="local", workers=("W1", "W2"))


@pytest.fixture
def local(handler):
    provider = SlowProvider(round_trip=0.01)
    return provider, ReviewService(handler, lambda run: provider, lambda name, sandbox: provider)


def test_a_message_is_sent_once_per_worker_and_run_and_audited(handler, built, local):
    provider, review = local
    first = review.notify(["W1", "W2", "W1"], SUBJECT, MESSAGE, actor="t", run_id=built.run_id)
    assert [(r.action["worker_id"], r.succeeded, r.repeated) for r in first] == [("W1", True, False),
                                                                                 ("W2", True, False)]
    again = review.notify(["W2", "W1"], SUBJECT, MESSAGE, actor="t", run_id=built.run_id)
    assert [(r.action["worker_id"], r.repeated) for r in again] == [("W2", True), ("W1", True)]
    assert [c["worker_ids"] for c in provider.calls] == [["W1", "W2"]]
    rows = notifications(handler)
    assert [(r["worker_id"], r["run_id"], r["actor"], r["outcome"]) for r in rows] == [
        ("W1", built.run_id, "t", "succeeded"), ("W2", built.run_id, "t", "succeeded")]
    assert rows[0]["reason"] == f"{SUBJECT}\n\n{MESSAGE}"
    review.notify(["W1"], SUBJECT, MESSAGE + " (updated)", actor="t", run_id=built.run_id)
    assert len(provider.calls) == 2  # another message is another send


def test_many_workers_are_sent_in_batches_the_provider_takes(handler, local):
    provider, review = local
    workers = [f"W{n:03d}" for n in range(250)]
    results = review.notify(workers, SUBJECT, MESSAGE, actor="t", provider_name="local", is_sandbox=False)
    assert all(r.succeeded for r in results)
    assert [len(c["worker_ids"]) for c in provider.calls] == [100, 100, 50]


@pytest.mark.parametrize(("workers", "subject", "message", "sentence"), [
    ([], SUBJECT, MESSAGE, "a message needs at least one worker"),
    (["W1"], " ", MESSAGE, "a message needs a subject and a text"),
    (["W1"], SUBJECT, "", "a message needs a subject and a text"),
    (["W1"], "s" * 201, MESSAGE, "the subject is 201 characters; local sends at most 200"),
    (["W1"], SUBJECT, "m" * 4097, "the message is 4,097 characters; local sends at most 4,096"),
])
def test_bad_messages_are_refused_and_nothing_is_sent_or_written(handler, built, local, workers, subject, message,
                                                                 sentence):
    provider, review = local
    with pytest.raises(ReviewRefused, match=sentence):
        review.notify(workers, subject, message, actor="t", run_id=built.run_id)
    assert notifications(handler) == [] and provider.calls == []


def test_the_same_message_asked_at_the_same_moment_is_sent_once(handler, built, local):
    provider, review = local
    barrier = threading.Barrier(8)
    results = []

    def send() -> None:
        barrier.wait()
        results.extend(review.notify(["W1"], SUBJECT, MESSAGE, actor="t", run_id=built.run_id))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 8 and [r.repeated for r in results].count(False) == 1
    assert [c["worker_ids"] for c in provider.calls] == [["W1"]]
    assert [r["outcome"] for r in notifications(handler)] == ["succeeded"]


def test_the_notify_command_messages_workers_once(store_url, handler, built, capsys):
    args = ["notify", "--worker", "W1", "--worker", "W2", "--subject", SUBJECT, "--message", MESSAGE,
            "--run", built.run_id, "--db", store_url]
    assert runner_main(args) == 0
    assert capsys.readouterr().out.splitlines() == ["W1: sent.", "W2: sent."]
    assert runner_main(args) == 0
    assert "W1: this message was already succeeded" in capsys.readouterr().out
    assert len(notifications(handler)) == 2


def test_the_notify_command_without_a_run_writes_about_each_workers_latest_run(store_url, handler, built, capsys):
    assert runner_main(["notify", "--worker", "W2", "--subject", SUBJECT, "--message", MESSAGE,
                        "--db", store_url]) == 0
    [row] = notifications(handler)
    assert (row["worker_id"], row["run_id"]) == ("W2", built.run_id)


@pytest.mark.parametrize(("flags", "sentence"), [
    (["--run", "nope"], "there is no run 'nope'"),
    (["--subject", "s" * 201], "the subject is 201 characters; local sends at most 200"),
    (["--provider", "local", "--run", "R"], "--provider and --live go without --run"),
    (["--live"], "--live goes with --provider"),
    (["--provider", "local", "--live"], "--live: the local provider (no marketplace) has no sandbox"),
])
def test_bad_notify_commands_exit_2_with_a_sentence_and_send_nothing(store_url, handler, built, capsys, flags,
                                                                      sentence):
    base = {"--worker": "W1", "--subject": SUBJECT, "--message": MESSAGE}
    for flag in flags:
        base.pop(flag, None)
    args = [part for item in base.items() for part in item]
    assert runner_main(["notify", *args, *flags, "--db", store_url]) == 2
    assert sentence in capsys.readouterr().err
    assert notifications(handler) == []


# On MTurk (the fake) ---------------------------------------------------------------------


def reviewed_worker(fake, worker_id: str) -> None:
    client = fake.client()
    assignment = fake.accept(client.create_hit(**HIT)["HIT"]["HITId"], worker_id)
    fake.submit(assignment, {"ok": "1"})
    client.approve_assignment(AssignmentId=assignment)


def test_on_mturk_messages_go_out_in_batches_of_100_and_unreachable_workers_fail_with_mturks_reason(handler, mturk_review):
    fake, review = mturk_review
    reviewed_worker(fake, "A1REVIEWED")
    others = [f"A{n:03d}NEW" for n in range(150)]
    results = review.notify(["A1REVIEWED", *others], SUBJECT, MESSAGE, actor="t", provider_name="mturk",
                            is_sandbox=True)
    assert [len(params["WorkerIds"]) for operation, params in fake.calls if operation == "NotifyWorkers"] == [100, 51]
    assert [n["WorkerId"] for n in fake.notifications] == ["A1REVIEWED"]
    assert results[0].succeeded
    assert {r.outcome for r in results[1:]} == {"failed"}
    assert "work you have not approved or rejected" in results[1].action["error"]
    again = review.notify(["A1REVIEWED"], SUBJECT, MESSAGE, actor="t", provider_name="mturk", is_sandbox=True)
    assert again[0].repeated and len(fake.notifications) == 1


def test_on_mturk_a_subject_over_200_characters_is_refused_before_any_call(handler, mturk_review):
    fake, review = mturk_review
    with pytest.raises(ReviewRefused, match="the subject is 201 characters; mturk sends at most 200"):
        review.notify(["A1ANY"], "s" * 201, MESSAGE, actor="t", provider_name="mturk", is_sandbox=True)
    assert fake.calls == []


def test_on_mturk_a_message_at_its_documented_limits_is_sent(handler, mturk_review):
    fake, review = mturk_review
    reviewed_worker(fake, "A1REVIEWED")
    [result] = review.notify(["A1REVIEWED"], "s" * 200, "m" * 4096, actor="t", provider_name="mturk",
                             is_sandbox=True)
    assert result.succeeded
    assert [(len(n["Subject"]), len(n["MessageText"])) for n in fake.notifications] == [(200, 4096)]
