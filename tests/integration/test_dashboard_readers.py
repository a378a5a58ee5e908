"""The dashboard's readers: pages of runs, of a run's conversations and of a worker's history
walked by keyset cursors; counts, money and charts computed by the database; every answer a
plain JSON-ready dict. A fake clock stands in for the store's `time` so durations, hours and
money can be checked to the second and the cent."""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from datastore import InvalidValue
from datastore import dashboard as dashboard_module
from tests.support.builders import accept, assignment_in, bot_conversations, bulk_writer
from tests.support.store_probes import T0, statements_on

HOUR = 3600.0


def as_json(answer: Any) -> Any:
    """The answer, after checking it survives JSON unchanged (what the webapp's twins send)."""
    assert json.loads(json.dumps(answer, allow_nan=False)) == answer
    return answer


def walk(read_page: Callable[[str | None], dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Every page of a list, following `next` from the first page to the last."""
    pages, after = [], None
    while True:
        page = as_json(read_page(after))
        pages.append(page["items"])
        after = page["next"]
        if after is None:
            return pages


def selects(sent: list[tuple[str, list[Any]]]) -> list[tuple[str, list[Any]]]:
    return [(sql, values) for sql, values in sent if sql.lstrip().upper().startswith("SELECT")]


# A small run reviewed by hand -----------------------------------------------------------------

@dataclass
class ReviewedRun:
    run_id: str
    assignments: dict[str, str] = field(default_factory=dict)
    """worker id -> assignment id"""


@pytest.fixture
def reviewed_run(handler, clock) -> ReviewedRun:
    """A live run launched at T0 and four hours old now (still running), $0.50 a HIT:
      hour 0  W8 accepts and returns the HIT.
      hour 1  t_1: W1 and W2 talk for 600 s; W1 is approved ($1.00 bonus, paid), W2 rejected
              (5 cents bonus awarded, not paid).
      hour 2  t_2: W3 (completed, 25 cents bonus not paid) and W4 (submitted), 1200 s of task;
              t_3: W5 disconnects after 300 s, leaving W9 with partner_disconnect.
      hour 3  the reviews; W6 is in onboarding (its o_ conversation holds a message), W7 waits.
    """
    built = ReviewedRun(handler.log_new_run(4, "qa_data_collection", provider="mturk", reward="0.50"))
    a = built.assignments

    def at(offset: float) -> None:
        clock.now = T0 + offset

    def start_task(worker: str, conversation_id: str, role: str) -> None:
        a[worker] = assignment_in(handler, built.run_id, worker, worker, "in_task",
                                  conversation_id=conversation_id, agent_id=role)
        handler.log_message(built.run_id, conversation_id, role, {"text": f"{role} here"},
                            worker_id=worker, assignment_id=a[worker], client_msg_id="m1")

    at(100)
    a["W8"] = assignment_in(handler, built.run_id, "W8", "W8", "accepted")
    at(200)
    handler.log_return_assignment("W8", a["W8"])

    at(HOUR)
    start_task("W1", "t_1", "Asker")
    start_task("W2", "t_1", "Answerer")
    at(HOUR + 600)
    for worker in ("W1", "W2"):
        handler.log_complete_assignment(worker, a[worker])
    handler.log_end_conversation(built.run_id, "t_1")

    at(2 * HOUR)
    start_task("W3", "t_2", "Asker")
    start_task("W4", "t_2", "Answerer")
    at(2 * HOUR + 100)
    start_task("W5", "t_3", "Asker")
    start_task("W9", "t_3", "Answerer")
    at(2 * HOUR + 400)
    handler.log_disconnect_assignment("W5", a["W5"])
    handler.log_complete_assignment("W9", a["W9"], complete_type="partner_disconnect")
    at(2 * HOUR + 1200)
    for worker in ("W3", "W4"):
        handler.log_complete_assignment(worker, a[worker])
    handler.log_submit_assignment("W4", a["W4"])

    at(3 * HOUR)
    handler.log_approve_assignment(a["W1"])
    handler.log_award_amount("W1", a["W1"], "1.00", "great questions")
    handler.log_bonus_paid("W1", a["W1"])
    handler.log_reject_assignment(a["W2"], "Off topic.")
    handler.log_award_amount("W2", a["W2"], "0.05", "effort")
    handler.log_award_amount("W3", a["W3"], "0.25", "long answers")
    handler.log_hit_status({"HIT": {"HITId": f"{built.run_id}-HW1", "HITStatus": "Reviewable",
                                    "Expiration": T0 + 86_400}}, built.run_id)
    at(3 * HOUR + 100)
    a["W6"] = assignment_in(handler, built.run_id, "W6", "W6", "onboarding")
    handler.log_message(built.run_id, f"o_{a['W6']}", "Onboarding", {"text": "Welcome!"})
    a["W7"] = assignment_in(handler, built.run_id, "W7", "W7", "waiting")
    at(4 * HOUR - 1)
    return built


def test_an_empty_store_answers_empty_pages_and_none_for_unknown_ids(handler):
    assert handler.list_runs() == {"items": [], "next": None}
    assert handler.list_runs(include_tests=True, task="qa") == {"items": [], "next": None}
    assert handler.list_tasks_with_runs() == []
    assert handler.run_summary("no-such-run") is None
    assert handler.payments_for_run("no-such-run") is None
    assert handler.list_conversations("no-such-run") == {"items": [], "next": None}
    assert handler.list_conversations("no-such-run", unreviewed_only=True) == {"items": [], "next": None}
    assert handler.next_unreviewed_conversation("no-such-run") is None
    assert handler.next_unreviewed_conversation("no-such-run", "t_1") is None
    assert handler.worker_summary("nobody") is None
    assert handler.live_runs_activity() == []


def test_a_run_with_nothing_in_it_yet_has_zero_counts_no_money_and_empty_charts(handler, clock):
    run_id = handler.log_new_run(3, "dealnodeal", provider="local")
    clock.now = T0 + 90

    summary = as_json(handler.run_summary(run_id))

    assert {key: summary[key] for key in (
        "conversations", "completed", "failed", "live", "cost_cents", "owed_cents", "unreviewed",
        "assignments_by_status", "hits_by_status", "approval_rate", "durations",
    )} == {"conversations": 0, "completed": 0, "failed": 0, "live": 0, "cost_cents": 0,
           "owed_cents": 0, "unreviewed": 0, "assignments_by_status": {}, "hits_by_status": {},
           "approval_rate": None, "durations": {"bins": []}}
    assert summary["outcomes_over_time"] == [{"start": T0, "completed": 0, "failed": 0}]
    assert as_json(handler.payments_for_run(run_id)) == {
        "currency": "USD", "reward_cents": 0, "base_paid_cents": 0, "base_owed_cents": 0, "bonus_awarded_cents": 0,
        "bonus_paid_cents": 0, "bonus_unpaid_cents": 0, "unpaid_bonuses": [],
        "unpaid_bonuses_truncated": False,
    }
    assert handler.list_conversations(run_id) == {"items": [], "next": None}
    assert handler.next_unreviewed_conversation(run_id) is None


# Runs -------------------------------------------------------------------------------------------

def test_a_run_on_the_runs_page_carries_its_counts_and_what_it_paid_and_owes(handler, reviewed_run):
    [run] = as_json(handler.list_runs())["items"]

    assert run == {
        "run_id": reviewed_run.run_id, "taskname": "qa_data_collection", "provider": "mturk",
        "is_sandbox": False, "is_test": False, "status": "running", "launch_time": T0,
        "end_time": None, "target": 4, "reward_cents": 50, "currency": "USD",
        "interruption": None,  # only a run whose runner died has one
        "stop_requested_at": None, "stop_requested_by": None, "discarded_at": None,  # run control
        "conversations": 3,  # t_1, t_2, t_3; not W6's onboarding conversation
        "conversations_done": 1,  # t_1; t_2 and t_3 have not ended
        "completed": 5,      # W1 approved, W2 rejected, W3 completed, W4 submitted, W9 partner_disconnect
        "failed": 2,         # W5 disconnect, W8 returned
        "live": 2,           # W6 onboarding, W7 waiting
        "cost_cents": 50 + 100,          # W1's reward and paid bonus
        "owed_cents": 3 * 50 + 5 + 25,   # W3, W4, W9 unreviewed; W2's and W3's unpaid bonuses
    }


def test_a_run_whose_runner_died_says_how_it_ended_and_owes_its_interrupted_work(handler, reviewed_run, clock):
    run_id, a = reviewed_run.run_id, reviewed_run.assignments
    a["W10"] = assignment_in(handler, run_id, "W10", "W10", "in_task", conversation_id="t_4")
    handler.log_message(run_id, "t_4", "Speaker", {"text": "still here"}, worker_id="W10",
                        assignment_id=a["W10"], client_msg_id="m1")
    clock.now = T0 + 5 * HOUR  # the runner died; the next start notices an hour later

    handler.log_interrupted_run(run_id, noticed_by="webapp")

    [run] = as_json(handler.list_runs())["items"]
    assert (run["status"], run["end_time"]) == ("interrupted", T0 + 5 * HOUR)
    assert run["interruption"] == {"last_activity": T0 + 4 * HOUR - 1, "noticed_at": T0 + 5 * HOUR,
                                   "noticed_by": "webapp", "interrupted": 1, "expired": 2}
    assert {key: run[key] for key in ("completed", "failed", "live", "owed_cents")} == {
        "completed": 6,  # W10's interrupted task too, as a partner's disconnect is
        "failed": 4,     # W6 and W7, let go before their task, as well as W5 and W8
        "live": 0,
        "owed_cents": 4 * 50 + 5 + 25,  # W10's reward is owed until someone rejects the work
    }
    summary = as_json(handler.run_summary(run_id))
    assert (summary["unreviewed"], summary["assignments_by_status"]["interrupted"]) == (4, 1)
    assert summary["interruption"] == run["interruption"]
    assert "t_4" in [c["conversation_id"] for c in handler.list_conversations(run_id, unreviewed_only=True)["items"]]


def test_payments_for_a_run_add_up_as_computed_by_hand(handler, reviewed_run):
    a = reviewed_run.assignments

    payments = as_json(handler.payments_for_run(reviewed_run.run_id))

    assert payments == {
        "currency": "USD", "reward_cents": 50,
        "base_paid_cents": 50,           # W1 approved
        "base_owed_cents": 150,          # W3 completed, W4 submitted, W9 partner_disconnect
        "bonus_awarded_cents": 130,      # 100 (W1) + 5 (W2) + 25 (W3)
        "bonus_paid_cents": 100,
        "bonus_unpaid_cents": 30,
        "unpaid_bonuses": [
            {"assignment_id": a["W2"], "worker_id": "W2", "amount_cents": 5, "reason": "effort",
             "status": "rejected"},
            {"assignment_id": a["W3"], "worker_id": "W3", "amount_cents": 25,
             "reason": "long answers", "status": "completed"},
        ],
        "unpaid_bonuses_truncated": False,
    }


def test_the_unpaid_bonus_list_stops_at_its_cap_and_says_so_while_the_sums_count_them_all(
    handler, monkeypatch
):
    monkeypatch.setattr(dashboard_module, "UNPAID_BONUS_LIST_CAP", 2)
    run_id = handler.log_new_run(3, "qa", provider="mturk", reward="0.10")
    for n in range(3):
        assignment_id = assignment_in(handler, run_id, f"W{n}", n, "completed")
        handler.log_award_amount(f"W{n}", assignment_id, "0.20", "thanks")

    payments = handler.payments_for_run(run_id)

    assert [bonus["worker_id"] for bonus in payments["unpaid_bonuses"]] == ["W0", "W1"]
    assert payments["unpaid_bonuses_truncated"] is True
    assert payments["bonus_unpaid_cents"] == 60


def test_run_summary_counts_assignments_and_hits_by_status_and_the_approval_rate(handler, reviewed_run):
    summary = as_json(handler.run_summary(reviewed_run.run_id))

    [listed] = handler.list_runs()["items"]
    assert {key: summary[key] for key in listed} == listed
    assert summary["assignments_by_status"] == {
        "approved": 1, "rejected": 1, "completed": 1, "submitted": 1, "partner_disconnect": 1,
        "disconnect": 1, "returned": 1, "onboarding": 1, "waiting": 1,
    }
    assert summary["hits_by_status"] == {"Assignable": 8, "Reviewable": 1}
    assert summary["approval_rate"] == 0.5
    assert summary["unreviewed"] == 3


def test_run_summary_charts_task_durations_and_outcomes_per_hour(handler, reviewed_run):
    summary = handler.run_summary(reviewed_run.run_id)

    # Finished tasks took 300 s (W9), 600 s (W1, W2) and 1200 s (W3, W4): ten bins of 90 s.
    bins = summary["durations"]["bins"]
    assert [(b["start"], b["end"]) for b in bins] == [(300.0 + 90 * i, 390.0 + 90 * i) for i in range(10)]
    assert [b["count"] for b in bins] == [1, 0, 0, 2, 0, 0, 0, 0, 0, 2]
    # Counted in the hour the task ended (or, with no task, the hour it ended anyway).
    assert summary["outcomes_over_time"] == [
        {"start": T0, "completed": 0, "failed": 1},
        {"start": T0 + HOUR, "completed": 2, "failed": 0},
        {"start": T0 + 2 * HOUR, "completed": 3, "failed": 1},
        {"start": T0 + 3 * HOUR, "completed": 0, "failed": 0},
    ]


def test_durations_all_alike_make_one_bin(handler, clock):
    run_id = handler.log_new_run(2, "qa", provider="local")
    first = assignment_in(handler, run_id, "W1", 1, "in_task", conversation_id="t_1")
    second = assignment_in(handler, run_id, "W2", 2, "in_task", conversation_id="t_1")
    clock.now += 42
    handler.log_complete_assignment("W1", first)
    handler.log_complete_assignment("W2", second)

    assert handler.run_summary(run_id)["durations"] == {"bins": [{"start": 42.0, "end": 42.0, "count": 2}]}


def test_outcomes_of_a_long_run_widen_the_hours_to_keep_at_most_48_buckets(handler, clock):
    run_id = handler.log_new_run(1, "qa", provider="local")
    clock.now = T0 + 48 * HOUR  # exactly where the 17th bucket starts
    handler.log_return_assignment("W1", accept(handler, run_id, "W1", 1))
    clock.now = T0 + 100 * HOUR
    handler.log_end_run(run_id)
    clock.now = T0 + 500 * HOUR  # an ended run's chart stops at its end, not now

    buckets = handler.run_summary(run_id)["outcomes_over_time"]

    assert len(buckets) == 34  # 100 hours in buckets of 3 hours
    assert [b["start"] for b in buckets] == [T0 + 3 * HOUR * i for i in range(34)]
    assert [n for n, b in enumerate(buckets) if b["failed"]] == [16]  # a bucket holds its start


def test_runs_are_listed_newest_first_and_filtered_by_task_provider_status_and_sandbox(handler, clock):
    live = handler.log_new_run(1, "qa", "live", provider="mturk")
    clock.now += 10
    sandbox = handler.log_new_run(1, "qa", "sandbox", provider="mturk", is_sandbox=True)
    clock.now += 10
    local = handler.log_new_run(1, "dealnodeal", "local", provider="local")
    handler.log_end_run(local)
    clock.now += 10
    test = handler.log_new_run(1, "qa", "test", provider="local", is_test=True)

    def ids(**filters: Any) -> list[str]:
        return [run["run_id"] for run in handler.list_runs(**filters)["items"]]

    assert ids() == [local, sandbox, live]
    assert ids(include_tests=True) == [test, local, sandbox, live]
    assert ids(task="qa") == [sandbox, live]
    assert ids(provider="local", include_tests=True) == [test, local]
    assert ids(status="completed") == [local]
    assert ids(status="running", include_tests=True) == [test, sandbox, live]
    assert ids(is_sandbox=True) == [sandbox]
    assert ids(is_sandbox=False) == [local, live]
    assert ids(task="qa", provider="mturk", is_sandbox=False) == [live]
    assert ids(task="no-such-task") == []
    assert handler.list_tasks_with_runs() == ["dealnodeal", "qa"]


def test_walking_the_runs_pages_gives_each_run_once_newest_first_ties_broken_by_run_id(handler, clock):
    for n in range(23):
        clock.now = T0 + n // 3  # three runs launched in each second
        handler.log_new_run(1, "qa", f"run_{(n * 7) % 23:02d}", provider="local")
    every_run = handler.list_runs(limit=500)["items"]
    expected = sorted(every_run, key=lambda run: (-run["launch_time"], run["run_id"]))
    assert every_run == expected

    pages = walk(lambda after: handler.list_runs(after=after, limit=5))

    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert [run for page in pages for run in page] == expected
    assert walk(lambda after: handler.list_runs(after=after, limit=23)) == [expected]


def test_a_page_size_below_one_is_refused_and_one_above_the_cap_is_cut(handler, monkeypatch):
    for n in range(3):
        handler.log_new_run(1, "qa", f"run_{n}", provider="local")
    for limit in (0, -1, True):
        with pytest.raises(InvalidValue, match="at least one item"):
            handler.list_runs(limit=limit)
    monkeypatch.setattr(dashboard_module, "MAX_PAGE", 2)

    page = handler.list_runs(limit=1000)

    assert len(page["items"]) == 2 and page["next"] is not None


def b64(text: str | bytes) -> str:
    return base64.urlsafe_b64encode(text.encode() if isinstance(text, str) else text).decode()


BAD_CURSORS = {
    "empty": "",
    "not base64": "%%% not a cursor %%%",
    "base64 of nonsense": b64(b"\xff\xfe nonsense"),
    "JSON but not a list": b64('{"launch_time": 1.0}'),
    "a list too short": b64('["runs"]'),
    "the wrong types": b64('["runs", "yesterday", 7]'),
    "not a number": b64('["runs", NaN, "r"]'),
    "a list nobody has": b64('["hits", 12]'),
}


@pytest.mark.parametrize("bad", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_a_cursor_that_no_list_gave_out_is_refused_with_a_sentence(handler, bad):
    run_id = handler.log_new_run(1, "qa", provider="local")
    assignment_in(handler, run_id, "W1", 1, "completed")
    for read in (
        lambda: handler.list_runs(after=bad),
        lambda: handler.list_conversations(run_id, after=bad),
        lambda: handler.worker_summary("W1", after=bad),
    ):
        with pytest.raises(InvalidValue, match="is not a page cursor of this list; start again"):
            read()


def test_a_cursor_of_one_list_is_refused_by_another(handler):
    for n in range(3):
        run_id = handler.log_new_run(1, "qa", f"run_{n}", provider="local")
        assignment_in(handler, run_id, "W1", n, "completed")
    bot_conversations(handler, run_id, ["t_a", "t_b"])
    runs_cursor = handler.list_runs(limit=1)["next"]
    conversations_cursor = handler.list_conversations(run_id, limit=1)["next"]
    worker_cursor = handler.worker_summary("W1", limit=1)["next"]

    for read in (
        lambda: handler.list_conversations(run_id, after=runs_cursor),
        lambda: handler.worker_summary("W1", after=runs_cursor),
        lambda: handler.list_runs(after=conversations_cursor),
        lambda: handler.list_runs(after=worker_cursor),
        lambda: handler.list_conversations(run_id, after=worker_cursor),
    ):
        with pytest.raises(InvalidValue, match="is not a page cursor of this list"):
            read()


def test_list_tasks_with_runs_names_each_task_once(handler):
    for task in ("qa", "dealnodeal", "qa", "model_evaluator"):
        handler.log_new_run(1, task, provider="local")
    handler.log_new_run(1, "tested_only", provider="local", is_test=True)

    assert handler.list_tasks_with_runs() == ["dealnodeal", "model_evaluator", "qa", "tested_only"]


# Conversations ---------------------------------------------------------------------------------

def test_a_runs_conversations_come_in_the_order_they_began_with_workers_and_review_state(
    handler, reviewed_run
):
    a = reviewed_run.assignments

    page = as_json(handler.list_conversations(reviewed_run.run_id))

    assert page["next"] is None
    assert page["items"] == [
        {"conversation_id": "t_1", "started": T0 + HOUR, "ended": T0 + HOUR + 600, "message_count": 2,
         "workers": [
             {"worker_id": "W1", "assignment_id": a["W1"], "agent_id": "Asker", "status": "approved"},
             {"worker_id": "W2", "assignment_id": a["W2"], "agent_id": "Answerer", "status": "rejected"},
         ], "unreviewed": False},
        {"conversation_id": "t_2", "started": T0 + 2 * HOUR, "ended": None, "message_count": 2,
         "workers": [
             {"worker_id": "W3", "assignment_id": a["W3"], "agent_id": "Asker", "status": "completed"},
             {"worker_id": "W4", "assignment_id": a["W4"], "agent_id": "Answerer", "status": "submitted"},
         ], "unreviewed": True},
        {"conversation_id": "t_3", "started": T0 + 2 * HOUR + 100, "ended": None, "message_count": 2,
         "workers": [
             {"worker_id": "W5", "assignment_id": a["W5"], "agent_id": "Asker", "status": "disconnect"},
             {"worker_id": "W9", "assignment_id": a["W9"], "agent_id": "Answerer",
              "status": "partner_disconnect"},
         ], "unreviewed": True},
    ]


def test_unreviewed_only_pages_through_just_the_conversations_with_work_to_review(handler, reviewed_run):
    run_id = reviewed_run.run_id

    pages = walk(lambda after: handler.list_conversations(run_id, after=after, limit=1, unreviewed_only=True))

    assert [[c["conversation_id"] for c in page] for page in pages] == [["t_2"], ["t_3"]]
    assert all(c["unreviewed"] for page in pages for c in page)


def test_next_unreviewed_conversation_moves_forward_and_wraps_round_to_the_start(handler, reviewed_run):
    run_id, a = reviewed_run.run_id, reviewed_run.assignments
    following = {after: handler.next_unreviewed_conversation(run_id, after)
                 for after in (None, "t_1", "t_2", "t_3", "t_unknown", f"o_{a['W6']}")}
    assert following == {None: "t_2", "t_1": "t_2", "t_2": "t_3", "t_3": "t_2",
                         "t_unknown": "t_2", f"o_{a['W6']}": "t_2"}

    handler.log_approve_assignment(a["W3"])
    handler.log_reject_assignment(a["W4"], "Too short.")
    assert handler.next_unreviewed_conversation(run_id, "t_3") == "t_3"  # the last one left

    handler.log_approve_assignment(a["W9"])
    assert handler.next_unreviewed_conversation(run_id, "t_3") is None
    assert handler.next_unreviewed_conversation(run_id) is None


def test_three_thousand_conversations_walk_in_thirty_pages_of_a_hundred_in_the_order_they_began(
    handler, store_url
):
    bulk = bulk_writer(store_url)
    run_id = bulk.log_new_run(3000, "qa", provider="mturk")
    task_ids = [f"t_{n}" for n in range(3000)]  # unpadded: their names sort in another order
    bot_conversations(bulk, run_id, (
        conversation_id for n, task_id in enumerate(task_ids)
        for conversation_id in ((f"o_{n}", task_id) if n % 10 == 0 else (task_id,))
    ))
    for n in range(0, 3000, 100):
        assignment_in(bulk, run_id, f"W{n}", n, "completed", conversation_id=f"t_{n}")

    pages = walk(lambda after: handler.list_conversations(run_id, after=after, limit=100))

    assert len(pages) == 30 and {len(page) for page in pages} == {100}
    walked = [c["conversation_id"] for page in pages for c in page]
    assert walked == task_ids != sorted(task_ids)
    assert all(c["message_count"] == 1 for page in pages for c in page)
    reviewable = walk(lambda after: handler.list_conversations(
        run_id, after=after, limit=7, unreviewed_only=True))
    assert [c["conversation_id"] for page in reviewable for c in page] == task_ids[::100]
    assert [len(page) for page in reviewable] == [7, 7, 7, 7, 2]


@pytest.mark.parametrize("unreviewed_only", [False, True], ids=["all", "unreviewed_only"])
def test_a_conversations_page_reads_only_that_page_in_a_fixed_few_statements(
    handler, store_url, unreviewed_only
):
    bulk = bulk_writer(store_url)
    run_id = bulk.log_new_run(300, "qa", provider="mturk")
    bot_conversations(bulk, run_id, (f"t_{n}" for n in range(300)))
    for n in range(0, 300, 3):
        assignment_in(bulk, run_id, f"W{n}", n, "submitted", conversation_id=f"t_{n}")
    second_page = handler.list_conversations(run_id, limit=30, unreviewed_only=unreviewed_only)["next"]

    with statements_on(handler.engine) as sent:
        page = handler.list_conversations(run_id, after=second_page, limit=30,
                                          unreviewed_only=unreviewed_only)

    page_ids = [c["conversation_id"] for c in page["items"]]
    assert len(page_ids) == 30 and page["next"] is not None
    assert len(sent) <= 5, [sql for sql, _ in sent]
    for sql, values in selects(sent):
        if not re.search(r"\b(conversations|pairings|assignments)\b", sql):
            continue
        # The page, plus one to see a next; or the unreviewed filter's bounded probe window.
        limited = re.search(r"\bLIMIT\b", sql) and (
            31 in values or dashboard_module.UNREVIEWED_PROBE - 1 in values)
        only_the_page = set(page_ids) <= set(values) and len(values) <= len(page_ids) + 3
        assert limited or only_the_page, sql


# Workers ----------------------------------------------------------------------------------------

def test_a_workers_page_pages_their_history_newest_first_with_counts_blocks_time_and_earnings(
    handler, clock
):
    live = handler.log_new_run(5, "qa", provider="mturk", reward="0.50")
    sandbox = handler.log_new_run(5, "qa", provider="mturk", is_sandbox=True, reward="0.20")
    story = [(live, "approved"), (live, "rejected"), (sandbox, "approved"), (live, "completed"),
             (live, "returned"), (live, "disconnect"), (live, "in_task")]
    assignments = []
    for n, (run_id, status) in enumerate(story):
        clock.now = T0 + 60 * n
        assignments.append(assignment_in(handler, run_id, "W1", n, status))
    handler.log_award_amount("W1", assignments[0], "1.00", "great")
    handler.log_bonus_paid("W1", assignments[0])
    handler.log_award_amount("W1", assignments[3], "0.30", "not paid yet")
    handler.ensure_qualification("good_asker", False)
    handler.grant_qualification("W1", "good_asker", False, value=5)
    handler.ensure_qualification("qa_blocked", False)
    handler.log_block("W1", "soft", False, reason="rushed", run_id=live, qualification_name="qa_blocked")
    clock.now += 1
    handler.log_block("W1", "hard", False, reason="spam")
    clock.now += 1
    handler.log_unblock("W1", "hard", False)
    handler.add_working_time("W1", 120.0)
    handler.add_working_time("W1", 300.0, day="2024-01-01")

    def history_page(after: str | None) -> dict[str, Any]:
        summary = handler.worker_summary("W1", after=after, limit=3)
        return {"items": summary["assignments"], "next": summary["next"]}

    pages = walk(history_page)
    summary = as_json(handler.worker_summary("W1", limit=3))

    assert [len(page) for page in pages] == [3, 3, 1]
    history = [item for page in pages for item in page]
    assert [item["assignment_id"] for item in history] == assignments[::-1]
    assert history[-1] == {
        "run_id": live, "taskname": "qa", "provider": "mturk", "is_sandbox": False, "currency": "USD", "assignment_id": assignments[0],
        "conversation_id": "t_0", "status": "approved", "accepted": T0,
        "bonus_amount_cents": 100, "bonus_paid": True,
    }
    assert summary["assignments"] == history[:3]
    assert {key: summary[key] for key in ("worker_id", "accepted", "approved", "rejected", "first_seen")} == {
        "worker_id": "W1", "accepted": 7, "approved": 2, "rejected": 1, "first_seen": T0}
    assert summary["counts_by_status"] == {"approved": 2, "rejected": 1, "completed": 1, "returned": 1,
                                           "disconnect": 1, "in_task": 1}
    assert summary["approval_rate"] == 2 / 3
    assert [(q["name"], q["value"], q["is_sandbox"]) for q in summary["qualifications"]] == [
        ("good_asker", 5, False)]
    assert [{key: b[key] for key in ("kind", "reason", "run_id", "revoked", "qualification")}
            for b in summary["blocks"]] == [
        {"kind": "soft", "reason": "rushed", "run_id": live, "revoked": None, "qualification": "qa_blocked"},
        {"kind": "hard", "reason": "spam", "run_id": None, "revoked": clock.now, "qualification": None},
    ]
    assert (summary["working_time_today"], summary["working_time_total"]) == (120.0, 420.0)
    assert summary["earned"] == {"USD": 50 + 100}  # the live approval and the paid bonus
    assert summary["earned_sandbox"] == {"USD": 20}  # sandbox money is not real, so kept apart


def test_a_run_counts_its_conversations_started_apart_from_those_done(handler):
    run_id = handler.log_new_run(3, "qa", provider="local")
    for n in range(3):
        assignment_in(handler, run_id, f"W{n}", n, "in_task", conversation_id=f"t_{n}")

    def counts() -> list[tuple[int, int]]:
        [listed] = handler.list_runs()["items"]
        summary = handler.run_summary(run_id)
        [live] = handler.live_runs_activity()
        return [(r["conversations"], r["conversations_done"]) for r in (listed, summary, live)]

    assert counts() == [(3, 0)] * 3  # three begun, none done: not "3 / 3"
    handler.log_complete_assignment("W1", handler.get_assignments_for_run(run_id)[1]["assignment_id"])
    handler.log_end_conversation(run_id, "t_1")
    assert counts() == [(3, 1)] * 3


# The live monitor ------------------------------------------------------------------------------

def test_live_activity_counts_each_running_runs_workers_in_every_live_state(handler, clock):
    busy = handler.log_new_run(10, "qa", "busy", provider="mturk")
    states = ["accepted", "onboarding", "onboarding", "waiting", "in_task", "in_task",
              "completed", "approved", "returned"]
    for n, status in enumerate(states):
        assignment_in(handler, busy, f"W{n}", n, status, conversation_id="t_1")
    clock.now += 10
    idle = handler.log_new_run(2, "dealnodeal", "idle", provider="local")
    ended = handler.log_new_run(2, "qa", "ended", provider="local")
    assignment_in(handler, ended, "W0", "e", "waiting")
    handler.log_end_run(ended, "stopped")

    with statements_on(handler.engine) as sent:
        activity = as_json(handler.live_runs_activity())

    assert activity == [
        {"run_id": idle, "taskname": "dealnodeal", "provider": "local", "is_sandbox": False,
         "target": 2, "accepted": 0, "onboarding": 0, "waiting": 0, "in_task": 0, "completed": 0,
         "conversations": 0, "conversations_done": 0},
        {"run_id": busy, "taskname": "qa", "provider": "mturk", "is_sandbox": False,
         "target": 10, "accepted": 1, "onboarding": 2, "waiting": 1, "in_task": 2, "completed": 2,
         "conversations": 1, "conversations_done": 0},
    ]
    assert len(selects(sent)) == 2  # the runs, and their kept totals

