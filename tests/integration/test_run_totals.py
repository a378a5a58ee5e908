"""A run's totals and charts are kept between calls (datastore.dashboard.RunTotalsCache): a
finished run's are counted once and again only after something in it changed, a running run's
at most every LIVE_REFRESH_SECONDS; bonuses and the run's own row are always read afresh. And
the unreviewed filter finds the same conversations whether or not they lie within the window
it checks one by one."""
from __future__ import annotations

import threading
import time

import pytest

from datastore import dashboard as dashboard_module
from datastore.dashboard import LIVE_REFRESH_SECONDS, RunTotalsCache
from tests.support.builders import assignment_in, bot_conversations
from tests.support.store_probes import T0, statements_on

COUNTING = "GROUP BY assignments.run_id, assignments.status"
"""A statement only counting a run's totals sends: its assignments counted by status."""


def a_run(handler, *, finished: bool) -> tuple[str, dict[str, str]]:
    """A run with two submitted assignments (t_1), one approved (t_2), one returned."""
    run_id = handler.log_new_run(3, "qa", provider="mturk", reward="0.50")
    assignments = {
        "W1": assignment_in(handler, run_id, "W1", 1, "submitted", conversation_id="t_1"),
        "W2": assignment_in(handler, run_id, "W2", 2, "submitted", conversation_id="t_1"),
        "W3": assignment_in(handler, run_id, "W3", 3, "approved", conversation_id="t_2"),
        "W4": assignment_in(handler, run_id, "W4", 4, "returned"),
    }
    if finished:
        handler.log_end_run(run_id)
    return run_id, assignments


def counted(sent: list[tuple[str, list]]) -> int:
    return sum(COUNTING in sql for sql, _ in sent)


def test_a_finished_runs_totals_are_counted_once_and_then_served_without_reading_its_assignments(
    handler, clock
):
    run_id, _ = a_run(handler, finished=True)
    clock.now += 60  # a reviewer opens the run a minute after it ended

    with statements_on(handler.engine) as first_call:
        first = handler.run_summary(run_id)
    with statements_on(handler.engine) as second_call:
        clock.now += 3600
        second = handler.run_summary(run_id)
        payments = handler.payments_for_run(run_id)

    assert counted(first_call) == 1 and counted(second_call) == 0
    assert second == first and second["as_of"] == T0 + 60
    assert second["assignments_by_status"] == {"submitted": 2, "approved": 1, "returned": 1}
    assert payments["base_owed_cents"] == 100 and payments["base_paid_cents"] == 50
    # What the second call and the payments read instead: the run, its fingerprint, bonuses.
    grouped = [sql for sql, _ in second_call if "GROUP BY" in sql]
    assert grouped and all("pairings.bonus_paid" in sql for sql in grouped), grouped


def test_a_review_of_a_finished_run_shows_on_the_very_next_summary(handler, clock):
    run_id, a = a_run(handler, finished=True)
    clock.now += 60
    before = handler.run_summary(run_id)

    clock.now += 1
    handler.log_approve_assignment(a["W1"])
    after_approval = handler.run_summary(run_id)
    handler.log_award_amount("W1", a["W1"], "0.20", "thanks")  # no status change: read afresh
    after_bonus = handler.run_summary(run_id)
    handler.log_hit_status({"HIT": {"HITId": f"{run_id}-H1", "HITStatus": "Disposed",
                                    "Expiration": T0 + 86_400}}, run_id)
    after_hit = handler.run_summary(run_id)

    assert (before["unreviewed"], before["assignments_by_status"]["approved"]) == (2, 1)
    assert (after_approval["unreviewed"], after_approval["assignments_by_status"]["approved"]) == (1, 2)
    assert after_approval["as_of"] == T0 + 61
    assert after_bonus["owed_cents"] == after_approval["owed_cents"] + 20
    assert after_hit["hits_by_status"] == {"Assignable": 3, "Disposed": 1}


def test_a_running_runs_totals_are_at_most_live_refresh_seconds_old(handler, clock):
    run_id, a = a_run(handler, finished=False)
    first = handler.run_summary(run_id)

    clock.now += 1
    handler.log_approve_assignment(a["W1"])
    clock.now += LIVE_REFRESH_SECONDS - 2
    within = handler.run_summary(run_id)
    clock.now += 1
    after = handler.run_summary(run_id)

    assert within["assignments_by_status"] == first["assignments_by_status"]
    assert within["as_of"] == first["as_of"] == T0
    assert after["assignments_by_status"]["approved"] == 2 and after["unreviewed"] == 1
    assert after["as_of"] == T0 + LIVE_REFRESH_SECONDS


def test_a_running_runs_timeline_reaches_now_even_when_nothing_changed(handler, clock):
    run_id, _ = a_run(handler, finished=False)
    clock.now = T0 + 10
    handler.run_summary(run_id)

    clock.now = T0 + 5 * 3600 + 10
    with statements_on(handler.engine) as sent:
        buckets = handler.run_summary(run_id)["outcomes_over_time"]

    assert counted(sent) == 0  # nothing changed for hours: the totals are still good
    assert [b["start"] for b in buckets] == [T0 + 3600 * i for i in range(6)]
    assert (buckets[0]["completed"], buckets[0]["failed"]) == (3, 1)


def test_totals_counted_just_after_a_change_are_counted_again_once_that_change_has_settled(
    handler, clock
):
    """A writer stamps `updated` before it commits: a change stamped a moment before the
    totals were counted may commit a moment after without moving the fingerprint."""
    run_id, _ = a_run(handler, finished=True)
    handler.run_summary(run_id)  # counted at the very time of the last change

    def counts_at(offset: float) -> int:
        clock.now = T0 + offset
        with statements_on(handler.engine) as sent:
            handler.run_summary(run_id)
        return counted(sent)

    assert counts_at(LIVE_REFRESH_SECONDS - 1) == 0
    assert counts_at(LIVE_REFRESH_SECONDS) == 1
    assert counts_at(3600) == 0


def test_only_the_most_recently_viewed_runs_are_kept(handler, clock):
    handler.run_totals = RunTotalsCache(size=2)
    runs = [a_run(handler, finished=True)[0] for _ in range(3)]
    clock.now += 60
    for run_id in runs:
        handler.run_summary(run_id)

    def recounts(run_id: str) -> bool:
        with statements_on(handler.engine) as sent:
            handler.run_summary(run_id)
        return counted(sent) == 1

    assert [recounts(runs[2]), recounts(runs[1]), recounts(runs[0])] == [False, False, True]


def test_threads_asking_for_the_same_run_at_once_count_its_totals_once(handler, monkeypatch):
    run_id, _ = a_run(handler, finished=True)
    handler.run_totals = RunTotalsCache()
    calls = []
    count = dashboard_module._run_totals

    def slow_count(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(threading.get_ident())
        time.sleep(0.2)  # long enough for every other thread to ask meanwhile
        return count(*args, **kwargs)

    monkeypatch.setattr(dashboard_module, "_run_totals", slow_count)
    start = threading.Barrier(4)
    answers = []

    def view() -> None:
        start.wait()
        answers.append(handler.run_summary(run_id)["assignments_by_status"])

    threads = [threading.Thread(target=view) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 1
    assert answers == [{"submitted": 2, "approved": 1, "returned": 1}] * 4


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
