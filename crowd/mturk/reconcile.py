"""After a runner died: find its runs, expire their HITs, and bring into the store every
assignment the marketplace has as submitted (or already approved or rejected), so nothing a
worker handed in is missed while no runner was listening."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from datastore import IllegalTransition, MTurkDataHandler
from datastore.states import LIVE, AssignmentStatus, HitStatus

OPEN_HIT_STATUSES = (HitStatus.ASSIGNABLE, HitStatus.UNASSIGNABLE)
"""A HIT in these may still be taken by a worker (Unassignable: someone holds it, and may
hand it back). MTurk makes an expired HIT Reviewable, or Unassignable while a worker still
holds it, and may show it Assignable for a while after its Expiration: so a HIT is open only
when its Expiration is still ahead too (`is_open`)."""


def is_open(hit: dict[str, Any], now: float | None = None) -> bool:
    """Whether MTurk's description of a HIT (GetHIT's `HIT`) says workers can still take it."""
    expiration = hit["Expiration"]
    if isinstance(expiration, datetime):
        expiration = expiration.timestamp()
    return hit["HITStatus"] in OPEN_HIT_STATUSES and float(expiration) > (time.time() if now is None else now)


class MarketplaceHits(Protocol):
    """What reconciling asks of the provider (the MTurk provider has it), so this module
    and the provider do not import each other."""

    def expire_hits(self, hit_ids: list[str]) -> None: ...

    def submitted_assignments(self, hit_id: str) -> list[dict[str, Any]]: ...

    def refresh_hit(self, hit_id: str) -> dict[str, Any]: ...


@dataclass
class Reconciled:
    run_id: str
    expired_hits: int = 0
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    unknown_to_store: int = 0


def reconcile_run(handler: MTurkDataHandler, provider: MarketplaceHits, run_id: str, *,
                  expire: bool = True, only_hits: set[str] | None = None) -> Reconciled:
    """Expire the run's HITs that are still open and record what MTurk has for each of them
    (or only for `only_hits`: two MTurk calls per HIT, so a poll asks about the HITs it waits
    on). Whether a HIT is open is asked of MTurk, not of the store, whose status may be older
    than the HIT's own expiry; `expired_hits` counts only the HITs this call expired. Deleted
    (Disposed) HITs are left alone: MTurk keeps nothing more of them to read."""
    result = Reconciled(run_id)
    hits = [h for h in handler.get_hits_for_run(run_id)
            if h["hit_status"] != HitStatus.DISPOSED and (only_hits is None or h["hit_id"] in only_hits)]
    for hit in hits:
        hit_id = hit["hit_id"]
        if expire and is_open(provider.refresh_hit(hit_id)):
            provider.expire_hits([hit_id])
            result.expired_hits += 1
        for assignment in provider.submitted_assignments(hit_id):
            _record(handler, run_id, hit_id, assignment, result)
        if not expire:
            provider.refresh_hit(hit_id)
    return result


def _record(handler: MTurkDataHandler, run_id: str, hit_id: str, mturk: dict, result: Reconciled) -> None:
    assignment_id, worker_id = mturk["AssignmentId"], mturk["WorkerId"]
    ours = handler.get_assignment_data(assignment_id)
    if ours is None:
        handler.log_worker_accept_assignment(worker_id, assignment_id, hit_id, run_id)
        result.unknown_to_store += 1
        ours = handler.get_assignment_data(assignment_id)
        assert ours is not None  # just recorded
    status = ours["status"]
    if status in LIVE and status != AssignmentStatus.IN_TASK:
        # Handed in on MTurk while our runner had them waiting: they left us, then submitted.
        handler.log_disconnect_assignment(worker_id, assignment_id)
        status = AssignmentStatus.DISCONNECT
    if status not in (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED):
        try:
            handler.log_submit_assignment(worker_id, assignment_id)
            result.submitted += 1
        except IllegalTransition:
            return  # returned with us, which MTurk would not let them submit: nothing to add
    if mturk["AssignmentStatus"] == "Approved" and ours["status"] != AssignmentStatus.APPROVED:
        handler.log_approve_assignment(assignment_id)
        result.approved += 1
    elif mturk["AssignmentStatus"] == "Rejected" and ours["status"] != AssignmentStatus.REJECTED:
        handler.log_reject_assignment(assignment_id, mturk.get("RequesterFeedback"))
        result.rejected += 1

