"""A run's totals (datastore/run_totals.py) are kept by the writers in the same transaction as
each change, so they always equal a count made afresh from the run's rows: after any sequence
of the runner's and the reviewer's writes, after writers racing each other, after a refused
write, and after migration 0012 filled them for a store that had none. Reading a run's summary
never reads its assignments. And the unreviewed filter finds the same conversations whether or
not they lie within the window it checks one by one."""
from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from datastore import IllegalTransition
from datastore import dashboard as dashboard_module
from datastore.engine import alembic_config, open_store, writer
from datastore.run_totals import Tally, counted_afresh, note
from datastore.states import ASSIGNMENT_TRANSITIONS, FAILED
from tests.support.builders import accept, assignment_in, bot_conversations, completed_conversation
from tests.support.store_probes import T0, statements_on

HOUR = 3600.0

# How the runner and the reviewer move an assignment into each status.
MOVES = {
    "onboarding": lambda h, w, a, c: h.log_start_onboard(w, a, f"o_{a}"),
    "waiting": lambda h, w, a, c: (h.log_finish_onboard(w, a, passed=True)
                                   if h.get_assignment_data(a)["status"] == "onboarding" else h.log_waiting(w, a)),
    "in_task": lambda h, w, a, c: h.log_start_task(w, a, c, "Speaker"),
    "completed": lambda h, w, a, c: h.log_complete_assignment(w, a),
    "partner_disconnect": lambda h, w, a, c: h.log_complete_assignment(w, a, complete_type="partner_disconnect"),
    "disconnect": lambda h, w, a, c: h.log_disconnect_assignment(w, a),
    "timeout": lambda h, w, a, c: h.log_disconnect_assignment(w, a, disconnect_type="timeout"),
    "returned": lambda h, w, a, c: h.log_return_assignment(w, a),
    "expired": lambda h, w, a, c: h.log_expire_assignment(w, a),
    "abandoned": lambda h, w, a, c: h.log_abandon_assignment(w, a),
    "released": lambda h, w, a, c: h.log_release_assignment(w, a),
    "interrupted": lambda h, w, a, c: h.log_interrupt_assignment(w, a),
    "submitted": lambda h, w, a, c: h.log_submit_assignment(w, a),
    "approved": lambda h, w, a, c: h.log_approve_assignment(a),
    "rejected": lambda h, w, a, c: h.log_reject_assignment(a, "Off topic."),
}


def kept(handler, run_id: str) -> Counter:
    """The run's totals as the writers kept them, {(kind, key): n}, zeros left out."""
    with handler.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT kind, key, n FROM run_totals WHERE run_id = :r AND n != 0"),
                            {"r": run_id}).all()
    return Counter({(kind, key): n for kind, key, n in rows})


def afresh(handler, run_id: str) -> Counter:
    with handler.engine.connect() as conn:
        return counted_afresh(conn, run_id)


def random_walk(handler, clock, run_id: str, rng: random.Random, assignments: int) -> None:
    """Every assignment goes a random legal way from accepted, the clock moving minutes to
    hours between writes; bonuses are awarded, changed and paid, HITs change status and
    conversations begin."""
    for n in range(assignments):
        worker, conversation = f"W{n}", f"t_{n // 2}"
        assignment = accept(handler, run_id, worker, n)
        while ASSIGNMENT_TRANSITIONS[handler.get_assignment_data(assignment)["status"]]:
            status = handler.get_assignment_data(assignment)["status"]
            if rng.random() < 0.15:
                break  # left where it is: live, or waiting for review
            clock.now += rng.choice((5.0, 90.0, 1200.0, HOUR + 17))
            choices = sorted(ASSIGNMENT_TRANSITIONS[status])
            weights = [1 if step in FAILED else 10 if step == "in_task" else 4 for step in choices]
            MOVES[rng.choices(choices, weights)[0]](handler, worker, assignment, conversation)
        for _ in range(rng.choice((0, 0, 1, 2))):  # bonuses awarded, changed, paid
            handler.log_award_amount(worker, assignment, rng.choice(("0.25", "1.00")), "thanks")
        if handler.get_worker_assignment_pairing(worker, assignment)["bonus_amount_cents"] and rng.random() < 0.5:
            handler.log_bonus_paid(worker, assignment)
        if rng.random() < 0.3:
            handler.log_hit_status({"HIT": {"HITId": f"{run_id}-H{n}", "HITStatus": rng.choice(
                ("Unassignable", "Reviewable", "Disposed")), "Expiration": T0 + 86_400}}, run_id)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_totals_equal_a_fresh_count_after_any_sequence_of_writes(handler, clock, seed):
    rng = random.Random(seed)
    run_id = handler.log_new_run(20, "qa", provider="mturk", reward="0.50")
    completed_conversation(handler, run_id=run_id, conversation_id="t_whole", workers=("WA", "WB"))
    random_walk(handler, clock, run_id, rng, assignments=24)
    assert kept(handler, run_id) == afresh(handler, run_id)

    clock.now += 2 * HOUR  # the runner dies; its live assignments end as the next start says
    handler.log_interrupted_run(run_id, noticed_by="test")
    totals = kept(handler, run_id)

    assert totals == afresh(handler, run_id)
    assert sum(n for (kind, _), n in totals.items() if kind == Tally.STATUS) == 26
    assert {kind for kind, _ in totals} == set(Tally)  # every kind of total was exercised


def test_a_run_summary_shows_every_change_at_once_and_reads_no_assignment_rows(handler, clock):
    built = completed_conversation(handler, provider="mturk")
    before = handler.run_summary(built.run_id)

    clock.now += 1
    handler.log_approve_assignment(built.assignments[0])
    with statements_on(handler.engine) as sent:
        after = handler.run_summary(built.run_id)

    assert before["assignments_by_status"] == {"completed": 2} and before["unreviewed"] == 2
    assert after["assignments_by_status"] == {"completed": 1, "approved": 1} and after["unreviewed"] == 1
    assert after["as_of"] == T0 + 1
    assert not [sql for sql, _ in sent if "FROM assignments" in sql or "JOIN assignments" in sql], sent


def test_writers_racing_each_other_keep_the_totals_exact(handler, clock):
    """Threads released together, each moving its own workers from accept to review."""
    run_id = handler.log_new_run(40, "qa", provider="mturk")
    ids = {n: accept(handler, run_id, f"W{n}", n) for n in range(16)}
    start = threading.Barrier(4)
    errors = []

    def work(mine: list[int]) -> None:
        start.wait()
        try:
            for n in mine:
                for status in ("waiting", "in_task", "completed", "approved" if n % 3 else "rejected"):
                    MOVES[status](handler, f"W{n}", ids[n], f"t_{n // 2}")
        except Exception as exc:  # reported below, with the thread's assignment
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(list(range(k, 16, 4)),)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    totals = kept(handler, run_id)
    assert totals == afresh(handler, run_id)
    assert (totals["status", "approved"], totals["status", "rejected"], totals["conversations", ""]) == (10, 6, 8)


def test_a_refused_write_leaves_the_totals_as_they_were(handler):
    run_id = handler.log_new_run(2, "qa", provider="mturk")
    assignment = assignment_in(handler, run_id, "W1", 1, "approved")
    before = kept(handler, run_id)

    with pytest.raises(IllegalTransition):
        handler.log_reject_assignment(assignment, "Changed my mind.")
    with pytest.raises(IllegalTransition):
        handler.log_start_task("W1", assignment, "t_9")

    assert kept(handler, run_id) == before == afresh(handler, run_id)


def test_a_change_to_a_runs_totals_outside_a_transaction_that_keeps_them_is_refused(handler):
    with handler.engine.connect() as conn, pytest.raises(RuntimeError, match="outside a write transaction"):
        note(conn, "some_run", Tally.STATUS, "approved")


def before_run_totals() -> str:
    """The revision before the migration that made run_totals, wherever the chain puts it."""
    [made] = [script for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
              if script.path.endswith("_run_totals.py")]
    assert isinstance(made.down_revision, str)
    return made.down_revision


def test_the_migration_fills_the_totals_of_the_runs_stored_before_it(handler, clock, store_url):
    run_id = handler.log_new_run(20, "qa", provider="mturk", reward="0.50")
    completed_conversation(handler, run_id=run_id, conversation_id="t_whole", workers=("WA", "WB"))
    random_walk(handler, clock, run_id, random.Random(4), assignments=16)
    bot_conversations(handler, run_id, ["o_onboarding_only", "t_100"])
    expected = afresh(handler, run_id)
    with writer(open_store(store_url)).connect() as conn:  # a store from before the table...
        command.downgrade(alembic_config(conn), before_run_totals())
        conn.commit()
        command.upgrade(alembic_config(conn), "heads")  # ...brought up to date
        conn.commit()

    with handler.engine.connect() as conn:
        task_conversations = conn.execute(sa.text(
            "SELECT COUNT(*) FROM conversations WHERE run_id = :r AND conversation_id LIKE 't%'"),
            {"r": run_id}).scalar_one()
    assert kept(handler, run_id) == expected
    assert expected["conversations", ""] == task_conversations  # not the onboarding one
    assert {kind for kind, _ in expected} == set(Tally)


def test_a_run_whose_launch_was_refused_is_removed_with_its_totals(handler):
    run_id = handler.log_new_run(1, "qa", provider="mturk")
    handler.log_hit_status({"HIT": {"HITId": "H1", "HITStatus": "Disposed", "Expiration": T0}}, run_id)
    assert kept(handler, run_id) == {("hit_status", "Disposed"): 1}

    handler.discard_unlaunched_run(run_id)

    assert kept(handler, run_id) == Counter()


# The unreviewed filter beyond its probe window ----------------------------------------------------

@pytest.mark.parametrize("probe", [2, 5, 1000])
def test_the_unreviewed_filter_finds_work_to_review_wherever_it_lies(handler, monkeypatch, probe):
    monkeypatch.setattr(dashboard_module, "UNREVIEWED_PROBE", probe)
    run_id = handler.log_new_run(12, "qa", provider="mturk")
    bot_conversations(handler, run_id, (f"t_{n}" for n in range(12)))
    for n in range(9):  # the first nine reviewed already; work waits in t_9 and t_11 only
        assignment_in(handler, run_id, f"W{n}", n, "approved", conversation_id=f"t_{n}")
    for n in (9, 11):
        assignment_in(handler, run_id, f"W{n}", n, "submitted", conversation_id=f"t_{n}")

    pages, after = [], None
    while True:
        page = handler.list_conversations(run_id, after=after, limit=1, unreviewed_only=True)
        pages.append([c["conversation_id"] for c in page["items"]])
        after = page["next"]
        if after is None:
            break
    following = {after: handler.next_unreviewed_conversation(run_id, after)
                 for after in (None, "t_0", "t_9", "t_10", "t_11")}

    assert pages == [["t_9"], ["t_11"]]
    assert following == {None: "t_9", "t_0": "t_9", "t_9": "t_11", "t_10": "t_11", "t_11": "t_9"}
