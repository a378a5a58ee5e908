"""A big generated store for the storage and dashboard benchmarks: one large run (by default
100,000 assignments, 50,000 two-worker conversations, 1,000,000 messages, 20,000 workers) and a
few small runs beside it, cached as a SQLite file under bench/.data/ so it is built once.

Rows go in with bulk `insert()`s inside one transaction, but hold exactly what the writers in
datastore/lifecycle.py would have left after a real run (the same columns, statuses reached by
legal transitions, JSON payloads shaped by runner/live.py and runner/manager.py), so the
dashboard reads them as it reads a real store.

    python bench/bigstore.py                  # build (or find) the full store, print its URL
    python bench/bigstore.py --smoke          # the small one the smoke checks use
    python bench/bigstore.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/bigstore.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, bindparam, func, insert, select

from datastore import MTurkDataHandler
from datastore.engine import close_stores
from datastore.models import Assignment, Conversation, Hit, Message, Pairing, Run, Worker
from datastore.run_totals import recount
from datastore.states import LIVE, RunStatus
from datastore.states import AssignmentStatus as S

DATA = Path(__file__).resolve().parent / ".data"
GENERATOR_VERSION = 2
"""Bump when the rows generated change, or an unreleased migration they were stamped with
does, so cached stores are rebuilt (2: migration 0004 gained the run page's indexes)."""

BIG_RUN = "bigstore_qa_run"
TASKNAME = "qa_data_collection"
ROLES = ("Asker", "Answerer")
REWARD_CENTS = 50
BONUS_CENTS = 25
CHUNK = 20_000
MESSAGE_GAP = 12.0
"""Seconds between two messages of a conversation."""
SENTENCES = (
    "What year was the tower finished, according to the paragraph?",
    "It says construction ended in 1889, just before the fair opened.",
    "Who designed it? The paragraph mentions an engineering company.",
    "Gustave Eiffel's company designed and built it.",
    "How tall is it today, including the antennas on top?",
    "About 330 metres, which makes it the tallest structure in Paris.",
    "Thanks, that answers my question. Anything else worth knowing?",
    "It was meant to be temporary and was nearly taken down in 1909.",
)


@dataclass(frozen=True)
class Sizes:
    assignments: int
    messages: int
    workers: int
    small_runs: int = 20
    """Runs of SMALL_RUN assignments beside the big one, so the runs list has pages."""

    @property
    def conversations(self) -> int:
        return self.assignments // 2

    def slug(self) -> str:
        return f"a{self.assignments}-m{self.messages}-w{self.workers}-r{self.small_runs}-v{GENERATOR_VERSION}"


FULL = Sizes(assignments=100_000, messages=1_000_000, workers=20_000)
SMOKE = Sizes(assignments=1_000, messages=10_000, workers=200, small_runs=3)
SMALL_RUN = Sizes(assignments=40, messages=400, workers=0)


@dataclass(frozen=True)
class BigStore:
    url: str
    run_id: str
    sizes: Sizes
    build_seconds: float
    """0 when the store came from the cache."""


def cached_store(sizes: Sizes = FULL, *, rebuild: bool = False, directory: Path = DATA) -> BigStore:
    """The SQLite store for `sizes`, built the first time (into a temporary file renamed
    when complete, so an interrupted build is never mistaken for a finished one)."""
    path = directory / f"bigstore-{sizes.slug()}.db"
    url = f"sqlite:///{path}"
    if path.exists() and not rebuild:
        MTurkDataHandler(db_url=url)  # upgrade a store cached before a new migration
        return BigStore(url, BIG_RUN, sizes, 0.0)
    directory.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")
    for leftover in (building, *(Path(f"{building}{s}") for s in ("-wal", "-shm", ".migrate-lock"))):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    build(f"sqlite:///{building}", sizes)
    close_stores()  # the last connection out checkpoints the WAL into the file
    building.replace(path)
    Path(f"{building}.migrate-lock").unlink(missing_ok=True)
    return BigStore(url, BIG_RUN, sizes, time.perf_counter() - started)


def build(url: str, sizes: Sizes, seed: int = 7) -> None:
    """Fill the store at `url` (migrated first, through the handler) with the generated runs."""
    handler = MTurkDataHandler(db_url=url)
    if handler.get_run_data(BIG_RUN) is not None:
        raise SystemExit(f"the store {url} already holds the generated run {BIG_RUN!r}")
    generator = Generator(random.Random(seed), sizes, now=time.time())
    with handler.engine.begin() as conn:
        conn.execute(insert(Worker), generator.workers())
        generator.run(conn, BIG_RUN, sizes, status=RunStatus.RUNNING, days_ago=3.0)
        for n in range(sizes.small_runs):
            generator.run(conn, f"small_qa_run_{n:03d}", SMALL_RUN,
                          status=RunStatus.COMPLETED, days_ago=30.0 - n)


class Generator:
    """Makes the rows; one instance per store, so ids never repeat across runs."""

    def __init__(self, rng: random.Random, sizes: Sizes, now: float) -> None:
        self.rng, self.now = rng, now
        self.worker_ids = [self._id("A", 13) for _ in range(sizes.workers)]
        self.first_seen = now - 40 * 86400

    def _id(self, prefix: str, length: int) -> str:
        return prefix + f"{self.rng.getrandbits(4 * length):0{length}X}"

    def workers(self) -> list[dict[str, Any]]:
        return [{"worker_id": w, "first_seen": self.first_seen} for w in self.worker_ids]

    def run(self, conn: Connection, run_id: str, sizes: Sizes, *, status: str, days_ago: float) -> None:
        launch = self.now - days_ago * 86400
        # Conversations start evenly over two days (the big run's last ones are still live).
        span = 2 * 86400
        finished = status != RunStatus.RUNNING
        conn.execute(insert(Run), [{
            "run_id": run_id, "taskname": TASKNAME, "provider": "mturk", "is_sandbox": False,
            "is_test": False, "status": status, "maximum": sizes.conversations,
            "reward_cents": REWARD_CENTS, "launch_time": launch,
            "end_time": launch + span + 3600 if finished else None,
            "config": {"num_conversations": sizes.conversations, "reward": "0.50"},
        }])
        conversations, people = [], []
        for k in range(sizes.conversations):
            start = launch + span * k / max(1, sizes.conversations) + self.rng.uniform(0, 60)
            live = not finished and k >= sizes.conversations - 10
            conversations.append((f"t_{k + 1}", start, live))
        conn.execute(insert(Conversation), [
            {"run_id": run_id, "conversation_id": cid, "started": start, "ended": None,
             "custom_data": None} for cid, start, _ in conversations
        ])
        pks = dict(conn.execute(
            select(Conversation.conversation_id, Conversation.id).where(Conversation.run_id == run_id)
        ).all())
        counts = self._message_counts(sizes)
        hits, assignments, pairings, ends = [], [], [], []
        for (cid, start, live), n_messages in zip(conversations, counts):
            pair = self.rng.sample(self.worker_ids, 2)
            end = start + MESSAGE_GAP * n_messages
            outcome = self._outcome(live)
            ids = [self._id("3", 29) for _ in pair]
            people.append((cid, start, pair, ids))
            for worker_id, assignment_id, role, status in zip(pair, ids, ROLES, outcome):
                hit_id = self._id("3", 29)
                accepted = start - self.rng.uniform(20, 300)
                task_end = None if status in LIVE else end
                updated = task_end or start
                if status in (S.APPROVED, S.REJECTED, S.SUBMITTED):
                    updated = end + self.rng.uniform(60, 86400)
                hits.append({
                    "hit_id": hit_id, "run_id": run_id, "hit_type_id": "3HTBIGSTORE",
                    "hit_status": "Unassignable" if status in LIVE else "Reviewable",
                    "expiration": launch + 7 * 86400, "assignments_pending": int(status in LIVE),
                    "assignments_available": 0, "assignments_complete": int(status not in LIVE),
                    "created": accepted - 5, "updated": accepted,
                })
                assignments.append({
                    "assignment_id": assignment_id, "hit_id": hit_id, "run_id": run_id,
                    "worker_id": worker_id, "status": status, "accepted": accepted,
                    "updated": updated,
                    "approve_time": end + 3 * 86400 if status in (S.COMPLETED, S.PARTNER_DISCONNECT) else None,
                    "feedback": "Off topic." if status == S.REJECTED else None,
                })
                bonus = BONUS_CENTS if status == S.APPROVED and self.rng.random() < 0.1 else 0
                pairings.append({
                    "assignment_id": assignment_id, "worker_id": worker_id, "run_id": run_id,
                    "onboarding_id": None, "onboarding_start": None, "onboarding_end": None,
                    "task_start": start, "task_end": task_end, "conversation_id": cid,
                    "agent_id": role, "bonus_amount_cents": bonus,
                    "bonus_text": "A thoughtful conversation." if bonus else "",
                    "bonus_paid": bool(bonus) and self.rng.random() < 0.5, "notes": "",
                    "world_data": None if status in LIVE else {"rating": self.rng.randint(1, 5)},
                })
            if not live:
                ends.append((pks[cid], end))
        self._insert_chunked(conn, Hit, hits)
        self._insert_chunked(conn, Assignment, assignments)
        self._insert_chunked(conn, Pairing, pairings)
        # What save_world_data and log_end_conversation leave on a finished conversation.
        self._finish_conversations(conn, ends)
        self._insert_chunked(conn, Message, self._messages(pks, people, counts))
        recount(conn, run_id)  # the writers keep a run's totals; bulk inserts bypass them

    def _finish_conversations(self, conn: Connection, ends: list[tuple[int, float]]) -> None:
        table = Conversation.__table__
        statement = table.update().where(table.c.id == bindparam("pk")).values(
            ended=bindparam("ended_at"), custom_data=bindparam("custom"))
        rows = [{"pk": pk, "ended_at": end, "custom": {"topic": ("geography", "history")[pk % 2]}}
                for pk, end in ends]
        for i in range(0, len(rows), CHUNK):
            conn.execute(statement, rows[i:i + CHUNK])

    def _message_counts(self, sizes: Sizes) -> list[int]:
        """Messages per conversation: about the mean, varied in pairs so they sum exactly."""
        n = sizes.conversations
        counts = [sizes.messages // n + (1 if k < sizes.messages % n else 0) for k in range(n)]
        for k in range(0, n - 1, 2):
            spread = min(counts[k], counts[k + 1]) - 2
            if spread > 0:
                delta = self.rng.randint(-spread // 2, spread // 2)
                counts[k] += delta
                counts[k + 1] -= delta
        return counts

    def _outcome(self, live: bool) -> tuple[str, str]:
        """Both workers' statuses, as the state machine lets a conversation end."""
        if live:
            return (S.IN_TASK, S.IN_TASK)
        roll = self.rng.random()
        if roll < 0.12:
            left = self.rng.choice((S.DISCONNECT, S.DISCONNECT, S.TIMEOUT, S.RETURNED))
            partner = self.rng.choice((S.PARTNER_DISCONNECT, S.APPROVED, S.SUBMITTED))
            return (left, partner) if self.rng.random() < 0.5 else (partner, left)
        return tuple(self.rng.choices(  # type: ignore[return-value]
            (S.APPROVED, S.SUBMITTED, S.REJECTED, S.COMPLETED), weights=(60, 20, 8, 12), k=2))

    def _messages(
        self, pks: dict[str, int], people: list[tuple[str, float, list[str], list[str]]], counts: list[int]
    ) -> Iterator[dict[str, Any]]:
        """The world's opening act (stored by LiveConversation.store_observed), then the two
        workers in turn (stored by TaskManager.store_worker_message), in the order received."""
        for (cid, start, pair, ids), n in zip(people, counts):
            pk = pks[cid]
            yield {
                "conversation_pk": pk, "sender_id": "System", "worker_id": None, "assignment_id": None,
                "client_msg_id": None, "turn_index": 0, "created": start,
                "payload": {"id": "System", "text": "Read the paragraph, then ask about it.",
                            "task_data": {"paragraph": SENTENCES[pk % len(SENTENCES)]},
                            "episode_done": False, "message_id": f"{self.rng.getrandbits(128):032x}"},
            }
            for turn in range(1, n):
                who = turn % 2
                yield {
                    "conversation_pk": pk, "sender_id": ROLES[who], "worker_id": pair[who],
                    "assignment_id": ids[who], "client_msg_id": f"{self.rng.getrandbits(64):016x}",
                    "turn_index": turn, "created": start + MESSAGE_GAP * turn,
                    "payload": {"id": ROLES[who], "text": SENTENCES[(pk + turn) % len(SENTENCES)],
                                "episode_done": False},
                }

    @staticmethod
    def _insert_chunked(conn: Connection, model: Any, rows: Any) -> None:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                conn.execute(insert(model), batch)
                batch = []
        if batch:
            conn.execute(insert(model), batch)


def describe(url: str, run_id: str = BIG_RUN) -> dict[str, int]:
    """Row counts of the generated run, read back from the store."""
    handler = MTurkDataHandler(db_url=url)
    with handler.engine.connect() as conn:
        def count(query: Any) -> int:
            return int(conn.scalar(query) or 0)

        return {
            "assignments": count(select(func.count()).select_from(Assignment).where(Assignment.run_id == run_id)),
            "conversations": count(select(func.count()).select_from(Conversation).where(Conversation.run_id == run_id)),
            "messages": count(select(func.count()).select_from(Message).join(
                Conversation, Conversation.id == Message.conversation_pk).where(Conversation.run_id == run_id)),
            "workers": count(select(func.count()).select_from(Worker)),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="the small store (1,000 assignments)")
    parser.add_argument("--assignments", type=int)
    parser.add_argument("--messages", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--db", help="build into this (empty) store instead of the SQLite cache")
    parser.add_argument("--rebuild", action="store_true", help="build the cached store again")
    args = parser.parse_args(argv)
    base = SMOKE if args.smoke else FULL
    sizes = Sizes(args.assignments or base.assignments, args.messages or base.messages,
                  args.workers or base.workers, base.small_runs)
    if args.db:
        started = time.perf_counter()
        build(args.db, sizes)
        store = BigStore(args.db, BIG_RUN, sizes, time.perf_counter() - started)
    else:
        store = cached_store(sizes, rebuild=args.rebuild)
    took = f"built in {store.build_seconds:.1f} s" if store.build_seconds else "cached"
    print(f"{store.url} ({took}): run {store.run_id}: {describe(store.url)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
