"""Status enums and the one table that decides which status changes are allowed.

Every writer in the handler asks `check_assignment_transition` before it touches a row,
so an illegal change raises before anything is written.
"""
from __future__ import annotations

from enum import StrEnum

from datastore.errors import IllegalTransition


class AssignmentStatus(StrEnum):
    """Where one worker's assignment is, from accept to review."""

    ACCEPTED = "accepted"
    ONBOARDING = "onboarding"
    WAITING = "waiting"
    IN_TASK = "in_task"
    COMPLETED = "completed"
    PARTNER_DISCONNECT = "partner_disconnect"
    DISCONNECT = "disconnect"
    TIMEOUT = "timeout"
    RETURNED = "returned"
    EXPIRED = "expired"
    ABANDONED = "abandoned"
    INTERRUPTED = "interrupted"
    """The runner died while the worker was in the task: what they did is kept for review."""
    RELEASED = "released"
    """Nobody was paired with the worker within the run's --max-wait: the run let them go.
    Their wait is work to pay for (the reward, and the run's waiting bonus once submitted)."""
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


S = AssignmentStatus

# Ways a live worker can leave before finishing: each is open from every live status.
_LEAVING = {S.DISCONNECT, S.TIMEOUT, S.RETURNED, S.EXPIRED, S.ABANDONED}

ASSIGNMENT_TRANSITIONS: dict[AssignmentStatus, frozenset[AssignmentStatus]] = {
    S.ACCEPTED: frozenset({S.ONBOARDING, S.WAITING, *_LEAVING}),
    S.ONBOARDING: frozenset({S.WAITING, *_LEAVING}),
    S.WAITING: frozenset({S.IN_TASK, S.RELEASED, *_LEAVING}),
    # A worker may submit on the marketplace while the runner is down (found by reconciliation).
    S.IN_TASK: frozenset({S.COMPLETED, S.PARTNER_DISCONNECT, S.SUBMITTED, S.INTERRUPTED, *_LEAVING}),
    S.COMPLETED: frozenset({S.SUBMITTED, S.APPROVED, S.REJECTED, S.ABANDONED}),
    S.PARTNER_DISCONNECT: frozenset({S.SUBMITTED, S.APPROVED, S.REJECTED, S.ABANDONED}),
    # A worker who dropped out can still press submit on the marketplace page.
    S.DISCONNECT: frozenset({S.SUBMITTED}),
    S.TIMEOUT: frozenset({S.SUBMITTED}),
    # The worker did real work until the runner died: the reviewer decides on it, and a
    # marketplace may still report it submitted (reconciliation).
    S.INTERRUPTED: frozenset({S.SUBMITTED, S.APPROVED, S.REJECTED}),
    # A released worker submits their waited time like finished work, and it is reviewed so.
    S.RELEASED: frozenset({S.SUBMITTED, S.APPROVED, S.REJECTED}),
    S.SUBMITTED: frozenset({S.APPROVED, S.REJECTED}),
    # Overriding a rejection is allowed (when the reviewer asks to); the reverse never is.
    S.REJECTED: frozenset({S.APPROVED}),
    S.RETURNED: frozenset(),
    # A worker the runner sent away (run full, onboarding failed) still holds the assignment
    # on the marketplace and may submit it there; what they submit must be reviewed.
    S.EXPIRED: frozenset({S.SUBMITTED}),
    S.ABANDONED: frozenset(),
    S.APPROVED: frozenset(),
}

# Helper groups, so callers never spell out lists of statuses themselves.
LIVE = frozenset({S.ACCEPTED, S.ONBOARDING, S.WAITING, S.IN_TASK})
"""The runner holds an agent for the worker."""
REVIEWABLE = frozenset({S.COMPLETED, S.PARTNER_DISCONNECT, S.INTERRUPTED, S.RELEASED, S.SUBMITTED})
"""Work that can be approved or rejected now."""
REVIEWED = frozenset({S.APPROVED, S.REJECTED})
FAILED = frozenset({S.DISCONNECT, S.TIMEOUT, S.RETURNED, S.EXPIRED, S.ABANDONED})
"""Counted as failed for the run: the worker did not finish."""
FINISHED_TASK = frozenset({*REVIEWABLE, *REVIEWED})
"""Counted as complete for the run: like a partner's disconnect, an interrupted task ended
from outside while the worker was still at it."""
FINAL = frozenset(s for s, nxt in ASSIGNMENT_TRANSITIONS.items() if not nxt)
"""No further change is possible."""
WHEN_THE_RUNNER_DIED: dict[AssignmentStatus, AssignmentStatus] = {
    S.ACCEPTED: S.EXPIRED,
    S.ONBOARDING: S.EXPIRED,
    S.WAITING: S.EXPIRED,
    S.IN_TASK: S.INTERRUPTED,
}
"""Where each live assignment goes when its run is found with its runner dead: a worker who
had not reached the task yet did no task work and is let go; one in the task is kept for review."""


def check_assignment_transition(assignment_id: str, current: str, new: str) -> None:
    """Raise `IllegalTransition` unless `current` → `new` is allowed."""
    try:
        old, target = AssignmentStatus(current), AssignmentStatus(new)
    except ValueError:
        raise IllegalTransition(
            f"assignment {assignment_id}: {new!r} is not an assignment status"
            if current in AssignmentStatus._value2member_map_
            else f"assignment {assignment_id} has unknown status {current!r}"
        ) from None
    if target not in ASSIGNMENT_TRANSITIONS[old]:
        allowed = ", ".join(sorted(ASSIGNMENT_TRANSITIONS[old])) or "none, it is final"
        raise IllegalTransition(
            f"assignment {assignment_id} is {old.value!r} and cannot become {target.value!r} "
            f"(allowed next: {allowed})"
        )


def transition_needed(assignment_id: str, current: str, new: str) -> bool:
    """False when the assignment already is `new` (writing a status again is a no-op, so
    retries are harmless), True when `current` → `new` is allowed; raises otherwise."""
    if current == new:
        return False
    check_assignment_transition(assignment_id, current, new)
    return True


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"
    """Ended by its operator (Ctrl-C, SIGTERM) or by a provider's cleanup after its runner died."""
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    """Its runner died (killed, crashed, the machine went down); the next start ended it."""


class StopCause(StrEnum):
    """Why a run was asked to stop through the store (`runs.stop_requested_by`)."""

    REVIEWER = "reviewer"
    """A reviewer stopped it from the dashboard."""
    IDLE = "idle"
    """A test run nobody touched for its idle limit ended itself."""


class HitStatus(StrEnum):
    """A HIT's status in the store: ParlAI's vocabulary (spelled as ParlAI's first
    marketplace spells it); each provider maps its own states onto these."""

    ASSIGNABLE = "Assignable"
    UNASSIGNABLE = "Unassignable"
    REVIEWABLE = "Reviewable"
    REVIEWING = "Reviewing"
    DISPOSED = "Disposed"


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    BONUS = "bonus"
    SOFT_BLOCK = "soft_block"
    HARD_BLOCK = "hard_block"
    UNBLOCK = "unblock"
    NOTIFY = "notify"
    """A message to a worker, sent through their marketplace."""
    COMPENSATE = "compensate"
    """A bonus to a worker that no assignment in the store is for (paid on the marketplace
    through one of their earlier assignments with this requester)."""
    GRANT_QUALIFICATION = "grant_qualification"
    REVOKE_QUALIFICATION = "revoke_qualification"


class ReviewOutcome(StrEnum):
    PENDING = "pending"
    """Written before the provider is called; the call has not answered yet."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """The provider did not act: it refused, or it was asked afterwards and had not acted."""
    UNKNOWN = "unknown"
    """The call may or may not have acted (a timeout, a lost answer, a process that died
    mid-call); the provider is asked before anything on the assignment is tried again."""


UNSETTLED_OUTCOMES = frozenset({ReviewOutcome.PENDING, ReviewOutcome.UNKNOWN})
"""An action in one of these may have moved money or decided a verdict, or may still."""


class ReviewSlot(StrEnum):
    """What an action on an assignment decides. Each slot holds at most one action at a time
    (the `review_guards` table), so two requests can never both reach the marketplace."""

    VERDICT = "verdict"
    BONUS = "bonus"


ACTION_SLOTS = {ReviewAction.APPROVE: ReviewSlot.VERDICT, ReviewAction.REJECT: ReviewSlot.VERDICT,
                ReviewAction.BONUS: ReviewSlot.BONUS}
"""The money and verdict actions, and the slot each takes on its assignment."""


class BlockKind(StrEnum):
    SOFT = "soft"
    HARD = "hard"


class ClaimState(StrEnum):
    """What became of a form item handed to a worker's assignment (`form_claims`): open until
    answered, or released when the assignment ended first. Only an open claim can change."""

    OPEN = "open"
    ANSWERED = "answered"
    RELEASED = "released"


HELD_CLAIMS = frozenset({ClaimState.OPEN, ClaimState.ANSWERED})
"""Claims that count towards an item's N annotators: its answers and the answers on their way."""
