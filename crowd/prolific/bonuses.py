"""A Prolific bonus, in the two steps Prolific's API documents: set up a bulk bonus (POST
/submissions/bonus-payments/, which pays nothing and answers its id), then pay it (POST
/bulk-bonus-payments/{id}/pay/, which is NOT idempotent: paying twice pays twice).

Each step is recorded on the bonus's audit row (`progress`) before the next call is sent, so
a process that dies anywhere leaves a row that says how far it got:

- SETTING_UP: the set-up may have been sent, pay was not: nothing was paid. Such a bonus is
  failed, and only a new request from the reviewer sets up another.
- SET_UP (with the bulk bonus's id): pay was not sent. It is paid at the next settle, that same
  set-up and once (recording PAYING decides which process sends it).
- PAYING: pay may have been sent. Paid only if Prolific shows it; never sent again.

Prolific documents no way to cancel or delete a bulk bonus that was set up. A set-up that is
never paid pays nothing, so "cancelled" here means abandoned: its audit row is finished as
failed with the set-up's id kept in it, and nothing will ever pay that set-up.
"""
from __future__ import annotations

from typing import Any

from crowd.base import NotDone, OutcomeUnknown, Progress, Refused
from crowd.prolific.client import ProlificClient
from datastore.money import to_dollars
from datastore.records import Record

SETTING_UP, SET_UP, PAYING = "setting_up", "set_up", "paying"


def set_up_and_pay(client: ProlificClient, study_id: str, assignment_id: str, amount_cents: int,
                   progress: Progress | None) -> dict[str, Any]:
    """Set up a bulk bonus of `amount_cents` for this one submission, then pay it; answers the
    set-up's id and cost. Without `progress` (a call outside the review service) the steps are
    not recorded. A set-up whose answer was lost pays nothing: Refused (a failed bonus). Pay's
    lost answer is OutcomeUnknown, settled by the payment showing on the submission."""
    _record(progress, SETTING_UP, {}, None)
    try:
        setup = client.post("/api/v1/submissions/bonus-payments/",
                            {"study_id": study_id, "csv_bonuses": f"{assignment_id},{to_dollars(amount_cents)}\n"})
    except OutcomeUnknown as exc:
        raise Refused(f"Prolific did not answer the bonus's set-up ({exc}); a set-up pays nothing, "
                      "and it was not paid") from None
    detail = {"bonus_id": str(setup["id"]), "total_cost_cents": setup.get("total_amount")}
    _record(progress, SET_UP, detail, SETTING_UP)
    _pay(client, detail, progress)
    return detail


def resume(client: ProlificClient, action: Record, progress: Progress) -> dict[str, Any]:
    """Finish the bonus of the audit row `action` from the step it recorded (see the module's
    doc): answers what to keep of it once paid; NotDone when it was not paid and will not be;
    Refused when that cannot be told now."""
    recorded = dict(action["provider_progress"] or {})
    step, bonus_id = recorded.get("step"), recorded.get("bonus_id")
    if paid_on_submission(client, action):
        return {"settled": "Prolific was asked afterwards: the bonus was paid", **recorded}
    if step == SETTING_UP:
        raise NotDone("the process stopped while setting the bonus up, before paying it; a set-up pays "
                      "nothing, and Prolific shows no payment, so it was not paid")
    if step != SET_UP:
        raise Refused(f"pay of bulk bonus {bonus_id} may have been sent (its answer was lost, or its process "
                      "stopped); Prolific does not show this bonus on the submission, and pays bonuses in the "
                      "minutes after they are paid, so it cannot tell yet whether it was paid. Pay is never "
                      "sent again: paying twice pays twice")
    try:
        _pay(client, recorded, progress)
    except OutcomeUnknown:
        raise
    except Refused as exc:
        raise NotDone(f"bulk bonus {bonus_id} was set up but not paid when the process stopped, and "
                      f"it could not be paid now ({exc}); Prolific cannot cancel a set-up, so it is abandoned "
                      "unpaid (it pays nothing) and a new request sets up a new one") from None
    return {"settled": f"bulk bonus {bonus_id} was set up but not paid when the process stopped: "
                       "it was paid now, once", **recorded, "step": PAYING}


def paid_on_submission(client: ProlificClient, action: Record) -> bool:
    """Whether the submission lists a bonus payment of the action's amount (in cents)."""
    submission = client.get(f"/api/v1/submissions/{action['assignment_id']}/")
    return int(action["amount_cents"]) in [int(p) for p in submission.get("bonus_payments") or []]


def _pay(client: ProlificClient, detail: dict[str, Any], progress: Progress | None) -> None:
    """Pay the set-up bulk bonus, if this process is the one that records PAYING."""
    if progress is not None and not _recorded(progress, PAYING, detail, SET_UP):
        raise OutcomeUnknown(f"another process is paying bulk bonus {detail['bonus_id']}; it was not paid here")
    client.post(f"/api/v1/bulk-bonus-payments/{detail['bonus_id']}/pay/")


def _record(progress: Progress | None, step: str, detail: dict[str, Any], after: str | None) -> None:
    """Record a step before the call it allows; not recorded, the call is not sent (Refused)."""
    if progress is not None and not _recorded(progress, step, detail, after):
        raise Refused("this bonus's audit row was finished or taken over elsewhere while it was set up; "
                      "it was not paid here")


def _recorded(progress: Progress, step: str, detail: dict[str, Any], after: str | None) -> bool:
    try:
        return progress(step, detail, after)
    except Exception as exc:
        raise Refused(f"the store could not record the bonus's progress ({type(exc).__name__}: {exc}); "
                      "nothing more was sent to Prolific, and it was not paid") from None
