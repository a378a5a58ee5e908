"""bench/store.py and bench/bigstore.py stay runnable, and their checks keep meaning something:
the smoke run passes on this suite's store, and the checker catches a message stored twice,
lost, or never logged."""
from __future__ import annotations

from sqlalchemy import delete, insert, select

from bench import bigstore, report, store
from datastore import MTurkDataHandler
from datastore.models import Message


def test_smoke_writes_store_every_message_once_with_readers_running(store_url):
    result = store.measure_writes(store_url, threads=4, per_thread=10, readers=2)
    assert len(result.logged) == 40
    assert sum(len(v) for v in result.reader_latencies.values()) > 0
    assert store.check_writes(store_url, result) == []


def test_checker_finds_a_lost_message(store_url):
    result = store.measure_writes(store_url, threads=1, per_thread=5)
    assignment_id, cid = result.logged[2]
    engine = MTurkDataHandler(db_url=store_url).engine
    with engine.begin() as conn:
        conn.execute(delete(Message).where(Message.assignment_id == assignment_id,
                                           Message.client_msg_id == cid))
    problems = store.check_writes(store_url, result)
    assert problems and "1 logged messages are not in the store" in problems[0]


def test_checker_finds_a_message_never_logged(store_url):
    result = store.measure_writes(store_url, threads=2, per_thread=3)
    engine = MTurkDataHandler(db_url=store_url).engine
    with engine.begin() as conn:
        row = conn.execute(select(Message).where(Message.client_msg_id == result.logged[0][1])).one()
        copy = {**row._asdict(), "client_msg_id": "stray"}
        copy.pop("id")
        conn.execute(insert(Message), [copy])
    problems = store.check_writes(store_url, result)
    assert problems and "1 stored messages were never logged" in problems[0]


def test_checker_finds_a_message_stored_twice():
    logged = [("A1", "c1"), ("A1", "c2")]
    assert store.storage_problems(logged, logged) == []
    problems = store.storage_problems(logged, [("A1", "c1"), ("A1", "c2"), ("A1", "c2")])
    assert problems == ["1 messages are stored more than once (e.g. ('A1', 'c2'))"]
    assert store.storage_problems(logged + [("A1", "c1")], logged)[0].startswith("1 messages were reported")


def test_big_store_holds_the_generated_run_and_the_dashboard_reads_it(tmp_path):
    big = bigstore.cached_store(bigstore.SMOKE, directory=tmp_path)
    assert big.build_seconds > 0
    assert bigstore.describe(big.url) == {"assignments": 1000, "conversations": 500,
                                          "messages": 10000, "workers": 200}
    assert bigstore.cached_store(bigstore.SMOKE, directory=tmp_path).build_seconds == 0
    measured = store.measure_dashboard(big, repeats=1)
    assert measured["problems"] == []
    assert all(len(v) == 1 for v in measured["timings"].values())


def test_big_store_rows_pass_the_writers_own_checks(tmp_path):
    """Rows written in bulk must be ones the writers can carry on from: a generated
    submitted assignment can be approved, and its conversation shows both workers."""
    big = bigstore.cached_store(bigstore.SMOKE, directory=tmp_path)
    handler = MTurkDataHandler(db_url=big.url)
    submitted = next(a for a in handler.get_assignments_for_run(big.run_id) if a["status"] == "submitted")
    handler.log_approve_assignment(submitted["assignment_id"])
    assert handler.get_assignment_data(submitted["assignment_id"])["status"] == "approved"
    full = handler.get_full_conversation_data(big.run_id, "t_1", False)
    assert len(full["workers"]) == 2 and full["messages"][0]["id"] == "System"
    assert [m["turn_index"] for m in full["messages"]] == list(range(len(full["messages"])))


def test_store_bench_smoke_exits_zero(tmp_path, store_url, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(store, "cached_store", lambda sizes: bigstore.cached_store(sizes, directory=tmp_path))
    assert store.main(["--smoke", "--db", store_url]) == 0
    assert (tmp_path / "results" / "store-writes.json").exists()
