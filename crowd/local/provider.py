"""The `local` provider: no marketplace. Each HIT is a link a person opens in a browser;
money-moving calls do nothing but answer what they would have done (the review service
records them in the audit log like any other provider's answers)."""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from crowd.base import Progress, Provider, Refused
from datastore import MTurkDataHandler
from datastore.records import Record
from datastore.states import HitStatus

FAR_FUTURE = 4_102_444_800.0  # 2100-01-01: local HITs do not expire by themselves


class LocalProvider(Provider):
    name = "local"
    is_sandbox = False
    needs_marketplace_cleanup = False

    @classmethod
    def for_review(cls, *, is_sandbox: bool) -> Provider:
        return cls()  # no marketplace, so no sandbox

    def __init__(self) -> None:
        self.hit_ids: list[str] = []
        self.calls: list[dict[str, Any]] = []

    def bind(self, handler: MTurkDataHandler, run_id: str, base_url: str) -> None:
        """Also take up the HITs the run already has (none for a new run), so a provider made
        for an existing run can release them (`cleanup`)."""
        super().bind(handler, run_id, base_url)
        self.hit_ids = [hit["hit_id"] for hit in handler.get_hits_for_run(run_id)]

    def launch(self, count: int) -> list[str]:
        new = [f"local-{self.run_id}-{len(self.hit_ids) + n + 1}" for n in range(count)]
        for hit_id in new:
            self._record_hit(hit_id, HitStatus.ASSIGNABLE, FAR_FUTURE)
        self.hit_ids.extend(new)
        return new

    def link(self, hit_id: str, worker_id: str, assignment_id: str | None = None) -> str:
        query = urlencode({"hitId": hit_id, "assignmentId": assignment_id or f"{hit_id}-A",
                           "workerId": worker_id})
        return f"{self.base_url}/task/{self.run_id}?{query}"

    def worker_links(self) -> list[str]:
        return [self.link(hit_id, f"local-worker-{n}") for n, hit_id in enumerate(self.hit_ids, 1)]

    def check_assignment(self, hit_id: str, assignment_id: str, worker_id: str) -> None:
        if hit_id not in self.hit_ids:
            raise Refused("this link does not belong to this run")

    def submits_on_done(self) -> bool:
        return True

    def approve(self, assignment_id: str, *, feedback: str | None = None,
                override_rejection: bool = False) -> dict[str, Any]:
        return self._did("approve", assignment_id=assignment_id, override=override_rejection)

    def reject(self, assignment_id: str, *, feedback: str, category: str | None = None) -> dict[str, Any]:
        return self._did("reject", assignment_id=assignment_id, feedback=feedback)

    def bonus(self, worker_id: str, assignment_id: str, *, amount_cents: int, reason: str,
              token: str, progress: Progress | None = None) -> dict[str, Any]:
        return self._did("bonus", worker_id=worker_id, assignment_id=assignment_id,
                         amount_cents=amount_cents, token=token)

    def notify(self, worker_ids: list[str], subject: str, message: str) -> dict[str, str]:
        """No marketplace to email through: the message is recorded (the audit log keeps it)."""
        self._did("notify", worker_ids=list(worker_ids), subject=subject)
        return {}

    def compensate(self, worker_id: str, *, amount_cents: int, reason: str, token: str) -> dict[str, Any]:
        return self._did("compensate", worker_id=worker_id, amount_cents=amount_cents, token=token)

    def review_outcome(self, action: Record) -> bool:
        """Nothing happens on a marketplace here: what the audit log does not show as done
        was not done."""
        return False

    def soft_block(self, worker_id: str, *, qualification_name: str, reason: str) -> dict[str, Any]:
        return self._did("soft_block", worker_id=worker_id, qualification=qualification_name)

    def grant_qualification(self, worker_id: str, *, qualification_name: str, value: int,
                            reason: str) -> dict[str, Any]:
        return self._did("grant_qualification", worker_id=worker_id, qualification=qualification_name, value=value)

    def revoke_qualification(self, worker_id: str, *, qualification_name: str, reason: str) -> dict[str, Any]:
        return self._did("revoke_qualification", worker_id=worker_id, qualification=qualification_name)

    def hard_block(self, worker_id: str, *, reason: str) -> dict[str, Any]:
        return self._did("hard_block", worker_id=worker_id)

    def unblock(self, worker_id: str, *, qualification_names: Sequence[str], hard: bool,
                reason: str) -> dict[str, Any]:
        return self._did("unblock", worker_id=worker_id, qualifications=list(qualification_names), hard=hard)

    def expire_hits(self, hit_ids: list[str]) -> None:
        for hit_id in hit_ids:
            if hit_id not in self.hit_ids:
                raise Refused(f"HIT {hit_id!r} is not one of this run's")
            self._record_hit(hit_id, HitStatus.DISPOSED, time.time())
        self._did("expire", hit_ids=list(hit_ids))

    def cleanup(self) -> None:
        self.expire_hits(self.hit_ids)

    def _record_hit(self, hit_id: str, status: str, expiration: float) -> None:
        self.handler.log_hit(hit_id, status, expiration=expiration,
                             available=1 if status == HitStatus.ASSIGNABLE else 0, run_id=self.run_id)

    def _did(self, action: str, **details: Any) -> dict[str, Any]:
        answer = {"provider": "local", "action": action, "ok": True, **details}
        self.calls.append(answer)
        return answer
