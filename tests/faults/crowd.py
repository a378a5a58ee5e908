"""Simulated workers for the fault tests: many chat pages at once, who was paired with
whom, and what the runner acked to each page."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from datastore import MTurkDataHandler
from tests.support.live_runner import Worker, fetch

T = TypeVar("T")


def in_parallel(open_page: Callable[[T], Worker], items: Iterable[T], threads: int = 20) -> list[Worker]:
    """Open many chat pages at once, as a crowd arriving together does."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(open_page, items))


def open_link(base_url: str, link: str) -> Worker:
    page = fetch(link)
    assert page.status == 200, page.html[:500]
    return Worker(base_url, page.config)


def assignment_of(worker: Worker) -> str:
    return worker.config["assignment_id"]


def pairs_by_conversation(handler: MTurkDataHandler, run_id: str,
                          workers: list[Worker]) -> dict[str, dict[str, Worker]]:
    """conversation id -> {agent id: worker}, as the runner paired them (from the store)."""
    by_assignment = {assignment_of(w): w for w in workers}
    pairs: dict[str, dict[str, Worker]] = defaultdict(dict)
    for pairing in handler.get_pairings_for_run(run_id):
        if pairing["conversation_id"] and pairing["assignment_id"] in by_assignment:
            pairs[pairing["conversation_id"]][pairing["agent_id"]] = by_assignment[pairing["assignment_id"]]
    return dict(pairs)


def acks_of(worker: Worker) -> dict[str, int]:
    """cid -> stored row id, from every ack the page received. A cid acked twice (a
    re-send) must have been acked with the same row both times."""
    acks: dict[str, int] = {}
    for frame in list(worker.frames):
        if frame["type"] == "ack":
            assert acks.setdefault(frame["cid"], frame["id"]) == frame["id"], frame
    return acks
