"""Money and verdicts under races: requests that arrive at the same moment (threads, and
processes, released together by a barrier) against a provider with a marketplace's 50 ms round
trip. Each assignment's bonus and verdict reach the provider at most once, the others are
refused with a sentence, and no audit row is left pending. On SQLite and on PostgreSQL (the
suite runs on both)."""
from __future__ import annotations

import multiprocessing
import os
import re
import threading
import time
from collections import Counter
from functools import partial
from pathlib import Path

import pytest

from crowd.local.provider import LocalProvider
from crowd.review import ReviewRefused, ReviewResult, ReviewService
from crowd.review_rules import this_process
from datastore import MTurkDataHandler
from datastore.states import ReviewOutcome
from tests.support.builders import completed_conversation
from tests.support.review_races import SlowProvider, at_once, dead_process, interrupt, rounds

ROUNDS = 20
AMOUNTS = ("1.00", "1.01", "1.02", "1.03", "1.04")
REJECTION = "The answers do not match the passage"


def together(calls: list) -> list[ReviewResult | ReviewRefused]:
    """Run each call in its own thread, all released at once; answers each call's result or
    the ReviewRefused it raised, in the order given."""
    barrier = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        try:
            answers[n] = calls[n]()
        except ReviewRefused as exc:
            answers[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(a is not None for a in answers), "a request neither answered nor was refused"
    return answers


def unsettled(handler: MTurkDataHandler, *assignment_ids: str) -> list:
    return [r for a in assignment_ids for r in handler.get_review_actions(assignment_id=a)
            if r["outcome"] in (ReviewOutcome.PENDING, ReviewOutcome.UNKNOWN)]


def test_five_different_bonuses_and_an_approve_racing_a_reject_each_reach_the_provider_once(
        handler, review, provider):
    for n, (_, paid, judged) in enumerate(rounds(handler, ROUNDS)):
        answers = together([
            *[partial(review.bonus, paid, amount, actor="alice", reason=f"Bonus {amount}") for amount in AMOUNTS],
            partial(review.approve, judged, actor="alice"),
            partial(review.reject, judged, actor="bob", reason=REJECTION),
        ])
        bonuses, verdicts = answers[:5], answers[5:]

        assert provider.reached(paid) == Counter(bonus=1), f"round {n}"
        assert len(provider.bonus_tokens(paid)) == 1
        assert sum(provider.reached(judged)[a] for a in ("approve", "reject")) == 1, f"round {n}"
        assert unsettled(handler, paid, judged) == []

        [won] = [b for b in bonuses if isinstance(b, ReviewResult)]
        assert won.succeeded and not won.repeated
        assert all(isinstance(b, ReviewRefused) for b in bonuses if b is not won)
        pairing = handler.get_worker_assignment_pairing(f"W{n}a", paid)
        assert pairing["bonus_paid"] and pairing["bonus_amount_cents"] == won.action["amount_cents"]

        [verdict] = [v for v in verdicts if isinstance(v, ReviewResult)]
        [refused] = [v for v in verdicts if isinstance(v, ReviewRefused)]
        assert verdict.succeeded and not verdict.repeated
        assert re.search("being done right now|already approved|was rejected", str(refused)), str(refused)
        final = handler.get_assignment_data(judged)
        if verdict.action["action"] == "approve":
            assert (final["status"], final["feedback"]) == ("approved", None)
        else:
            assert (final["status"], final["feedback"]) == ("rejected", REJECTION)
        assert [r["outcome"] for r in handler.get_review_actions(assignment_id=judged)] == ["succeeded"]


def test_bonuses_naming_their_own_request_tokens_at_the_same_moment_pay_once_and_none_is_answered_wrongly(
        handler, review, provider):
    """A script's unique request tokens (pay_bonus's unique_request_token), released together:
    the same token three times, two other tokens, and the first token for another amount.
    Whichever wins is paid once; which one wins is the race's."""
    asked = [("t-1", "1.00"), ("t-1", "1.00"), ("t-1", "1.00"), ("t-2", "1.00"), ("t-3", "1.00"), ("t-1", "2.00")]
    for n, (_, paid, _) in enumerate(rounds(handler, ROUNDS)):
        answers = together([partial(review.bonus, paid, amount, actor="run.py", reason="Thanks", token=f"{token}-{n}")
                            for token, amount in asked])

        assert provider.reached(paid) == Counter(bonus=1), f"round {n}"
        assert unsettled(handler, paid) == []
        results = [(a, amount) for a, (_, amount) in zip(answers, asked) if isinstance(a, ReviewResult)]
        assert [a for a, _ in results if not a.repeated] and len({a.action["id"] for a, _ in results}) == 1
        # Whoever is answered with the payment asked for that payment (its token and amount);
        # every other request is refused with a sentence.
        assert all(a.action["amount_cents"] == round(float(amount) * 100) for a, amount in results), f"round {n}"
        assert len(results) + sum(isinstance(a, ReviewRefused) for a in answers) == len(asked)


def test_a_second_different_bonus_is_refused_while_the_first_is_still_with_the_provider(handler, review):
    built = completed_conversation(handler, provider="local")
    a1 = built.assignments[0]
    slow = SlowProvider(round_trip=1.0)
    first_started = threading.Event()
    results = []

    def first() -> None:
        first_started.set()
        results.append(ReviewService(handler, lambda run: slow).bonus(a1, "2.00", actor="alice", reason="Great"))

    thread = threading.Thread(target=first)
    thread.start()
    first_started.wait()
    while not handler.get_review_actions(assignment_id=a1):
        time.sleep(0.01)
    with pytest.raises(ReviewRefused, match=r"a bonus of \$2.00 asked by alice is being done right now"):
        review.bonus(a1, "3.00", actor="bob", reason="Also great")
    same = review.bonus(a1, "2.00", actor="bob", reason="Great")
    assert same.repeated and same.outcome == "pending"
    thread.join(10)
    assert results[0].succeeded and results[0].action["id"] == same.action["id"]
    with pytest.raises(ReviewRefused, match=r"already paid a bonus of \$2.00; it cannot get another"):
        review.bonus(a1, "3.00", actor="bob", reason="Also great")


def test_an_action_whose_process_died_mid_call_is_settled_with_the_provider_before_anything_else(
        handler, review, provider):
    built = completed_conversation(handler, provider="local")
    a1 = built.assignments[0]
    interrupt(handler, a1, owner=dead_process())
    other = review.bonus(a1, "2.50", actor="bob", reason="Different")
    # The local provider, asked, has no record of the first bonus: it is settled as failed,
    # which frees the slot for the second.
    assert other.succeeded
    assert [(r["outcome"], r["amount_cents"]) for r in handler.get_review_actions(assignment_id=a1)] == [
        ("failed", 100), ("succeeded", 250)]
    assert provider.reached(a1) == Counter(bonus=1)


def test_an_interrupted_bonus_the_marketplace_did_pay_blocks_a_different_one(handler):
    built = completed_conversation(handler, provider="local")
    a1 = built.assignments[0]

    class PaidBeforeDying(LocalProvider):
        def review_outcome(self, action):
            return True

    review = ReviewService(handler, lambda run: PaidBeforeDying())
    interrupt(handler, a1, owner=dead_process())
    with pytest.raises(ReviewRefused, match=r"already paid a bonus of \$1.00; it cannot get another"):
        review.bonus(a1, "2.50", actor="bob", reason="Different")
    [settled] = handler.get_review_actions(assignment_id=a1)
    assert settled["outcome"] == "succeeded"
    assert handler.get_worker_assignment_pairing("W1", a1)["bonus_paid"]


def test_the_start_up_sweep_settles_interrupted_actions_and_leaves_live_ones_alone(handler, review):
    built = completed_conversation(handler, provider="local")
    dead, alive = built.assignments
    interrupt(handler, dead, owner=dead_process())
    handler.claim_review_action("in-flight", "approve", assignment_id=alive, admit=lambda a, h: None,
                                actor="alice", owner=this_process())
    handler.begin_review_action("blocking", "hard_block", actor="alice", worker_id="W1", run_id=built.run_id,
                                owner=dead_process())
    assert review.settle_interrupted() == []
    outcomes = {r["token"]: r["outcome"] for r in handler.get_review_actions()}
    assert outcomes == {"interrupted-token": "failed", "in-flight": "pending", "blocking": "failed"}


def test_an_unknown_action_stays_unknown_while_the_provider_cannot_be_asked(handler):
    from crowd.base import Refused

    built = completed_conversation(handler, provider="local")
    a1 = built.assignments[0]

    class Unreachable(LocalProvider):
        def review_outcome(self, action):
            raise Refused("the marketplace cannot be reached")

    review = ReviewService(handler, lambda run: Unreachable())
    interrupt(handler, a1, owner=dead_process())
    with pytest.raises(ReviewRefused, match="may or may not have reached local, which cannot be asked now"):
        review.bonus(a1, "1.00", actor="alice", reason="Thanks")
    assert [r["outcome"] for r in handler.get_review_actions(assignment_id=a1)] == ["unknown"]
    assert len(review.settle_interrupted()) == 1


# Processes ---------------------------------------------------------------------------------

class FileCountingProvider(SlowProvider):
    """Appends a line per call to a file, so calls from several processes can be counted."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def _did(self, action, **details):
        answer = super()._did(action, **details)
        with open(self.path, "a") as out:
            out.write(f"{action} {details.get('assignment_id')}\n")
        return answer


def _bonus_from_a_process(store_url: str, calls_file: str, assignment_id: str, amount: str,
                          barrier, answers) -> None:
    handler = MTurkDataHandler(db_url=store_url)
    review = ReviewService(handler, lambda run: FileCountingProvider(calls_file))
    barrier.wait()
    try:
        answers.put((amount, review.bonus(assignment_id, amount, actor=f"pid {os.getpid()}",
                                          reason="Thanks").outcome))
    except ReviewRefused as exc:
        answers.put((amount, f"refused: {exc}"))


def test_bonuses_from_four_processes_at_once_reach_the_provider_once(handler, store_url, tmp_path):
    built = completed_conversation(handler, provider="local")
    a1 = built.assignments[0]
    calls = tmp_path / "calls.txt"
    calls.touch()
    context = multiprocessing.get_context("spawn")
    barrier, answers = context.Barrier(4), context.Queue()
    processes = [context.Process(target=_bonus_from_a_process,
                                 args=(store_url, str(calls), a1, amount, barrier, answers))
                 for amount in AMOUNTS[:4]]
    for process in processes:
        process.start()
    results = [answers.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
    assert Path(calls).read_text().splitlines() == [f"bonus {a1}"]
    assert sorted(outcome.split(":")[0] for _, outcome in results) == ["refused"] * 3 + ["succeeded"]
    assert unsettled(handler, a1) == []


def test_of_many_processes_taking_the_same_next_step_of_a_provider_call_one_records_it(handler):
    """What lets only one settler send a step that cannot be repeated (a Prolific pay)."""
    built = completed_conversation(handler, provider="local")
    row = interrupt(handler, built.assignments[0], owner=dead_process())
    assert handler.record_review_progress(row["token"], "set_up", {"id": "B1"}, after=None)
    assert not handler.record_review_progress(row["token"], "set_up", {"id": "B2"}, after=None)

    taken = at_once(8, lambda: handler.record_review_progress(row["token"], "paying", {"id": "B1"},
                                                              after="set_up"))

    assert sorted(taken) == [False] * 7 + [True]
    assert handler.get_review_action(row["token"])["provider_progress"] == {"id": "B1", "step": "paying"}
    handler.finish_review_action(row["token"], outcome=ReviewOutcome.FAILED, error="abandoned")
    assert not handler.record_review_progress(row["token"], "done", {}, after="paying")  # finished: final
    assert handler.get_review_action(row["token"])["provider_progress"]["step"] == "paying"
