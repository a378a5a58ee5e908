"""The disconnect cap: a worker who has left `--disconnect-cap` tasks mid-way (in any run of
this store) meets the run's consequences, each through the review service, so each is
audited and happens at most once: `--disconnect-qualification` is granted as a soft block
(the run's HITs require not having it), and with `--hard-block` the worker is hard-blocked."""
from __future__ import annotations

from crowd.options import RunOptions
from crowd.review import ReviewResult, ReviewService
from datastore import MTurkDataHandler
from datastore.states import AssignmentStatus

ACTOR = "disconnect-cap"


def disconnects(handler: MTurkDataHandler, worker_id: str) -> int:
    """The worker's assignments that ended with them disconnected, in every run of the store."""
    return sum(1 for a in handler.get_all_assignments_for_worker(worker_id)
               if a["status"] == AssignmentStatus.DISCONNECT)


def enforce_disconnect_cap(review: ReviewService, options: RunOptions, worker_id: str,
                           run_id: str) -> list[ReviewResult]:
    """After a disconnect: block the worker as the run's flags say once they reach the cap.
    Answers the blocks' results (repeated ones for a worker already blocked)."""
    if not options.disconnect_cap or not (options.disconnect_qualification or options.hard_block):
        return []
    if disconnects(review.handler, worker_id) < options.disconnect_cap:
        return []
    # The same reason every time: two disconnects at once make one request, not two.
    reason = f"disconnected from {options.disconnect_cap} or more tasks"
    results = []
    if options.disconnect_qualification:
        results.append(review.soft_block(worker_id, run_id=run_id, actor=ACTOR, reason=reason,
                                         qualification_name=options.disconnect_qualification))
    if options.hard_block:
        results.append(review.hard_block(worker_id, run_id=run_id, actor=ACTOR, reason=reason))
    return results
