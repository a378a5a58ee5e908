"""Payments: what every run has paid and owes, per currency; one run's payments and its
payments log (money, verdicts and blocks, with their reasons), also as a CSV download.
Paying every approved bonus at once is a run-wide action with a preview (webapp/bulk.py)."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response

from datastore.bulk_jobs import BulkAction
from datastore.export import spreadsheet_cell
from datastore.money import to_dollars
from datastore.states import ReviewAction
from webapp.runs import flag_arg
from webapp.services import services
from webapp.twins import page, respond

payments = Blueprint("payments", __name__)

LOG_ACTIONS = frozenset({ReviewAction.APPROVE, ReviewAction.REJECT, ReviewAction.BONUS, ReviewAction.SOFT_BLOCK,
                         ReviewAction.HARD_BLOCK, ReviewAction.UNBLOCK})
"""What the payments log shows: what moved money or decided a verdict, and the blocks around it."""
LOG_SHOWN = 200
CSV_COLUMNS = ("when_utc", "action", "assignment_id", "worker_id", "amount", "currency", "reason", "category",
               "outcome", "error", "actor")


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
                                     "review_actions": _log(run_id)[-LOG_SHOWN:]},
                   run=run, pay_bonuses=BulkAction.PAY_BONUSES)


@payments.get("/runs/<run_id>/payments.csv")
def run_payments_csv(run_id: str) -> Any:
    """The whole payments log of the run, oldest first, one action a row; cells a spreadsheet
    would run as a formula are kept as text."""
    run = services().run_or_404(run_id)
    out = io.StringIO()
    rows = csv.writer(out)
    rows.writerow(CSV_COLUMNS)
    for a in _log(run_id):
        rows.writerow([spreadsheet_cell(value) for value in (
            datetime.fromtimestamp(a["created"], UTC).strftime("%Y-%m-%d %H:%M:%S"), a["action"],
            a["assignment_id"], a["worker_id"],
            to_dollars(a["amount_cents"]) if a["amount_cents"] is not None else None,
            run["currency"] if a["amount_cents"] is not None else None, a["reason"],
            (a["provider_response"] or {}).get("category"), a["outcome"], a["error"], a["actor"])])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="payments-{run_id}.csv"'})


def _log(run_id: str) -> list[dict[str, Any]]:
    rows = services().handler.get_review_actions(run_id=run_id)
    return [r.as_dict() for r in rows if r["action"] in LOG_ACTIONS]
