"""Workers' presence in the store: every runner process writes its workers' presence at its
heartbeat, and any other process reading the same store (SQLite or PostgreSQL, as the suite
runs) sees every runner's workers, which process serves them, who is stuck on their turn,
and, once a runner dies, that its workers are gone."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crowd.orphans import end_orphaned_runs
from datastore import MTurkDataHandler
from datastore.presence import Presence
from runner.cli import main as runner_main
from tests.faults.processes import PAIR_CHAT, Runner
from tests.support.live_runner import LiveRunner, Worker, fetch
from tests.support.runner_processes import local_runners

FAST_PRESENCE = ["--presence-seconds", "0.2"]
NEVER_STUCK = ["--stuck-seconds", "3600"]


def wait_for_presence(reader: MTurkDataHandler, check: Callable[[dict[str, list[dict[str, Any]]]], bool],
                      timeout: float = 30) -> dict[str, list[dict[str, Any]]]:
    """The presence rows by run id, read until `check` holds (or the test fails with the last read)."""
    deadline = time.monotonic() + timeout
    while True:
        by_run: dict[str, list[dict[str, Any]]] = {}
        for row in reader.read_presence():
            by_run.setdefault(row["run_id"], []).append(row)
        if check(by_run):
            return by_run
        if time.monotonic() > deadline:
            raise AssertionError(f"presence never became as expected; last read: {by_run}")
        time.sleep(0.1)


def states(rows: list[dict[str, Any]] | None) -> list[str]:
    return sorted(row["state"] for row in rows or [])


@pytest.fixture
def runners(store_url: str, tmp_path: Path) -> Iterator[Callable[..., Runner]]:
    """`runners(name, *flags)` starts `python -m runner run pair_chat --provider local` on the test's store."""
    with local_runners(store_url, tmp_path) as start:
        yield start


def open_page(runner: Runner, link: str) -> Worker:
    page = fetch(link)
    assert page.status == 200, page.html
    return Worker(runner.url, page.config)


def test_two_runner_processes_write_their_workers_presence_and_a_third_process_reads_both(store_url, runners):
    first = runners("first", *FAST_PRESENCE, *NEVER_STUCK)
    second = runners("second", *FAST_PRESENCE, *NEVER_STUCK)
    lone = open_page(first, first.links(2)[0])
    alice, bob = (open_page(second, link) for link in second.links(2))
    try:
        reader = MTurkDataHandler(db_url=store_url)
        seen = wait_for_presence(reader, lambda by_run: (
            states(by_run.get(first.run_id)) == [Presence.WAITING]
            and states(by_run.get(second.run_id)) == [Presence.IN_CONVERSATION] * 2))
        waiting, = seen[first.run_id]
        assert (waiting["assignment_id"], waiting["conversation_id"]) == (lone.config["assignment_id"], None)
        assert waiting["pid"] == first.proc.pid
        talking = seen[second.run_id]
        assert {row["pid"] for row in talking} == {second.proc.pid}
        assert {row["assignment_id"] for row in talking} == {alice.config["assignment_id"], bob.config["assignment_id"]}
        assert {row["agent_id"] for row in talking} == {"Alice", "Bob"}
        assert len({row["conversation_id"] for row in talking}) == 1
        assert all(row["host"] == waiting["host"] and row["seen_seconds"] < 30 for row in [*talking, waiting])
    finally:
        for worker in (lone, alice, bob):
            worker.close()


def test_the_workers_of_a_killed_runner_read_as_gone_while_another_runners_stay_present(store_url, runners):
    doomed = runners("doomed", *FAST_PRESENCE, *NEVER_STUCK)
    alive = runners("alive", *FAST_PRESENCE, *NEVER_STUCK)
    workers = [open_page(doomed, doomed.links(2)[0]), open_page(alive, alive.links(2)[0])]
    try:
        reader = MTurkDataHandler(db_url=store_url)
        wait_for_presence(reader, lambda by_run: states(by_run.get(doomed.run_id)) == [Presence.WAITING]
                          and states(by_run.get(alive.run_id)) == [Presence.WAITING])
        doomed.kill()
        seen = wait_for_presence(reader, lambda by_run: states(by_run.get(doomed.run_id)) == [Presence.GONE])
        assert states(seen[alive.run_id]) == [Presence.WAITING]
        assert seen[doomed.run_id][0]["seen_seconds"] > 0
        # The next process to start ends the dead runner's run, and its rows go with it.
        assert [ended.run_id for ended in end_orphaned_runs(reader, noticed_by="webapp")] == [doomed.run_id]
        assert reader.read_presence([doomed.run_id]) == []
        assert states(reader.read_presence([alive.run_id])) == [Presence.WAITING]
    finally:
        for worker in workers:
            worker.close()


@pytest.fixture
def live_pair(store_url: str) -> Iterator[tuple[LiveRunner, Worker, Worker]]:
    """A runner in this process whose pair_chat calls a worker stuck after 1 s on their turn."""
    runner = LiveRunner(store_url, "pair_chat", presence_seconds=0.1, stuck_seconds=1.0)
    alice, bob = runner.join("W1"), runner.join("W2")
    yield runner, alice, bob
    runner.stop()


def by_agent(rows: list[dict[str, Any]] | None) -> dict[str, str]:
    return {row["agent_id"]: row["state"] for row in rows or []}


def test_a_worker_silent_on_their_turn_past_the_stuck_time_is_stuck_until_they_send(store_url, live_pair):
    runner, alice, bob = live_pair
    reader = MTurkDataHandler(db_url=store_url)
    alice.wait_turn()
    seen = wait_for_presence(reader, lambda by_run: by_agent(by_run.get(runner.run_id)) == {
        "Alice": Presence.STUCK, "Bob": Presence.IN_CONVERSATION})
    stuck = next(row for row in seen[runner.run_id] if row["agent_id"] == "Alice")
    assert stuck["turn_seconds"] >= 1.0
    alice.say("sorry, I was away")
    # Now the world waits on Bob: Alice is no longer stuck, and Bob becomes stuck in his turn.
    wait_for_presence(reader, lambda by_run: by_agent(by_run.get(runner.run_id)) == {
        "Alice": Presence.IN_CONVERSATION, "Bob": Presence.IN_CONVERSATION})
    wait_for_presence(reader, lambda by_run: by_agent(by_run.get(runner.run_id)) == {
        "Alice": Presence.IN_CONVERSATION, "Bob": Presence.STUCK})


def test_a_closed_page_reads_disconnected_and_an_ended_run_leaves_no_presence(store_url, live_pair):
    runner, alice, bob = live_pair
    reader = MTurkDataHandler(db_url=store_url)
    wait_for_presence(reader, lambda by_run: len(by_run.get(runner.run_id, [])) == 2)
    bob.close()
    wait_for_presence(reader, lambda by_run: by_agent(by_run.get(runner.run_id)).get("Bob") == Presence.DISCONNECTED)
    runner.stop()
    assert reader.read_presence([runner.run_id]) == []


@pytest.mark.parametrize(("flags", "sentence"), [
    (["--presence-seconds", "0"], "--presence-seconds must be a number of seconds more than 0"),
    (["--presence-seconds", "inf"], "--presence-seconds must be a number of seconds more than 0"),
    (["--stuck-seconds", "-5"], "--stuck-seconds must be a number of seconds more than 0"),
    (["--stuck-seconds", "nan"], "--stuck-seconds must be a number of seconds more than 0"),
])
def test_bad_presence_flags_are_refused_with_a_sentence_and_nothing_runs(store_url, capsys, flags, sentence):
    assert runner_main(["run", PAIR_CHAT, "--db", store_url, *flags]) == 2
    assert sentence in capsys.readouterr().err
    assert MTurkDataHandler(db_url=store_url).get_all_run_data() == []
