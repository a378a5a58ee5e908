"""The runs list (home) and one run's page: counts, cost, charts and its conversations."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request

from crowd.orphans import what_happened
from datastore import InvalidValue
from datastore.states import RunStatus
from webapp import charts, formatting
from webapp.authenticity import flagged_only
from webapp.services import services
from webapp.twins import page, respond

runs = Blueprint("runs", __name__)

PAGE_SIZE = 50
FORM_ROWS_SHOWN = 100
"""Per-item majorities the run page lists per question; the JSON twin has them all."""
RUN_STATUSES = tuple(RunStatus)


def _limit() -> int:
    try:
        limit = int(request.args.get("limit", PAGE_SIZE))
    except ValueError:
        abort(400, description="limit must be a whole number")
    if not 1 <= limit <= 500:
        abort(400, description="limit must be between 1 and 500")
    return limit


def flag_arg(name: str) -> bool | None:
    value = request.args.get(name, "")
    if value == "":
        return None
    if value not in ("0", "1", "true", "false"):
        abort(400, description=f"{name} must be 1 or 0")
    return value in ("1", "true")


@page(runs, "/")
def index() -> Any:
    args = request.args
    status = args.get("status") or None
    if status is not None and status not in RUN_STATUSES:
        abort(400, description=f"status must be one of {', '.join(RUN_STATUSES)}")
    filters: dict[str, Any] = {"task": args.get("task") or None, "provider": args.get("provider") or None,
               "status": status, "is_sandbox": flag_arg("sandbox"),
               "include_tests": bool(flag_arg("tests")), "include_discarded": bool(flag_arg("discarded"))}
    try:
        listing = services().handler.list_runs(after=args.get("after") or None, limit=_limit(), **filters)
    except InvalidValue as exc:
        abort(400, description=str(exc))
    data = {"runs": [_with_note(r) for r in listing["items"]], "next": listing["next"], "filters": filters}
    return respond("runs.html", data, tasks=services().handler.list_tasks_with_runs(),
                   statuses=RUN_STATUSES)


@page(runs, "/runs/<run_id>")
def run(run_id: str) -> Any:
    handler = services().handler
    summary = handler.run_summary(run_id)
    if summary is None:
        abort(404, description=f"There is no run {run_id!r}.")
    try:
        conversations = handler.list_conversations(
            run_id, after=request.args.get("after") or None, limit=_limit(),
            unreviewed_only=bool(flag_arg("unreviewed")), flagged_only=flagged_only())
    except InvalidValue as exc:
        abort(400, description=str(exc))
    data = {"run": _with_note(summary), "conversations": conversations["items"], "next": conversations["next"],
            "form": _form_report(run_id)}
    return respond("run.html", data, charts=_charts(summary), form_rows_shown=FORM_ROWS_SHOWN)


def _form_report(run_id: str) -> dict[str, Any] | None:
    """The form run's report (None for a chat run). Answers the store holds but the report
    cannot read (say, a choice that is not an option) become {"error": sentence}, so the
    rest of the run page still shows."""
    try:
        return services().handler.form_report(run_id)
    except InvalidValue as exc:
        return {"error": f"The form's report cannot be made: {str(exc).rstrip('.')}."}


def _with_note(run: dict[str, Any]) -> dict[str, Any]:
    """The run with `note`: what happened to it, in a sentence, when its runner died."""
    interruption = run["interruption"]
    return {**run, "note": what_happened(interruption) if interruption else None}


def _charts(summary: dict[str, Any]) -> dict[str, Any]:
    bins = summary.get("durations", {}).get("bins", [])
    outcomes = summary.get("outcomes_over_time", [])
    return {
        "durations": charts.bar_chart(
            "Time to complete", [formatting.duration(b["start"]) for b in bins],
            [("assignments", "chart__bar--info", [b["count"] for b in bins])]),
        "outcomes": charts.bar_chart(
            "Outcomes over time", [formatting.clock(o["start"])[:5] for o in outcomes],
            [("completed", "chart__bar--good", [o["completed"] for o in outcomes]),
             ("failed", "chart__bar--bad", [o["failed"] for o in outcomes])]),
        "approval": charts.rate_bar("Approval rate", summary.get("approval_rate")),
    }
