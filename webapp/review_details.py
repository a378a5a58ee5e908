"""What the review pages show of one worker's assignment besides the messages: onboarding
answers, a form's items and answers, the bonus owed or paid, how the worker composed their
messages in the run, and the audit log of what was done to it. One home, so the
conversation page and the review queue show the same thing."""
from __future__ import annotations

from typing import Any

from datastore import MTurkDataHandler
from datastore.records import Record
from webapp.form_review import form_of_assignment


def with_review_details(handler: MTurkDataHandler, run: Record, worker: dict[str, Any]) -> dict[str, Any]:
    """`worker` (a dict with `worker_id` and `assignment_id`, of `run`) with `onboarding`,
    `form` (its items and answers in a form run, else None; see webapp/form_review.py),
    `bonus_amount_cents`, `bonus_paid`, `authenticity` (the worker's authenticity summary
    in the run, see datastore/authenticity_summary.py) and `review_actions` added."""
    assignment_id = worker["assignment_id"]
    onboarding = handler.get_onboarding_data(assignment_id)
    pairing = handler.get_worker_assignment_pairing(worker["worker_id"], assignment_id)
    return {
        **worker,
        "onboarding": onboarding.as_dict() if onboarding is not None else None,
        "form": form_of_assignment(handler, run, assignment_id),
        "bonus_amount_cents": pairing["bonus_amount_cents"] if pairing else 0,
        "bonus_paid": bool(pairing and pairing["bonus_paid"]),
        "authenticity": handler.authenticity_summary(worker["worker_id"], run_id=run["run_id"]),
        "review_actions": [a.as_dict() for a in handler.get_review_actions(assignment_id=assignment_id)],
    }
