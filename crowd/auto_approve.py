"""Auto-approval where the marketplace does not approve by itself (`Provider.approves_by_itself`
is False: the local provider): submitted work whose `--auto-approve-delay` has passed is
approved through the review service as actor "auto-approve", so it is audited and, against a
reviewer or another sweep, decided once."""
from __future__ import annotations

import logging
import time

from crowd.review import ReviewRefused, ReviewResult, ReviewService
from datastore.states import AssignmentStatus

ACTOR = "auto-approve"
SWEEP_SECONDS = 1.0
"""How often a runner looks for work whose delay has passed."""

log = logging.getLogger("parley.auto_approve")


def approve_due(review: ReviewService, run_id: str, *, now: float | None = None) -> list[ReviewResult]:
    """Approve the run's submitted work whose approve time has passed; answers what was asked.
    Work a reviewer has decided on meanwhile is left as they decided."""
    now = time.time() if now is None else now
    results = []
    for assignment in review.handler.get_assignments_for_run(run_id):
        due = assignment["approve_time"] is not None and assignment["approve_time"] <= now
        if assignment["status"] != AssignmentStatus.SUBMITTED or not due:
            continue
        try:
            results.append(review.approve(assignment["assignment_id"], actor=ACTOR))
        except ReviewRefused as exc:  # a reviewer's verdict is under way or came first
            log.info("not auto-approved: %s", exc)
    return results
