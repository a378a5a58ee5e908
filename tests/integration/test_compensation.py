"""Compensating a worker no assignment in the store is for: `python -m runner bonus --worker`
and ReviewService.compensate. Idempotent by request token, audited, paid once under races (on
SQLite and on PostgreSQL: the suite runs on both), and on MTurk paid through one of the
worker's earlier submitted assignments with this requester, or refused when there is none."""
from __future__ import annotations

import threading

import pytest

from crowd.base import OutcomeUnknown
from crowd.review import ReviewRefused, ReviewService
from runner.cli import main as runner_main
from tests.fakes.test_mturk_server import HIT
from tests.support.builders import completed_conversation
from tests.support.review_races import SlowProvider, dead_process

REASON = "Your work was lost when our server failed; thank you for your patience."


def compensations(handler, worker_id):
    return [a for a in handler.get_review_actions(worker_id=worker_id) if a["action"] == "compensate"]


@pytest.fixture
def local(handler):
    provider = SlowProvider()
    return provider, ReviewService(handler, lambda run: provider, lambda name, sandbox: provider)


def test_a_compensation_is_recorded_once_and_a_repeat_answers_the_first(handler, local):
    provider, review = local
    first = review.compensate("W-LOST", "1.50", provider_name="local", is_sandbox=False, actor="t", reason=REASON)
    again = review.compensate("W-LOST", "1.50", provider_name="local", is_sandbox=False, actor="t", reason=REASON)
    assert first.succeeded and not first.repeated
    assert again.repeated and again.action["id"] == first.action["id"]
    assert [c["action"] for c in provider.calls] == ["compensate"]
    [row] = compensations(handler, "W-LOST")
    assert (row["amount_cents"], row["reason"], row["actor"], row["assignment_id"]) == (150, REASON, "t", None)
    other = review.compensate("W-LOST", "2.00", provider_name="local", is_sandbox=False, actor="t", reason=REASON)
    assert other.succeeded and len(provider.calls) == 2  # a different compensation is another payment


class UnansweredProvider(SlowProvider):
    """Its compensation leaves and no answer comes back: paid or not, nobody can tell."""

    def compensate(self, worker_id, *, amount_cents, reason, token):
        self.calls.append({"action": "compensate", "worker_id": worker_id, "token": token})
        raise OutcomeUnknown("the connection dropped after the request was sent")


@pytest.mark.parametrize("lost", ["answer", "process"])
def test_a_compensation_that_may_have_paid_is_never_sent_again_not_even_after_the_start_up_sweep(
        handler, store_url, capsys, lost):
    provider = UnansweredProvider()
    review = ReviewService(handler, lambda run: provider, lambda name, sandbox: provider)
    if lost == "answer":
        assert review.compensate("W-LOST", "1.50", provider_name="local", is_sandbox=False, actor="t",
                                 reason=REASON).outcome == "unknown"
    else:  # a process killed between writing the intent and hearing the answer
        handler.begin_review_action("lost-token", "compensate", actor="t", worker_id="W-LOST", amount="1.50",
                                    reason=REASON, owner=dead_process())
    [left] = review.settle_interrupted()
    assert (left["worker_id"], left["action"]) == ("W-LOST", "compensate")
    [row] = compensations(handler, "W-LOST")
    assert row["outcome"] == "unknown"  # not failed: a failed request may be sent again
    if lost == "answer":
        again = review.compensate("W-LOST", "1.50", provider_name="local", is_sandbox=False, actor="t",
                                  reason=REASON)
        assert again.repeated and again.outcome == "unknown"
        assert len(provider.calls) == 1
    assert len(compensations(handler, "W-LOST")) == 1


def test_the_bonus_command_says_what_to_do_about_a_compensation_that_may_have_paid(store_url, handler, capsys,
                                                                                   monkeypatch):
    monkeypatch.setattr("crowd.local.provider.LocalProvider.compensate", UnansweredProvider.compensate)
    monkeypatch.setattr("crowd.local.provider.LocalProvider.calls", [], raising=False)
    args = ["bonus", "--worker", "W-LOST", "--amount", "1.50", "--reason", REASON, "--provider", "local",
            "--db", store_url]
    for _ in range(2):
        assert runner_main(args) == 1
        err = capsys.readouterr().err
        assert "may or may not be paid, and Parley will not send it again" in err
        assert "run the command with a new --token" in err
    assert [r["outcome"] for r in compensations(handler, "W-LOST")] == ["unknown"]


def test_an_explicit_token_makes_the_request_and_cannot_be_reused_for_another(handler, local):
    provider, review = local
    review.compensate("W-LOST", "1.00", provider_name="local", is_sandbox=False, actor="t", reason=REASON,
                      token="ticket-42")
    assert review.compensate("W-LOST", "1.00", provider_name="local", is_sandbox=False, actor="t",
                             reason=REASON, token="ticket-42").repeated
    with pytest.raises(ReviewRefused, match="token 'ticket-42' was used for another compensation"):
        review.compensate("W-OTHER", "1.00", provider_name="local", is_sandbox=False, actor="t", reason=REASON,
                          token="ticket-42")
    assert len(provider.calls) == 1


@pytest.mark.parametrize(("worker", "amount", "reason", "token", "sentence"), [
    ("", "1.00", REASON, None, "a compensation needs the worker's id"),
    ("W", "0", REASON, None, "a compensation must be more than $0.00"),
    ("W", "-1", REASON, None, "'-1' is negative"),
    ("W", "1.00", " ", None, "a compensation needs a reason the worker will see"),
    ("W", "1.00", REASON, "x" * 65, "a token must be 1 to 64 characters"),
])
def test_bad_compensations_are_refused_and_write_nothing(handler, local, worker, amount, reason, token, sentence):
    provider, review = local
    with pytest.raises(ReviewRefused, match=sentence.replace("$", r"\$").replace("(", r"\(")):
        review.compensate(worker, amount, provider_name="local", is_sandbox=False, actor="t", reason=reason,
                          token=token)
    assert handler.get_review_actions() == [] and provider.calls == []


def test_identical_compensations_at_the_same_moment_pay_once(handler, local):
    provider, review = local
    barrier = threading.Barrier(8)
    results = []

    def pay() -> None:
        barrier.wait()
        results.append(review.compensate("W-RACE", "3.00", provider_name="local", is_sandbox=False,
                                         actor="t", reason=REASON))

    threads = [threading.Thread(target=pay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 8
    assert [r.repeated for r in results].count(False) == 1
    assert [c["action"] for c in provider.calls] == ["compensate"]
    [row] = compensations(handler, "W-RACE")
    assert row["outcome"] == "succeeded"


def test_the_bonus_command_compensates_a_worker_once(store_url, capsys):
    args = ["bonus", "--worker", "W-CLI", "--amount", "0.75", "--reason", REASON, "--provider", "local",
            "--db", store_url]
    assert runner_main(args) == 0
    assert "Paid $0.75 to W-CLI." in capsys.readouterr().out
    assert runner_main(args) == 0
    assert "already succeeded" in capsys.readouterr().out


@pytest.mark.parametrize(("flags", "sentence"), [
    (["--worker", "W-NEW"], "worker W-NEW has no run in this store; name the marketplace with --provider"),
    (["--worker", "W", "--provider", "local", "--live"], "--live: the local provider (no marketplace) has no sandbox"),
    (["--assignment", "A1", "--provider", "local"], "--provider goes with --worker only"),
    (["--assignment", "A1", "--token", "t"], "--token goes with --worker only"),
    (["--assignment", "A1", "--live"], "--live goes with --worker only"),
])
def test_bad_bonus_commands_exit_2_with_a_sentence_and_pay_nothing(store_url, handler, capsys, flags, sentence):
    assert runner_main(["bonus", *flags, "--amount", "1.00", "--reason", REASON, "--db", store_url]) == 2
    assert sentence in capsys.readouterr().err
    assert handler.get_review_actions() == []


def test_the_bonus_command_pays_on_the_provider_of_the_workers_latest_run(store_url, handler, capsys):
    completed_conversation(handler, provider="local", workers=("W-OLD", "W-PARTNER"))
    assert runner_main(["bonus", "--worker", "W-OLD", "--amount", "0.10", "--reason", REASON,
                        "--db", store_url]) == 0
    [row] = compensations(handler, "W-OLD")
    assert row["provider_response"]["provider"] == "local"


# On MTurk (the fake) ---------------------------------------------------------------------


def test_on_mturk_a_compensation_is_sent_through_an_earlier_submitted_assignment(handler, mturk_review):
    fake, review = mturk_review
    client = fake.client()
    for _ in range(3):  # other workers' HITs first: the search goes through every HIT
        other = client.create_hit(**HIT)["HIT"]["HITId"]
        fake.submit(fake.accept(other, "A9OTHER"), {"ok": "1"})
    hit = client.create_hit(**HIT)["HIT"]["HITId"]
    assignment = fake.accept(hit, "A1LOST")
    fake.submit(assignment, {"ok": "1"})
    first = review.compensate("A1LOST", "2.00", provider_name="mturk", is_sandbox=True, actor="t", reason=REASON)
    assert first.succeeded
    assert first.action["provider_response"]["assignment_id"] == assignment
    again = review.compensate("A1LOST", "2.00", provider_name="mturk", is_sandbox=True, actor="t", reason=REASON)
    assert again.repeated
    assert [(b["WorkerId"], b["AssignmentId"], b["BonusAmount"], b["Reason"]) for b in fake.bonuses] == [
        ("A1LOST", assignment, "2.00", REASON)]


def test_on_mturk_a_worker_with_no_submitted_assignment_is_refused_and_nothing_is_paid(handler, mturk_review):
    fake, review = mturk_review
    hit = fake.client().create_hit(**HIT)["HIT"]["HITId"]
    fake.accept(hit, "A1NEVER")  # accepted, never submitted: MTurk cannot pay a bonus through it
    result = review.compensate("A1NEVER", "2.00", provider_name="mturk", is_sandbox=True, actor="t", reason=REASON)
    assert result.outcome == "failed"
    assert "worker A1NEVER has no submitted assignment with this requester on MTurk's sandbox" in result.action["error"]
    assert fake.bonuses == []
