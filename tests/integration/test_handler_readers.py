"""The readers: rows in ParlAI's shape, filters that keep sandbox, live, local and test
runs apart, conversation views built from the messages table."""
import pytest

from tests.support.builders import accept, completed_conversation


@pytest.fixture
def three_runs(handler):
    live = completed_conversation(handler, run_id=handler.log_new_run(2, "qa", provider="mturk"))
    sandbox = completed_conversation(
        handler, run_id=handler.log_new_run(2, "qa", provider="mturk", is_sandbox=True),
        workers=("W1", "W3"))
    local = handler.log_new_run(1, "dealnodeal", provider="local", is_test=True)
    return live, sandbox, local


def test_all_run_data_lists_every_run_newest_first_and_filters_on_request(handler, three_runs):
    live, sandbox, local = three_runs
    assert [r["run_id"] for r in handler.get_all_run_data()] == [local, sandbox.run_id, live.run_id]
    assert [r["run_id"] for r in handler.get_all_run_data(is_sandbox=True)] == [sandbox.run_id]
    assert [r["run_id"] for r in handler.get_all_run_data(provider="mturk", is_sandbox=False)] == [live.run_id]
    assert local not in [r["run_id"] for r in handler.get_all_run_data(include_tests=False)]
    assert [r["run_id"] for r in handler.get_all_run_data(1, 1)] == [sandbox.run_id]


def test_run_rows_carry_parlai_counters_derived_from_the_rows(handler, three_runs):
    live, _, local = three_runs
    run = handler.get_run_data(live.run_id)
    assert list(run.keys())[:5] == ["run_id", "created", "maximum", "completed", "failed"]
    assert (run["created"], run["maximum"], run["completed"], run["failed"]) == (2, 2, 2, 0)
    assert handler.get_run_data(local)["created"] == 0
    assert handler.get_run_data("missing") is None


def test_hit_and_assignment_readers(handler, three_runs):
    live, _, _ = three_runs
    hits = handler.get_hits_for_run(live.run_id)
    assert sorted(h["hit_id"] for h in hits) == sorted(live.hits)
    assert handler.get_hit_data(live.hits[0])["run_id"] == live.run_id
    assert handler.get_hit_data("missing") is None
    assignments = handler.get_assignments_for_run(live.run_id)
    assert [a["assignment_id"] for a in assignments] == live.assignments
    assert list(assignments[0].keys())[:5] == ["assignment_id", "status", "approve_time", "worker_id", "hit_id"]
    assert handler.get_assignment_data("missing") is None
    # W1 worked in both the live and the sandbox run.
    assert len(handler.get_all_assignments_for_worker("W1")) == 2


def test_worker_data_counts_outcomes_across_runs(handler, three_runs):
    live, _, _ = three_runs
    handler.log_approve_assignment(live.assignments[0])
    gone = accept(handler, live.run_id, "W1", "late")
    handler.log_disconnect_assignment("W1", gone)
    worker = handler.get_worker_data("W1")
    assert list(worker.keys())[:7] == [
        "worker_id", "accepted", "disconnected", "expired", "completed", "approved", "rejected"]
    assert (worker["accepted"], worker["disconnected"], worker["completed"], worker["approved"]) == (3, 1, 2, 1)
    assert handler.get_worker_data("nobody") is None


def test_pairing_readers_agree_with_each_other(handler, three_runs):
    live, sandbox, _ = three_runs
    by_run = handler.get_pairings_for_run(live.run_id)
    assert [p["worker_id"] for p in by_run] == ["W1", "W2"]
    assert list(by_run[0].keys())[:6] == [
        "status", "onboarding_start", "onboarding_end", "task_start", "task_end", "conversation_id"]
    assert handler.get_pairings_for_conversation(live.run_id, "t_1") == by_run
    assert handler.get_pairings_for_conversation(live.run_id, "t_9") == []
    assert handler.get_pairings_for_assignment(live.assignments[1]) == [by_run[1]]
    assert handler.get_worker_assignment_pairing("W2", live.assignments[1]) == by_run[1]
    assert handler.get_worker_assignment_pairing("W1", live.assignments[1]) is None
    for_w1 = handler.get_all_pairings_for_worker("W1")
    assert {p["run_id"] for p in for_w1} == {live.run_id, sandbox.run_id}


def test_conversations_of_a_run_page_by_keyset(handler):
    built = completed_conversation(handler, conversation_id="t_00")
    for n in range(1, 7):
        completed_conversation(handler, run_id=built.run_id, conversation_id=f"t_{n:02d}",
                               workers=(f"X{n}", f"Y{n}"))
    pages, after = [], None
    while page := handler.get_conversations_for_run(built.run_id, after=after, limit=3):
        pages.append([c["conversation_id"] for c in page])
        after = page[-1]["conversation_id"]
    assert pages == [["t_00", "t_01", "t_02"], ["t_03", "t_04", "t_05"], ["t_06"]]
    assert handler.get_conversations_for_run(built.run_id, limit=1)[0]["message_count"] == 5


def test_conversation_data_is_one_workers_view(handler, three_runs):
    live, _, _ = three_runs
    view = handler.get_conversation_data(live.run_id, "t_1", "W2", False)
    data = view["data"]
    assert data["agent_id"] == "Answerer" and data["assignment_id"] == live.assignments[1]
    assert data["task_data"] == {"paragraph": "Paris is in France."}
    assert data["custom_data"] == {"topic": "geography"} and data["rating"] == 4
    assert [m["text"] for m in data["messages"]][:2] == ["Read the paragraph.", "Asker says 0"]


def test_conversation_readers_answer_none_when_nothing_is_stored_or_the_kind_differs(handler, three_runs):
    live, sandbox, _ = three_runs
    assert handler.get_conversation_data(live.run_id, "t_1", "W1", True) is None  # not sandbox
    assert handler.get_conversation_data(sandbox.run_id, "t_1", "W1", False) is None
    assert handler.get_conversation_data(sandbox.run_id, "t_1", "W1", True) is not None
    assert handler.get_conversation_data(live.run_id, "t_1", "W3", False) is None
    assert handler.get_conversation_data(live.run_id, "t_404", "W1", False) is None
    assert handler.get_conversation_data("no-run", "t_1", "W1", False) is None
    assert handler.get_full_conversation_data(live.run_id, "t_404", False) is None
    assert handler.get_full_conversation_data(live.run_id, "t_1", True) is None
    assert handler.get_messages(live.run_id, "t_404") == []


def test_full_conversation_data_has_messages_workers_and_custom_data(handler, three_runs):
    live, _, _ = three_runs
    full = handler.get_full_conversation_data(live.run_id, "t_1", False)
    assert {"conversation_id", "run_id", "messages", "workers", "custom_data"} <= set(full)
    assert len(full["messages"]) == 5 and full["messages"][-1]["episode_done"] is True
    assert [(w["worker_id"], w["agent_id"], w["status"]) for w in full["workers"]] == [
        ("W1", "Asker", "completed"), ("W2", "Answerer", "completed")]
    assert full["ended"] is not None and full["taskname"] == "qa"


def test_iterating_full_conversations_reads_every_one_in_batches(handler):
    built = completed_conversation(handler, conversation_id="c0")
    for n in range(1, 5):
        completed_conversation(handler, run_id=built.run_id, conversation_id=f"c{n}",
                               workers=(f"X{n}", f"Y{n}"))
    seen = list(handler.iter_full_conversations(built.run_id, batch=2))
    assert [c["conversation_id"] for c in seen] == ["c0", "c1", "c2", "c3", "c4"]
    assert all(len(c["messages"]) == 5 and len(c["workers"]) == 2 for c in seen)
    assert list(handler.iter_full_conversations("no-run")) == []
