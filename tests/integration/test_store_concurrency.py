"""Many writers on one store: what the runner, the webapp and a notebook do at the same time.

Three OS processes, each with its own engine and four threads, write and read messages in one
run for PARLEY_SOAK_SECONDS seconds (60 by default, the requirement; the variable only lets a
developer shorten it locally). Every thread owns one accepted, in-task assignment; every tenth
write re-sends an earlier client message id, as a client does after a reconnect.

It proves that under that load the store raises nothing at all (in particular no "database is
locked" on SQLite), stores every new message exactly once, answers every re-send created=False
without adding a row, and lets each thread read back everything it wrote.
"""
from __future__ import annotations

import os
from collections import Counter

import pytest

from tests.support.builders import accept
from tests.support.store_load import Slot, Tally, client_msg_id, run_processes, soak_process

SOAK_SECONDS = float(os.environ.get("PARLEY_SOAK_SECONDS", "60"))
PROCESSES = 3
THREADS_PER_PROCESS = 4
CONVERSATIONS = ("c_0", "c_1")
"""Threads of every process share these, so writers from all processes meet in each one."""


def slots_for_every_thread(handler, run_id: str) -> list[list[Slot]]:
    """One worker with an accepted assignment, paired into a conversation, per thread."""
    plan = []
    for process in range(PROCESSES):
        slots = []
        for thread in range(THREADS_PER_PROCESS):
            worker_id = f"W_p{process}_t{thread}"
            assignment_id = accept(handler, run_id, worker_id, f"p{process}t{thread}")
            conversation_id = CONVERSATIONS[thread % len(CONVERSATIONS)]
            agent_id = f"agent_p{process}_t{thread}"
            handler.log_waiting(worker_id, assignment_id)
            handler.log_start_task(worker_id, assignment_id, conversation_id, agent_id=agent_id)
            slots.append(Slot(worker_id, assignment_id, agent_id, conversation_id))
        plan.append(slots)
    return plan


@pytest.mark.slow
def test_three_processes_of_four_threads_write_every_message_exactly_once_without_errors(
    handler, store_url
):
    run_id = handler.log_new_run(len(CONVERSATIONS), "soak", provider="local")
    plan = slots_for_every_thread(handler, run_id)
    assert {p["assignment_id"]: p["status"] for p in handler.get_pairings_for_run(run_id)} == {
        slot.assignment_id: "in_task" for slots in plan for slot in slots
    }

    reports = run_processes(
        soak_process,
        [(store_url, run_id, slots, SOAK_SECONDS) for slots in plan],
        timeout=SOAK_SECONDS + 300,
    )

    tallies: list[Tally] = [tally for report in reports for tally in report["tallies"]]
    errors = {t.assignment_id: t.errors[:3] + [f"... {len(t.errors)} in all"]
              for t in tallies if t.errors}
    assert errors == {}, "every thread runs without a single error"
    assert len({report["pid"] for report in reports}) == PROCESSES
    for process, report in enumerate(reports):
        assert sum(t.unique_writes for t in report["tallies"]) > 0, f"process {process} wrote"
    for tally in tallies:
        assert tally.unique_writes > 0 and tally.resends > 0 and tally.reads > 0, tally

    stored = [m for c in CONVERSATIONS for m in handler.get_messages(run_id, c)]
    written = sum(tally.unique_writes for tally in tallies)
    assert len(stored) == written, "the store holds exactly the messages written once"

    by_client_id = Counter((m["assignment_id"], m["message_id"]) for m in stored)
    assert [key for key, n in by_client_id.items() if n > 1] == [], "no client id stored twice"
    for tally in tallies:
        assert sorted(
            m["message_id"] for m in stored if m["assignment_id"] == tally.assignment_id
        ) == sorted(client_msg_id(tally.assignment_id, seq)
                    for seq in range(1, tally.unique_writes + 1))

    counts = {row["conversation_id"]: row["message_count"]
              for row in handler.get_conversations_for_run(run_id)}
    assert sum(counts.values()) == written
    print(
        f"\nsoak: {SOAK_SECONDS:.0f} s, {PROCESSES} processes x {THREADS_PER_PROCESS} threads: "
        f"{written} messages stored once, {sum(t.resends for t in tallies)} re-sends refused, "
        f"{sum(t.reads for t in tallies)} reads, per conversation {counts}"
    )
