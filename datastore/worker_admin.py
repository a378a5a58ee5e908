"""What the store keeps about workers beyond one assignment: onboarding results,
qualifications, blocks and daily working time. (The audit log of review actions is in ledger.py.)"""
from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from datastore.access import StoreAccess, _insert_or_get, records
from datastore.errors import InvalidValue, NotFound
from datastore.ledger import row_record
from datastore.models_review import (
    Block,
    OnboardingResult,
    Qualification,
    WorkerQualification,
    WorkingTime,
)
from datastore.query_types import AnySelect
from datastore.records import Record
from datastore.states import BlockKind


def utc_day(at: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if at is None else at, UTC).strftime("%Y-%m-%d")


def qualifications_held(worker_id: str) -> AnySelect:
    """The qualifications a worker holds, by name: name, is_sandbox, provider_qual_id, value, granted."""
    return (
        select(Qualification.name, Qualification.is_sandbox, Qualification.provider_qual_id,
               WorkerQualification.value, WorkerQualification.granted)
        .join(WorkerQualification, WorkerQualification.qualification_id == Qualification.id)
        .where(WorkerQualification.worker_id == worker_id)
        .order_by(Qualification.name)
    )




class WorkerAdmin(StoreAccess):
    # Onboarding --------------------------------------------------------------------------

    def get_onboarding_data(self, assignment_id: str) -> Record | None:
        query = select(OnboardingResult).where(OnboardingResult.assignment_id == assignment_id)
        return self._read(lambda s: next((row_record(r) for r in s.scalars(query)), None))

    # Qualifications ----------------------------------------------------------------------

    def ensure_qualification(
        self,
        name: str,
        is_sandbox: bool,
        *,
        description: str = "",
        provider_qual_id: str | None = None,
    ) -> Record:
        """Get or create the named qualification; remember the provider's id once known."""
        if not name:
            raise InvalidValue("a qualification needs a name")

        def find(s: Session) -> Qualification | None:
            return s.scalar(select(Qualification).where(
                Qualification.name == name, Qualification.is_sandbox == is_sandbox))

        def write(s: Session) -> Record:
            qual = find(s) or _insert_or_get(
                s,
                Qualification(name=name, is_sandbox=is_sandbox, description=description,
                              created=time.time()),
                lambda: find(s),
            )
            if provider_qual_id is not None:
                if qual.provider_qual_id not in (None, provider_qual_id):
                    raise InvalidValue(
                        f"qualification {name!r} is already linked to {qual.provider_qual_id!r}"
                    )
                qual.provider_qual_id = provider_qual_id
            s.flush()
            return row_record(qual)

        return self._write(write)

    def get_qualification(self, name: str, is_sandbox: bool) -> Record | None:
        query = select(Qualification).where(
            Qualification.name == name, Qualification.is_sandbox == is_sandbox)
        return self._read(lambda s: next((row_record(q) for q in s.scalars(query)), None))

    def grant_qualification(self, worker_id: str, name: str, is_sandbox: bool, value: int = 1) -> None:
        def write(s: Session) -> None:
            qual = self._qualification(s, name, is_sandbox)
            self._ensure_worker(s, worker_id)
            held = s.get(WorkerQualification, (qual.id, worker_id))
            if held is None:
                s.add(WorkerQualification(qualification_id=qual.id, worker_id=worker_id,
                                          value=value, granted=time.time()))
            else:
                held.value = value

        self._write(write)

    def revoke_qualification(self, worker_id: str, name: str, is_sandbox: bool) -> bool:
        """Remove the qualification from the worker; False if they did not hold it."""

        def write(s: Session) -> bool:
            held = s.get(WorkerQualification, (self._qualification(s, name, is_sandbox).id, worker_id))
            if held is None:
                return False
            s.delete(held)
            return True

        return self._write(write)

    def get_worker_qualifications(self, worker_id: str) -> list[Record]:
        return self._read(lambda s: records(s.execute(qualifications_held(worker_id))))

    @staticmethod
    def _qualification(s: Session, name: str, is_sandbox: bool) -> Qualification:
        qual = s.scalar(select(Qualification).where(
            Qualification.name == name, Qualification.is_sandbox == is_sandbox))
        if qual is None:
            raise NotFound(f"there is no qualification {name!r}")
        return qual

    # Blocks ------------------------------------------------------------------------------

    def log_block(
        self,
        worker_id: str,
        kind: str,
        is_sandbox: bool,
        *,
        reason: str = "",
        run_id: str | None = None,
        qualification_name: str | None = None,
    ) -> Record:
        """Record a soft block (through a qualification) or a hard block. Blocking a worker
        who already has an active block of that kind returns the existing one."""
        if kind not in (BlockKind.SOFT, BlockKind.HARD):
            raise InvalidValue(f"a block is 'soft' or 'hard', not {kind!r}")
        if kind == BlockKind.SOFT and not qualification_name:
            raise InvalidValue("a soft block needs the qualification that carries it")

        def write(s: Session) -> Record:
            self._ensure_worker(s, worker_id)
            qual_id = self._qualification(s, qualification_name, is_sandbox).id if qualification_name else None
            active = s.scalar(select(Block).where(
                Block.worker_id == worker_id, Block.kind == kind, Block.is_sandbox == is_sandbox,
                Block.qualification_id.is_(None) if qual_id is None else Block.qualification_id == qual_id,
                Block.revoked.is_(None)))
            if active is None:
                active = Block(worker_id=worker_id, kind=kind, is_sandbox=is_sandbox,
                               qualification_id=qual_id, run_id=run_id, reason=reason,
                               created=time.time())
                s.add(active)
                s.flush()
            return row_record(active)

        return self._write(write)

    def log_unblock(self, worker_id: str, kind: str, is_sandbox: bool) -> int:
        """Lift the worker's active blocks of `kind`; answers how many were lifted."""

        def write(s: Session) -> int:
            result = s.execute(
                update(Block)
                .where(Block.worker_id == worker_id, Block.kind == kind,
                       Block.is_sandbox == is_sandbox, Block.revoked.is_(None))
                .values(revoked=time.time())
            )
            return int(cast(CursorResult[Any], result).rowcount or 0)

        return self._write(write)

    def lift_blocks(self, worker_id: str, block_ids: Sequence[int]) -> int:
        """Lift these active blocks of the worker in one transaction, so a reader sees all of
        them lifted or none (what an unblock decided to lift); answers how many were lifted."""

        def write(s: Session) -> int:
            lifted = s.scalars(
                update(Block)
                .where(Block.worker_id == worker_id, Block.id.in_(list(block_ids)), Block.revoked.is_(None))
                .values(revoked=time.time())
                .returning(Block.id)
            )
            return len(lifted.all())

        return self._write(write)

    def get_blocks_for_worker(self, worker_id: str, *, active_only: bool = True) -> list[Record]:
        query = self._hot.active_blocks if active_only else self._hot.blocks
        return self._read_rows(lambda conn: records(conn.execute(query, {"worker_id": worker_id})))

    # Working time ------------------------------------------------------------------------

    def add_working_time(self, worker_id: str, seconds: float, day: str | None = None) -> float:
        """Add to the worker's total for `day` (UTC, default today); answers the new total."""
        if not seconds >= 0:
            raise InvalidValue("working time must be 0 seconds or more")
        day = day or utc_day()

        now = time.time()
        return self._write_rows(lambda conn: self._hot.add_time(conn, worker_id, day, seconds, now))

    def get_working_time(self, worker_id: str, day: str | None = None) -> float:
        day = day or utc_day()
        return self._read(lambda s: getattr(s.get(WorkingTime, (worker_id, day)), "seconds", 0.0))
