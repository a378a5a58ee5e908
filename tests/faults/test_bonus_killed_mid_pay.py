"""A Prolific bonus whose process is killed (SIGKILL) between its two steps, against the fake
Prolific: the next start's settle (`ReviewService.settle_interrupted`, which the webapp runs
as it starts) pays the set-up the dead process recorded, once, and never sets up another;
a bonus already paid before the kill is not paid again; two settlers at once pay once; and a
bonus whose process died while setting it up is failed, so only the reviewer's retry sets up
a new one.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from crowd.prolific.bonuses import PAYING, SET_UP, SETTING_UP
from crowd.prolific.client import ProlificClient
from crowd.prolific.provider import ProlificProvider
from crowd.review import ReviewRefused, ReviewService
from datastore import MTurkDataHandler
from datastore.states import HitStatus
from tests.fakes.prolific_server import DROP_CONNECTION, FakeProlific
from tests.fakes.test_prolific_server import Api, awaiting_review
from tests.faults.bonus_process import REASON
from tests.faults.processes import Program
from tests.support.review_races import at_once
from webapp import create_app

AMOUNT, CENTS = "0.50", 50
PARTICIPANT = "P1"


@dataclass
class Submitted:
    """A Prolific run's submission awaiting review, in the store and on the fake."""
    run_id: str
    assignment_id: str
    handler: MTurkDataHandler
    fake: FakeProlific
    store_url: str

    def review(self) -> ReviewService:
        """A review service as a newly started process has it (its own provider)."""
        provider = ProlificProvider(is_sandbox=False, client=ProlificClient(self.fake.token, self.fake.url))
        provider.bind(self.handler, self.run_id, "")
        return ReviewService(self.handler, lambda run: provider)

    def bonus_row(self):
        [row] = [r for r in self.handler.get_review_actions(assignment_id=self.assignment_id)
                 if r["action"] == "bonus"]
        return row

    def set_ups(self) -> int:
        return len(self.fake.calls_of("set_up_bonus_payments"))

    def pays(self) -> int:
        return len(self.fake.calls_of("pay_bonus_payments"))


@pytest.fixture
def submitted(handler: MTurkDataHandler, store_url: str) -> Iterator[Submitted]:
    with FakeProlific() as fake:
        study_id, submission_id = awaiting_review(fake, Api(fake), PARTICIPANT)
        run_id = handler.log_new_run(1, "pair_chat", provider="prolific", is_sandbox=False)
        handler.log_hit(study_id, HitStatus.ASSIGNABLE, expiration=4_102_444_800.0, available=1, run_id=run_id)
        handler.log_worker_accept_assignment(PARTICIPANT, submission_id, study_id)
        handler.log_start_onboard(PARTICIPANT, submission_id, "o1")
        handler.log_finish_onboard(PARTICIPANT, submission_id, passed=True, answers={})
        handler.log_start_task(PARTICIPANT, submission_id, "c1", agent_id="Asker")
        handler.log_complete_assignment(PARTICIPANT, submission_id)
        handler.log_submit_assignment(PARTICIPANT, submission_id)
        yield Submitted(run_id, submission_id, handler, fake, store_url)


def killed_at(submitted: Submitted, point: str, tmp_path) -> None:
    """Pay the bonus in a child process that SIGKILLs itself at `point`."""
    child = Program(f"bonus-{point}", ["-m", "tests.faults.bonus_process", submitted.store_url, submitted.fake.url,
                                       submitted.fake.token, submitted.run_id, submitted.assignment_id, AMOUNT,
                                       point], tmp_path, dict(os.environ))
    code = child.wait(timeout=60)
    assert code == -9, f"the child was not killed at {point} (exit {code}):\n{child.stderr[-3000:]}"


def test_a_set_up_recorded_before_the_kill_is_paid_once_by_the_next_start_and_the_audit_log_says_so(
        submitted, tmp_path):
    killed_at(submitted, "set_up_recorded", tmp_path)
    left = submitted.bonus_row()
    assert left["outcome"] == "pending" and left["provider_progress"]["step"] == SET_UP
    assert submitted.pays() == 0 and submitted.fake.bonus_payments == []

    assert submitted.review().settle_interrupted() == []

    [paid] = submitted.fake.bonus_payments
    assert (paid["submission_id"], paid["amount"], paid["bulk_id"]) == (
        submitted.assignment_id, CENTS, left["provider_progress"]["bonus_id"])
    assert (submitted.set_ups(), submitted.pays()) == (1, 1)
    row = submitted.bonus_row()
    assert row["outcome"] == "succeeded"
    assert "set up but not paid when the process stopped: it was paid now, once" in row["provider_response"]["settled"]
    assert row["provider_response"]["bonus_id"] == left["provider_progress"]["bonus_id"]
    assert row["provider_progress"]["step"] == PAYING
    pairing = submitted.handler.get_worker_assignment_pairing(PARTICIPANT, submitted.assignment_id)
    assert pairing["bonus_paid"] and pairing["bonus_amount_cents"] == CENTS
    # A later start finds nothing to settle, and the same bonus asked again answers this one.
    assert submitted.review().settle_interrupted() == []
    again = submitted.review().bonus(submitted.assignment_id, AMOUNT, actor="bob", reason=REASON)
    assert again.repeated and again.succeeded
    assert (submitted.set_ups(), submitted.pays(), len(submitted.fake.bonus_payments)) == (1, 1, 1)


def test_the_webapp_starting_after_the_kill_pays_the_recorded_set_up_once(submitted, tmp_path, monkeypatch):
    """The next start is the webapp's: create_app settles interrupted actions as it starts."""
    killed_at(submitted, "set_up_recorded", tmp_path)
    monkeypatch.setenv("PARLEY_CONFIG", str(tmp_path / "webapp.json"))
    monkeypatch.setenv("PROLIFIC_API_TOKEN", submitted.fake.token)
    monkeypatch.setenv("PARLEY_PROLIFIC_ENDPOINT", submitted.fake.url)

    create_app({"DATABASE_URL": submitted.store_url, "ADMIN_PASSWORD": "correct horse battery staple",
                "SECRET_KEY": "test-secret-key", "TESTING": True})

    assert submitted.bonus_row()["outcome"] == "succeeded"
    assert (submitted.set_ups(), submitted.pays(), len(submitted.fake.bonus_payments)) == (1, 1, 1)


def test_the_reviewer_asking_again_after_the_kill_pays_the_recorded_set_up_not_a_new_one(submitted, tmp_path):
    killed_at(submitted, "set_up_recorded", tmp_path)
    result = submitted.review().bonus(submitted.assignment_id, AMOUNT, actor="alice", reason=REASON)
    assert result.succeeded and result.repeated
    assert (submitted.set_ups(), submitted.pays(), len(submitted.fake.bonus_payments)) == (1, 1, 1)


def test_a_bonus_paid_just_before_the_kill_is_found_paid_and_not_paid_again(submitted, tmp_path):
    killed_at(submitted, "paid", tmp_path)
    assert submitted.bonus_row()["provider_progress"]["step"] == PAYING
    assert len(submitted.fake.bonus_payments) == 1

    assert submitted.review().settle_interrupted() == []

    row = submitted.bonus_row()
    assert row["outcome"] == "succeeded"
    assert row["provider_response"]["settled"] == "Prolific was asked afterwards: the bonus was paid"
    assert (submitted.set_ups(), submitted.pays(), len(submitted.fake.bonus_payments)) == (1, 1, 1)


@pytest.mark.parametrize("settlers", [2, 4])
def test_settlers_started_at_once_pay_a_recorded_set_up_once(submitted, tmp_path, settlers):
    killed_at(submitted, "set_up_recorded", tmp_path)
    services = [submitted.review() for _ in range(settlers)]
    turns = iter(services)

    def settle() -> list:
        return next(turns).settle_interrupted()

    at_once(settlers, settle)

    assert (submitted.set_ups(), submitted.pays(), len(submitted.fake.bonus_payments)) == (1, 1, 1)
    assert submitted.bonus_row()["outcome"] == "succeeded"


def test_a_pay_refused_at_settle_abandons_the_set_up_as_failed_and_a_retry_sets_up_a_new_one(submitted, tmp_path):
    """Prolific documents no cancel for a bulk bonus: a set-up it will not pay is left unpaid
    (it pays nothing), its row failed with the set-up's id kept, and the slot freed."""
    killed_at(submitted, "set_up_recorded", tmp_path)
    abandoned = submitted.bonus_row()["provider_progress"]["bonus_id"]
    with submitted.fake.market.lock:
        balance, submitted.fake.market.balance = submitted.fake.market.balance, 0

    assert submitted.review().settle_interrupted() == []

    row = submitted.bonus_row()
    assert row["outcome"] == "failed" and submitted.fake.bonus_payments == []
    assert f"bulk bonus {abandoned} was set up but not paid" in row["error"]
    assert "cannot cancel a set-up, so it is abandoned unpaid" in row["error"]
    assert row["provider_progress"]["bonus_id"] == abandoned
    with submitted.fake.market.lock:
        submitted.fake.market.balance = balance
    retry = submitted.review().bonus(submitted.assignment_id, AMOUNT, actor="alice", reason=REASON)
    assert retry.succeeded and not retry.repeated
    [paid] = submitted.fake.bonus_payments
    assert paid["bulk_id"] != abandoned and submitted.set_ups() == 2


def test_a_pay_whose_answer_is_lost_at_settle_stays_unknown_then_is_found_paid(submitted, tmp_path):
    killed_at(submitted, "set_up_recorded", tmp_path)
    submitted.fake.fail_next("pay_bonus_payments", DROP_CONNECTION, after_effect=True)

    [left] = submitted.review().settle_interrupted()

    assert submitted.review().settle_interrupted() == []  # Prolific shows it now: succeeded, not paid again
    assert left["token"] == submitted.bonus_row()["token"]
    assert submitted.bonus_row()["outcome"] == "succeeded"
    assert (submitted.set_ups(), submitted.pays(), len(submitted.fake.bonus_payments)) == (1, 1, 1)


def test_a_kill_while_setting_up_fails_the_bonus_and_only_the_reviewers_retry_sets_up_another(submitted, tmp_path):
    killed_at(submitted, "set_up_sent", tmp_path)
    assert submitted.bonus_row()["provider_progress"] == {"step": SETTING_UP}

    assert submitted.review().settle_interrupted() == []

    row = submitted.bonus_row()
    assert row["outcome"] == "failed" and "stopped while setting the bonus up" in row["error"]
    assert (submitted.set_ups(), submitted.pays()) == (1, 0)
    retry = submitted.review().bonus(submitted.assignment_id, AMOUNT, actor="alice", reason=REASON)
    assert retry.succeeded and not retry.repeated
    assert (submitted.set_ups(), submitted.pays(), len(submitted.fake.bonus_payments)) == (2, 1, 1)


def test_a_bonus_still_paying_when_its_process_died_and_not_shown_stays_unknown_with_a_sentence(submitted):
    """Pay may have been sent and Prolific pays in the minutes after: never sent again."""
    review = submitted.review()
    submitted.fake.fail_next("pay_bonus_payments", DROP_CONNECTION)  # lost before it took effect
    assert review.bonus(submitted.assignment_id, AMOUNT, actor="alice", reason=REASON).outcome == "unknown"

    [left] = review.settle_interrupted()
    assert left["outcome"] == "unknown"
    with pytest.raises(ReviewRefused, match="cannot tell yet whether it was paid. Pay is never sent again"):
        review.bonus(submitted.assignment_id, AMOUNT, actor="alice", reason=REASON)
    assert (submitted.set_ups(), submitted.pays(), submitted.fake.bonus_payments) == (1, 1, [])
