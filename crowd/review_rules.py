"""Which approve, reject or bonus may go ahead on an assignment: the rules the review service
hands to the store's claim, which runs them inside the transaction that takes the
assignment's slot, so they judge the assignment and its slots as they are at that moment.

Each rule answers None (go ahead), the action holding the slot (the same thing was already
asked: answer that), or raises: `ReviewRefused` with a sentence for the reviewer, or
`Unsettled` when the slot's holder may or may not have acted and must be settled first.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

from crowd.processes import process_is_gone, this_host
from datastore.ledger import Admit, request_of
from datastore.money import to_dollars
from datastore.records import Record
from datastore.states import (
    REVIEWABLE,
    UNSETTLED_OUTCOMES,
    AssignmentStatus,
    ReviewAction,
    ReviewOutcome,
    ReviewSlot,
)

OVERRODE_REJECTION = "overrode_rejection"
"""The key an approval's audit row (its provider response) carries when it overrode a rejection."""
LEASE_SECONDS = 600.0
"""A pending action whose process cannot be checked (it ran on another host) counts as
interrupted after this long: far beyond any provider call's timeouts and retries."""


_abandoned: set[str] = set()
"""Tokens of actions this process called the provider for but could not finish in the store
(it failed mid-write): they count as interrupted at once rather than after the lease."""


class ReviewRefused(Exception):
    """The action cannot be done; the message says why, for the reviewer."""


class Unsettled(Exception):
    """The slot's holder may or may not have acted: ask the provider before anything else."""

    def __init__(self, action: Record) -> None:
        super().__init__(f"review action {action['token']} is unsettled")
        self.action = action


def this_process() -> str:
    """The owner recorded on an action this process calls the provider for."""
    return f"{this_host()}:{os.getpid()}"


def abandon(token: str) -> None:
    """This process will never record how the action of `token` ended (its store failed)."""
    _abandoned.add(token)


def interrupted(action: Record) -> bool:
    """True for a pending action whose process is gone (or, on another host, whose lease ran
    out, or that this process abandoned): its call may have reached the provider, and its
    answer will never be recorded."""
    if action["outcome"] != ReviewOutcome.PENDING:
        return False
    if action["token"] in _abandoned:
        return True
    host, _, pid = (action["owner"] or "").rpartition(":")
    if host == this_host() and pid.isdigit():
        return process_is_gone(host, int(pid))
    return time.time() - action["created"] > LEASE_SECONDS


def verdict(action: str, *, override_rejection: bool = False) -> Admit:
    """Approve or reject: one verdict per assignment; an approval may override a rejection
    only when asked to (the reviewer overrides the rejection), and nothing overrides an approval."""
    def admit(assignment: Record, holders: dict[str, Record]) -> Record | None:
        held = holders.get(ReviewSlot.VERDICT)
        if (same := _in_flight(assignment, held, action)) is not None:
            return same
        aid, status = assignment["assignment_id"], assignment["status"]
        if held is not None and _holds(held, action):
            if override_rejection and not (held["provider_response"] or {}).get(OVERRODE_REJECTION):
                raise ReviewRefused(f"assignment {aid} was approved, not rejected: there is no rejection to override")
            return held
        if override_rejection and status != AssignmentStatus.REJECTED:
            raise ReviewRefused(f"assignment {aid} is {status}, not rejected: there is no rejection to override")
        if status == AssignmentStatus.APPROVED:
            if action == ReviewAction.APPROVE:
                raise ReviewRefused(f"{aid} is already approved (done outside Parley's review, so there "
                                    "is no earlier result to show)")
            raise ReviewRefused(f"assignment {aid} is already approved; an approved assignment cannot be rejected")
        if status == AssignmentStatus.REJECTED:
            if action == ReviewAction.REJECT:
                raise ReviewRefused(f"{aid} is already rejected (done outside Parley's review, so there "
                                    "is no earlier result to show)")
            if override_rejection:
                return None
            raise ReviewRefused(f"assignment {aid} was rejected; to approve it, override the rejection "
                                 "(with a reason)")
        if status not in REVIEWABLE:
            raise ReviewRefused(f"assignment {aid} is {status}: only finished work can be approved or rejected")
        return None

    return admit


def bonus(cents: int, reason: str, request: str | None = None) -> Admit:
    """One bonus per assignment. The same amount and reason again answer the first payment,
    unless the request names its own token (`request`): then only that token's request is
    the same bonus, and any other is a second bonus, refused."""
    def same_bonus(action: Record) -> bool:
        return ((action["amount_cents"], action["reason"]) == (cents, reason)
                and (request is None or request_of(action["token"]) == request))

    def admit(assignment: Record, holders: dict[str, Record]) -> Record | None:
        aid = assignment["assignment_id"]
        paid = holders.get(ReviewSlot.BONUS)
        if (same := _in_flight(assignment, paid, ReviewAction.BONUS, same_bonus)) is not None:
            return same
        if paid is not None and _holds(paid, ReviewAction.BONUS):
            if same_bonus(paid):
                return paid
            another = " under another request token" if request is not None else ""
            raise ReviewRefused(f"assignment {aid} was already paid a bonus of "
                                f"${to_dollars(paid['amount_cents'])}{another}; it cannot get another")
        if assignment["bonus_paid"]:
            raise ReviewRefused(f"assignment {aid} was already paid a bonus of "
                                f"${to_dollars(assignment['bonus_amount_cents'])} outside Parley's "
                                "review; it cannot get another")
        verdict = holders.get(ReviewSlot.VERDICT)
        if verdict is not None and verdict["action"] == ReviewAction.REJECT and verdict["outcome"] in UNSETTLED_OUTCOMES:
            raise ReviewRefused(f"assignment {aid} is being rejected right now; a rejected assignment "
                                "gets no bonus")
        if assignment["status"] not in {*REVIEWABLE, AssignmentStatus.APPROVED}:
            raise ReviewRefused(f"assignment {aid} is {assignment['status']}: only finished work "
                                f"that is not rejected can get a bonus")
        return None

    return admit


def _in_flight(assignment: Record, holder: Record | None, action: str,
               same: Callable[[Record], bool] = lambda holder: True) -> Record | None:
    """When the slot's holder has not settled: answer it if it is the same action, ask for
    it to be settled if it may never answer, refuse otherwise."""
    if holder is None or holder["outcome"] not in UNSETTLED_OUTCOMES:
        return None
    if holder["outcome"] == ReviewOutcome.UNKNOWN or interrupted(holder):
        raise Unsettled(holder)
    if holder["action"] == action and same(holder):
        return holder
    what = holder["action"] + (f" of ${to_dollars(holder['amount_cents'])}" if holder["amount_cents"] else "")
    raise ReviewRefused(f"assignment {assignment['assignment_id']}: a {what} asked by {holder['actor']} is "
                        f"being done right now, so this {action} was not done; reload to see how it ended")


def _holds(holder: Record | None, action: str) -> bool:
    return holder is not None and holder["action"] == action and holder["outcome"] == ReviewOutcome.SUCCEEDED
