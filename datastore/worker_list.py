"""The list of all workers for the dashboard: searched by id, paged by keyset on the worker
id, each with their assignments by status, approval rate, earnings per currency and active
blocks, read by grouped queries over the ids of one page only."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datastore.access import StoreAccess
from datastore.dashboard import (
    _approval_rate,
    _page,
    _page_size,
    decode_cursor,
    earnings,
    encode_cursor,
)
from datastore.models import Assignment, Worker
from datastore.models_review import Block

CURSOR = "workers"


class WorkerListing(StoreAccess):
    def list_workers(self, *, search: str | None = None, blocked_only: bool = False,
                     after: str | None = None, limit: int = 50) -> dict[str, Any]:
        """A page of workers in id order, those whose id starts with `search` (or, with
        `blocked_only`, who have an active block): `{"items": [...], "next": cursor or None}`.
        Each has `counts_by_status`, `approval_rate`, `earned` ({currency: cents} on live and
        local runs: approved rewards and paid bonuses) and `active_blocks`."""
        limit = _page_size(limit)
        query = (select(Worker.worker_id, Worker.provider, Worker.first_seen)
                 .order_by(Worker.worker_id).limit(limit + 1))
        if search:
            query = query.where(func.substr(Worker.worker_id, 1, len(search)) == search)
        if blocked_only:
            query = query.where(Worker.worker_id.in_(select(Block.worker_id).where(Block.revoked.is_(None))))
        if after is not None:
            query = query.where(Worker.worker_id > decode_cursor(after, CURSOR, str)[0])

        def read(s: Session) -> dict[str, Any]:
            rows, next_page = _page(s.execute(query).all(), limit, lambda r: encode_cursor(CURSOR, r.worker_id))
            ids = [r.worker_id for r in rows]
            statuses, earned, blocks = _statuses(s, ids), earnings(s, ids), _active_blocks(s, ids)
            items = [{**row._asdict(), "counts_by_status": dict(statuses[row.worker_id]),
                      "approval_rate": _approval_rate(statuses[row.worker_id]),
                      "earned": earned.get(row.worker_id, {}).get(False, {}),
                      "active_blocks": blocks[row.worker_id]} for row in rows]
            return {"items": items, "next": next_page}

        return self._read(read)


def _statuses(s: Session, ids: list[str]) -> defaultdict[str, Counter[str]]:
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for worker_id, status, n in s.execute(
            select(Assignment.worker_id, Assignment.status, func.count())
            .where(Assignment.worker_id.in_(ids)).group_by(Assignment.worker_id, Assignment.status)):
        counts[worker_id][status] = n
    return counts


def _active_blocks(s: Session, ids: list[str]) -> Counter[str]:
    return Counter(dict(s.execute(
        select(Block.worker_id, func.count()).where(Block.worker_id.in_(ids), Block.revoked.is_(None))
        .group_by(Block.worker_id)).all()))
