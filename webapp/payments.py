"""Payments: what every run has paid and owes, per currency; one run's payments, and paying
every approved bonus of it at once."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, url_for

from crowd.base import Refused
from crowd.review import ReviewRefused
from webapp.runs import flag_arg
from webapp.services import services
from webapp.twins import page, respond, wants_json

payments = Blueprint("payments", __name__)

PAY_ALL_AT_ONCE = 1000
"""Bonuses one click on "Pay all approved bonuses" pays at most (the page lists fewer)."""


@page(payments, "/payments")
def overview() -> Any:
    """Paid and owed in each currency, over every live and local run (with ?sandbox=1, every
    sandbox run): amounts in two currencies are never added together."""
    is_sandbox = bool(flag_arg("sandbox"))
    return respond("payments_overview.html", {
        "is_sandbox": is_sandbox, "currencies": services().handler.payments_by_currency(is_sandbox=is_sandbox)})


@page(payments, "/runs/<run_id>/payments")
def run_payments(run_id: str) -> Any:
    handler = services().handler
    run = services().run_or_404(run_id)
    return respond("payments.html", {"run_id": run_id, "payments": handler.payments_for_run(run_id),
                                     "review_actions": _money_actions(run_id)}, run=run)


@payments.post("/runs/<run_id>/payments/pay-approved-bonuses")
def pay_approved_bonuses(run_id: str) -> Any:
    """Pay every bonus awarded to an approved assignment and not paid yet. Idempotent: each
    payment goes through the review service, so running it twice pays nothing twice."""
    svc = services()
    svc.run_or_404(run_id)
    payments = svc.handler.payments_for_run(run_id, bonus_list_cap=PAY_ALL_AT_ONCE)
    unpaid = payments["unpaid_bonuses"] if payments is not None else []
    paid, problems = 0, []
    for bonus in unpaid:
        if bonus["status"] != "approved":
            continue
        try:
            result = svc.review.bonus(bonus["assignment_id"], f"{bonus['amount_cents'] / 100:.2f}",
                                      actor="reviewer", reason=bonus["reason"] or "Bonus")
        except (ReviewRefused, Refused) as exc:
            problems.append(f"{bonus['assignment_id']}: {exc}")
            continue
        if result.succeeded and not result.repeated:
            paid += 1
        elif not result.succeeded:
            problems.append(f"{bonus['assignment_id']}: {result.action['error']}")
    if wants_json():
        return jsonify(paid=paid, problems=problems)
    flash(f"Paid {paid} bonus{'es' if paid != 1 else ''}." + (f" {len(problems)} could not be paid." if problems else ""),
          "ok" if not problems else "error")
    for problem in problems[:20]:
        flash(problem, "error")
    return redirect(url_for("payments.run_payments", run_id=run_id), code=303)


def _money_actions(run_id: str) -> list[dict[str, Any]]:
    rows = services().handler.get_review_actions(run_id=run_id)
    return [r.as_dict() for r in rows if r["action"] in ("approve", "reject", "bonus")][-200:]

