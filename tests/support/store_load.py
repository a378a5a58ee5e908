"""What the multi-process store tests run in their child processes, and how they start them.

Children are started with multiprocessing's 'spawn' context, so each one imports Parley
afresh and opens its own engine, exactly like a second runner, the webapp or a notebook.
Everything a child runs lives here, in an importable module, because 'spawn' finds the
function to call by its module and name.
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import random
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alembic.runtime.migration import MigrationContext

from datastore import MTurkDataHandler, open_store
from datastore.engine import close_stores

START_TIMEOUT = 120.0
"""Seconds a child may take to import Parley and open the store before the start."""


def run_processes(
    target: Callable[..., Any], arguments: list[tuple[Any, ...]], timeout: float
) -> list[Any]:
    """Run `target(start, *args)` in one new 'spawn' process per tuple in `arguments` and
    return what each call returned, in order.

    `start` is a barrier shared by all the children: a target waits on it at the moment
    it wants every process to go at once. If any child raises, dies, or takes longer than
    `timeout` seconds, this raises AssertionError with the child's traceback or exit code.
    """
    ctx = multiprocessing.get_context("spawn")
    reports = ctx.Queue()
    start = ctx.Barrier(len(arguments))
    processes = [
        ctx.Process(target=_child, args=(index, target, args, start, reports), daemon=True)
        for index, args in enumerate(arguments)
    ]
    for process in processes:
        process.start()
    results: dict[int, Any] = {}
    failures: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while len(results) + len(failures) < len(processes):
            try:
                index, ok, payload = reports.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                silent = [i for i in range(len(processes)) if i not in results]
                codes = {i: processes[i].exitcode for i in silent}
                raise AssertionError(
                    f"processes {silent} did not report within {timeout:.0f} s "
                    f"(exit codes, None = still running: {codes})"
                ) from None
            if ok:
                results[index] = payload
            else:
                failures.append(f"process {index} failed:\n{payload}")
        for process in processes:
            process.join(timeout=30)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
    if failures:
        raise AssertionError("\n".join(failures))
    return [results[index] for index in range(len(processes))]


def _child(
    index: int,
    target: Callable[..., Any],
    args: tuple[Any, ...],
    start: Any,
    reports: Any,
) -> None:
    try:
        result = target(start, *args)
    except BaseException:  # everything goes back to the parent, which fails the test
        start.abort()  # so the others stop waiting for this one
        reports.put((index, False, traceback.format_exc()))
    else:
        reports.put((index, True, result))
    finally:
        close_stores()


# Opening a brand-new store from several processes at once --------------------------------

def open_store_at_once(start: Any, url: str) -> list[str]:
    """Wait for the other processes, then all open the store together; answer the
    schema revision(s) this process then finds in it."""
    start.wait(timeout=START_TIMEOUT)
    engine = open_store(url)
    with engine.connect() as conn:
        return list(MigrationContext.configure(conn).get_current_heads())


# The soak: threads writing and reading messages -----------------------------------------

@dataclass(frozen=True)
class Slot:
    """One writer thread's place in the run: its own worker and accepted, in-task assignment."""

    worker_id: str
    assignment_id: str
    agent_id: str
    conversation_id: str


@dataclass
class Tally:
    """What one writer thread did, sent back to the test."""

    assignment_id: str
    conversation_id: str
    unique_writes: int = 0
    """Messages this thread stored for the first time (log_message answered created=True)."""
    resends: int = 0
    """Earlier client message ids sent again, each answered created=False."""
    reads: int = 0
    errors: list[str] = field(default_factory=list)
    """Every exception, and every answer that was wrong; the test wants none."""


RESEND_EVERY = 10
"""Every 10th write re-sends an earlier client message id, as a client does after a reconnect."""
RUN_READ_EVERY = 5
FULL_READ_SECONDS = 2.0
"""How often (per thread) the whole conversation is read back and checked."""


def client_msg_id(assignment_id: str, seq: int) -> str:
    return f"{assignment_id}:{seq}"


def soak_process(
    start: Any, url: str, run_id: str, slots: list[Slot], seconds: float
) -> dict[str, Any]:
    """Open the store, wait for the other processes, then run one writer thread per slot
    for `seconds`; answer this process's id and every thread's Tally."""
    handler = MTurkDataHandler(db_url=url)
    tallies = [Tally(slot.assignment_id, slot.conversation_id) for slot in slots]
    start.wait(timeout=START_TIMEOUT)
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=write_and_read, args=(handler, run_id, slot, deadline, tally))
        for slot, tally in zip(slots, tallies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"pid": os.getpid(), "tallies": tallies}


def write_and_read(
    handler: MTurkDataHandler, run_id: str, slot: Slot, deadline: float, tally: Tally
) -> None:
    """Until `deadline`: store new messages, re-send an old one every RESEND_EVERY writes,
    read the run now and then and the whole conversation every FULL_READ_SECONDS.
    Any exception, or any answer that is not what the store promises, is an error."""
    stored: dict[str, int] = {}  # client message id -> the message's row id
    sent_in_order: list[str] = []
    rng = random.Random(slot.assignment_id)
    writes = 0
    next_full_read = time.monotonic() + FULL_READ_SECONDS
    while time.monotonic() < deadline:
        writes += 1
        try:
            if writes % RESEND_EVERY == 0 and sent_in_order:
                _resend(handler, run_id, slot, rng.choice(sent_in_order), stored)
                tally.resends += 1
            else:
                seq = tally.unique_writes + 1
                client_id = client_msg_id(slot.assignment_id, seq)
                logged = _send(handler, run_id, slot, seq)
                if not logged.created:
                    raise AssertionError(f"new message {client_id} was answered created=False")
                stored[client_id] = logged.id
                sent_in_order.append(client_id)
                tally.unique_writes += 1
            if writes % RUN_READ_EVERY == 0:
                _read_run(handler, run_id)
                tally.reads += 1
            if time.monotonic() >= next_full_read:
                _read_own_messages_back(handler, run_id, slot, tally.unique_writes)
                tally.reads += 1
                next_full_read = time.monotonic() + FULL_READ_SECONDS
        except Exception as exc:  # every failure is counted, and the loop goes on
            tally.errors.append(f"{type(exc).__name__}: {exc}"[:400])


def message_payload(slot: Slot, seq: int) -> dict[str, Any]:
    return {
        "id": slot.agent_id,
        "text": f"{slot.agent_id} dit nº{seq}: ça marche ✓ 🙂",
        "episode_done": False,
        "seq": seq,
    }


def _send(handler: MTurkDataHandler, run_id: str, slot: Slot, seq: int) -> Any:
    return handler.log_message(
        run_id,
        slot.conversation_id,
        slot.agent_id,
        message_payload(slot, seq),
        worker_id=slot.worker_id,
        assignment_id=slot.assignment_id,
        client_msg_id=client_msg_id(slot.assignment_id, seq),
        turn_index=seq,
    )


def _resend(
    handler: MTurkDataHandler, run_id: str, slot: Slot, client_id: str, stored: dict[str, int]
) -> None:
    seq = int(client_id.rsplit(":", 1)[1])
    logged = _send(handler, run_id, slot, seq)
    if logged.created or logged.id != stored[client_id]:
        raise AssertionError(
            f"re-sent {client_id} was answered {logged}, not created=False with id {stored[client_id]}"
        )


def _read_run(handler: MTurkDataHandler, run_id: str) -> None:
    if run_id not in {run["run_id"] for run in handler.get_all_run_data()}:
        raise AssertionError(f"get_all_run_data() lost run {run_id}")
    run = handler.get_run_data(run_id)
    if run is None or run["run_id"] != run_id:
        raise AssertionError(f"get_run_data({run_id!r}) answered {run!r}")


def _read_own_messages_back(
    handler: MTurkDataHandler, run_id: str, slot: Slot, unique_writes: int
) -> None:
    """Every message this thread stored is in the conversation, once, in the order sent."""
    conversation = handler.get_full_conversation_data(run_id, slot.conversation_id, False)
    if conversation is None:
        raise AssertionError(f"conversation {slot.conversation_id} is missing")
    own = [m["message_id"] for m in conversation["messages"]
           if m["assignment_id"] == slot.assignment_id]
    expected = [client_msg_id(slot.assignment_id, seq) for seq in range(1, unique_writes + 1)]
    if own != expected:
        raise AssertionError(
            f"{slot.assignment_id} reads back {len(own)} of its messages, expected "
            f"{len(expected)} (first difference at "
            f"{next((i for i, (a, b) in enumerate(zip(own, expected)) if a != b), min(len(own), len(expected)))})"
        )
