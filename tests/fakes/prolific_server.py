"""A local fake of Prolific's researcher REST API (https://api.prolific.com/api/v1/), served as
JSON over HTTP, so a real HTTP client can be pointed at it (Prolific has no sandbox).

    with FakeProlific() as fake:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {fake.token}"
        study = session.post(f"{fake.url}/api/v1/studies/", json={...}).json()
        session.post(f"{fake.url}/api/v1/studies/{study['id']}/transition/", json={"action": "PUBLISH"})
        visit = fake.start_study(study["id"], "P1")  # a simulated participant opens the study
        fake.complete(visit.submission_id, "C1DONE")  # ... and comes back with a completion code

What it models, following Prolific's API reference (docs.prolific.com/api-reference):
- Auth: every call needs `Authorization: Token <token>`; anything else answers 401.
- Studies: a draft (status UNPUBLISHED) is created with POST /studies/, read, listed, updated
  with PATCH, and moved with POST /studies/{id}/transition/ (PUBLISH, PAUSE, START, STOP). The
  study reports its cost as Prolific does: `reward` and `fees_per_submission` in cents, the
  `fees_percentage` and `vat_percentage` of the account, and `total_cost` (places x (reward +
  fees + VAT on the fees)) in cents of `currency_code`.
- Submissions (statuses RESERVED, ACTIVE, AWAITING REVIEW, APPROVED, REJECTED, RETURNED,
  TIMED-OUT): listed per study a page at a time, read, and moved with POST
  /submissions/{id}/transition/ APPROVE or REJECT. REJECT needs a `message` of at least 100
  characters and a documented `rejection_category`. The transition is idempotent as documented:
  the same action again is ignored; a different verdict after the first is refused with 400.
- Bonuses: POST /submissions/bonus-payments/ sets up a bulk bonus from `csv_bonuses`
  ("<participant or submission id>,<amount in the study currency>" lines) and answers amounts in
  cents; POST /bulk-bonus-payments/{id}/pay/ pays it. Paying is NOT idempotent, as Prolific warns:
  every pay call pays every line again. `bonus_payments` lists each payment made.
- Participant groups: create, list, add and remove participants, list members. A study filter
  `participant_group_blocklist` (or `participant_group_allowlist`) with group ids in
  `selected_values` keeps the groups' members out of (or alone in) the study, and membership is
  read when a participant tries to start, so later additions apply to live studies.
- Messages: POST /messages/ with `recipient_id`, `body` and `study_id`; POST /messages/bulk/
  with `ids` (participants), `body` and `study_id`.
- Workspaces: GET /workspaces/ lists the account's one workspace (groups are kept in it).
- A draft study can be deleted (DELETE /studies/{id}/, 204); a published one cannot (400).
- One submission (GET /submissions/{id}/) names its participant `participant` and its code
  `entered_code`; list items call them `participant_id` and `study_code`, as documented.
- Lists answer {"results": [...], "_links": {"self", "next", "previous", "last"}, "meta":
  {"count"}}; `page` (from 1) and `page_size` (1..200, default 20) choose the page.
- Errors answer {"error": {"status", "error_code", "title", "detail", "additional_information",
  "traceback", "interactive"}}; `detail` is a sentence, or for invalid fields an object of
  field -> list of sentences, as Prolific's Django REST framework does.

Where the documentation is silent, the fake chooses (and tests pin) the following:
- `error_code` is the HTTP status followed by "001" (Prolific's numbering is not published).
- A new submission is ACTIVE at once (no RESERVED stage) and its place is taken until it is
  RETURNED, TIMED-OUT or REJECTED. A participant may hold one submission per study.
- A completion code the study lists applies its actions (MANUALLY_REVIEW -> AWAITING REVIEW,
  AUTOMATICALLY_APPROVE -> APPROVED, ADD_TO_PARTICIPANT_GROUP / REMOVE_FROM_PARTICIPANT_GROUP
  with `participant_group`); an unknown code is still recorded (`study_code`) and the
  submission waits for review, as a participant who typed a wrong code does on Prolific.
- With `prolific_id_option` "url_parameters" (the default) `external_study_url` must hold
  {{%PROLIFIC_PID%}}; `start_study` answers the URL with the three placeholders filled in.
- Publishing needs the account's balance to cover `total_cost`; approving charges reward and
  fees, paying a bonus charges its `total_amount` (each time it is paid).
- A published study accepts changes to `internal_name` and `total_available_places` only, and
  never fewer places than are taken. When every place is taken and nobody is still working the
  study is AWAITING REVIEW; more places make it ACTIVE again; STOP ends recruiting (AWAITING
  REVIEW while submissions wait for review, else COMPLETED).
- Pay answers 202 with an empty object (Prolific pays "in the following minutes"; the fake pays
  at once). Messages answer 201 with an empty object.
- Rate limiting: `limit_rate(n, per_seconds)` answers 429 with a Retry-After (whole seconds until
  the window frees a request) once n requests fell in the window, on the fake's clock.

Faults (`fail_next`) are injected at the HTTP layer per operation (names in ROUTES), optionally
after the operation took effect (a bonus paid, then the connection dropped), and every request
that passes authentication is recorded in `calls`.

Run it on its own with `python -m tests.fakes.prolific_server --port 8444`.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import secrets
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from tests.fakes.serving import BackgroundServer

Body = dict[str, Any]

API = "/api/v1"
DEFAULT_TOKEN = "fake-prolific-token"
DEFAULT_BALANCE_CENTS = 1_000_000
DEFAULT_CURRENCY = "GBP"
DEFAULT_FEES_PERCENTAGE = Decimal("0.333")
DEFAULT_VAT_PERCENTAGE = Decimal("0.2")
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
MIN_REJECTION_MESSAGE = 100

PID, STUDY, SESSION = "{{%PROLIFIC_PID%}}", "{{%STUDY_ID%}}", "{{%SESSION_ID%}}"

# Study statuses and transitions: action -> (statuses it may leave, status it reaches).
UNPUBLISHED, ACTIVE, PAUSED, AWAITING_REVIEW, COMPLETED = (
    "UNPUBLISHED", "ACTIVE", "PAUSED", "AWAITING REVIEW", "COMPLETED")
STUDY_TRANSITIONS = {
    "PUBLISH": ((UNPUBLISHED,), ACTIVE),
    "PAUSE": ((ACTIVE,), PAUSED),
    "START": ((PAUSED,), ACTIVE),
    "STOP": ((ACTIVE, PAUSED, AWAITING_REVIEW), COMPLETED),
}
RECRUITING = (ACTIVE,)
PUBLISHED_EDITABLE = ("internal_name", "total_available_places")

# Submission statuses; the last three free the place again.
SUB_ACTIVE, SUB_AWAITING, APPROVED, REJECTED, RETURNED, TIMED_OUT = (
    "ACTIVE", "AWAITING REVIEW", "APPROVED", "REJECTED", "RETURNED", "TIMED-OUT")
PLACE_FREED = (REJECTED, RETURNED, TIMED_OUT)
VERDICTS = {"APPROVE": APPROVED, "REJECT": REJECTED}
REJECTION_CATEGORIES = ("TOO_QUICKLY", "TOO_SLOWLY", "FAILED_INSTRUCTIONS", "INCOMP_LONGITUDINAL",
                        "FAILED_CHECK", "LOW_EFFORT", "MALINGERING", "NO_CODE", "BAD_CODE", "NO_DATA",
                        "UNSUPP_DEVICE", "OTHER")

COMPLETION_ACTIONS = ("MANUALLY_REVIEW", "AUTOMATICALLY_APPROVE", "ADD_TO_PARTICIPANT_GROUP",
                      "REMOVE_FROM_PARTICIPANT_GROUP", "REQUEST_RETURN")
CODE_TYPES = ("COMPLETED", "FAILED_ATTENTION_CHECK", "FOLLOW_UP_STUDY", "GIVE_BONUS", "INCOMPATIBLE_DEVICE",
              "NO_CONSENT", "OTHER", "FIXED_SCREENOUT")
DEVICES = ("desktop", "tablet", "mobile")
ID_OPTIONS = ("url_parameters", "question", "not_required")
BLOCKLIST, ALLOWLIST = "participant_group_blocklist", "participant_group_allowlist"

# What `fail_next` can answer: name -> HTTP status. RATE_LIMITED adds a Retry-After header.
FAULTS = {"InternalServerError": 500, "BadGateway": 502, "ServiceUnavailable": 503,
          "GatewayTimeout": 504, "RateLimited": 429}
DROP_CONNECTION = "ConnectionDropped"
RETRY_AFTER_SECONDS = 1
TITLES = {400: "Bad request", 401: "Not authenticated", 404: "Not found", 405: "Method not allowed",
          429: "Too many requests", 500: "Internal server error", 502: "Bad gateway",
          503: "Service unavailable", 504: "Gateway timeout"}


# ---------------------------------------------------------------------------------------------
# Errors


class ProlificError(Exception):
    """An error answer in Prolific's envelope."""

    def __init__(self, status: int, detail: str | dict[str, list[str]]) -> None:
        super().__init__(str(detail))
        self.status, self.detail = status, detail

    def body(self) -> Body:
        return {"error": {"status": self.status, "error_code": int(f"{self.status}001"),
                          "title": TITLES.get(self.status, "Error"), "detail": self.detail,
                          "additional_information": "", "traceback": "", "interactive": False}}


def invalid(problems: dict[str, list[str]]) -> ProlificError:
    return ProlificError(400, problems)


def not_found(what: str, ident: str) -> ProlificError:
    return ProlificError(404, f"{what} {ident} was not found.")


class ActionRefused(Exception):
    """A simulated participant action that Prolific would not allow (blocked, no place left...)."""


# ---------------------------------------------------------------------------------------------
# Records


def new_id() -> str:
    """Prolific ids are 24 lowercase hex digits (Mongo ObjectIds)."""
    return secrets.token_hex(12)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def cents(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Study:
    id: str
    fields: Body
    status: str
    created_at: float
    published_at: float | None = None
    stopped: bool = False


@dataclass
class Submission:
    id: str
    study_id: str
    participant_id: str
    status: str
    started_at: float
    completed_at: float | None = None
    study_code: str | None = None
    return_requested: bool = False
    rejection: Body | None = None


@dataclass
class Group:
    id: str
    name: str
    description: str
    workspace_id: str | None
    members: dict[str, float] = field(default_factory=dict)  # participant id -> added at


@dataclass
class BulkBonus:
    id: str
    study_id: str
    lines: list[tuple[str, str, int]]  # (participant id, submission id, amount in cents)
    amount: int
    fees: int
    vat: int

    @property
    def total_amount(self) -> int:
        return self.amount + self.fees + self.vat


@dataclass(frozen=True)
class Visit:
    """What a participant gets on starting a study: their submission and the study URL filled in."""
    submission_id: str
    url: str


class Clock:
    """Real time plus an offset that `advance` grows (rate-limit windows follow it)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the fake's clock only moves forward")
        with self._lock:
            self._offset += seconds


# ---------------------------------------------------------------------------------------------
# Input checks


def require(body: Body, name: str, kind: type | tuple[type, ...], problems: dict[str, list[str]],
            *, optional: bool = False) -> Any:
    if name not in body or body[name] is None:
        if not optional:
            problems.setdefault(name, []).append("This field is required.")
        return None
    value, kinds = body[name], kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        problems.setdefault(name, []).append("Not a valid value.")
        return None
    return value


def check_completion_codes(codes: Any, problems: dict[str, list[str]]) -> None:
    if not isinstance(codes, list) or not codes:
        problems.setdefault("completion_codes", []).append("Specify at least one completion code.")
        return
    seen: set[str] = set()
    for entry in codes:
        ok = (isinstance(entry, dict) and isinstance(entry.get("code"), str) and entry["code"]
              and entry.get("code_type") in CODE_TYPES and isinstance(entry.get("actions"), list)
              and all(isinstance(a, dict) and a.get("action") in COMPLETION_ACTIONS for a in entry["actions"]))
        if not ok:
            problems.setdefault("completion_codes", []).append(
                "Each completion code needs a code, a code_type and a list of actions.")
            return
        if entry["code"] in seen:
            problems.setdefault("completion_codes", []).append("Each code must be unique within a study.")
            return
        seen.add(entry["code"])
        kinds = {a["action"] for a in entry["actions"]}
        if {"MANUALLY_REVIEW", "AUTOMATICALLY_APPROVE"} <= kinds:
            problems.setdefault("completion_codes", []).append(
                "AUTOMATICALLY_APPROVE and MANUALLY_REVIEW cannot be used together.")
            return


def check_filters(filters: Any, groups: dict[str, Group], problems: dict[str, list[str]]) -> None:
    if not isinstance(filters, list):
        problems.setdefault("filters", []).append("Expected a list of filters.")
        return
    for entry in filters:
        if not isinstance(entry, dict) or not isinstance(entry.get("filter_id"), str):
            problems.setdefault("filters", []).append("Each filter needs a filter_id.")
            return
        if entry["filter_id"] in (BLOCKLIST, ALLOWLIST):
            values = entry.get("selected_values")
            if not isinstance(values, list) or not values:
                problems.setdefault("filters", []).append(f"{entry['filter_id']} needs selected_values.")
                return
            unknown = [v for v in values if v not in groups]
            if unknown:
                problems.setdefault("filters", []).append(f"Unknown participant group(s): {', '.join(map(str, unknown))}.")
                return


# ---------------------------------------------------------------------------------------------
# The marketplace: Prolific's rules over those records

Handler = Callable[["Marketplace", Body, dict[str, str], dict[str, str]], tuple[int, Body]]
ROUTES: dict[str, tuple[str, str]] = {}  # operation -> (method, path rule)
HANDLERS: dict[str, Handler] = {}


def route(operation: str, method: str, path: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[operation] = (method, path)
        HANDLERS[operation] = handler
        return handler
    return register


class Marketplace:
    """Prolific's state and rules. Every public method takes the one lock."""

    def __init__(self, *, balance: int, currency: str, fees_percentage: Decimal, vat_percentage: Decimal,
                 clock: Clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.user_id = new_id()
        self.workspace_id = new_id()
        self.balance, self.currency = balance, currency
        self.fees_percentage, self.vat_percentage = fees_percentage, vat_percentage
        self.studies: dict[str, Study] = {}
        self.submissions: dict[str, Submission] = {}
        self.groups: dict[str, Group] = {}
        self.bulk_bonuses: dict[str, BulkBonus] = {}
        self.bonus_payments: list[Body] = []
        self.messages: list[Body] = []

    def call(self, operation: str, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
        with self.lock:
            return HANDLERS[operation](self, body, args, query)

    # -- money -----------------------------------------------------------------------------------

    def fees_on(self, amount: int) -> tuple[int, int]:
        fees = cents(amount * self.fees_percentage)
        return fees, cents(fees * self.vat_percentage)

    def study_cost(self, fields: Body) -> Body:
        reward, places = fields.get("reward") or 0, fields.get("total_available_places") or 0
        fees, vat = self.fees_on(reward)
        return {"fees_per_submission": fees, "vat_per_submission": vat,
                "fees_percentage": str(self.fees_percentage), "vat_percentage": str(self.vat_percentage),
                "total_cost": places * (reward + fees + vat), "currency_code": self.currency}

    # -- views -----------------------------------------------------------------------------------

    def study_view(self, study: Study) -> Body:
        taken = self.places_taken(study.id)
        return {**study.fields, "id": study.id, "status": study.status, "date_created": iso(study.created_at),
                "published_at": iso(study.published_at) if study.published_at else None,
                "places_taken": taken, "number_of_submissions": len(self.study_submissions(study.id)),
                "researcher": {"id": self.user_id}, **self.study_cost(study.fields)}

    def submission_view(self, sub: Submission) -> Body:
        return {"id": sub.id, "study_id": sub.study_id, "participant_id": sub.participant_id,
                "status": sub.status, "started_at": iso(sub.started_at),
                "completed_at": iso(sub.completed_at) if sub.completed_at else None,
                "study_code": sub.study_code, "return_requested": sub.return_requested,
                "reward": self.studies[sub.study_id].fields["reward"],
                "bonus_payments": [p["amount"] for p in self.bonus_payments if p["submission_id"] == sub.id]}

    def group_view(self, group: Group) -> Body:
        return {"id": group.id, "name": group.name, "description": group.description,
                "workspace_id": group.workspace_id, "organisation_id": None, "is_deleted": False,
                "participant_count": len(group.members), "feeder_studies": []}

    # -- lookups ---------------------------------------------------------------------------------

    def study(self, study_id: str) -> Study:
        if study_id not in self.studies:
            raise not_found("Study", study_id)
        return self.studies[study_id]

    def submission(self, submission_id: str) -> Submission:
        if submission_id not in self.submissions:
            raise not_found("Submission", submission_id)
        return self.submissions[submission_id]

    def group(self, group_id: str) -> Group:
        if group_id not in self.groups:
            raise not_found("Participant group", group_id)
        return self.groups[group_id]

    def study_submissions(self, study_id: str) -> list[Submission]:
        return [s for s in self.submissions.values() if s.study_id == study_id]

    def places_taken(self, study_id: str) -> int:
        return sum(1 for s in self.study_submissions(study_id) if s.status not in PLACE_FREED)

    def settle(self, study: Study) -> None:
        """Move a study whose places are all taken and done to AWAITING REVIEW, and back to
        ACTIVE when it gains places; a stopped study finishes when nothing waits for review."""
        subs = self.study_submissions(study.id)
        working = any(s.status == SUB_ACTIVE for s in subs)
        full = self.places_taken(study.id) >= study.fields["total_available_places"]
        if study.status == ACTIVE and full and not working:
            study.status = AWAITING_REVIEW
        elif study.status == AWAITING_REVIEW and not full and not study.stopped:
            study.status = ACTIVE
        elif study.status == AWAITING_REVIEW and study.stopped and not any(s.status == SUB_AWAITING for s in subs):
            study.status = COMPLETED

    # -- simulated participants ------------------------------------------------------------------

    def start(self, study_id: str, participant_id: str) -> Visit:
        with self.lock:
            study = self.studies.get(study_id)
            if study is None:
                raise ActionRefused(f"there is no study {study_id}")
            if study.status not in RECRUITING:
                raise ActionRefused(f"study {study_id} is {study.status}, not recruiting")
            if any(s.participant_id == participant_id for s in self.study_submissions(study_id)):
                raise ActionRefused(f"{participant_id} already took part in study {study_id}")
            for entry in study.fields.get("filters") or []:
                held = any(participant_id in self.groups[g].members for g in entry.get("selected_values", [])
                           if g in self.groups)
                if entry["filter_id"] == BLOCKLIST and held:
                    raise ActionRefused(f"{participant_id} is in a blocklisted participant group")
                if entry["filter_id"] == ALLOWLIST and not held:
                    raise ActionRefused(f"{participant_id} is not in an allowlisted participant group")
            if self.places_taken(study_id) >= study.fields["total_available_places"]:
                raise ActionRefused(f"study {study_id} has no place left")
            sub = Submission(new_id(), study_id, participant_id, SUB_ACTIVE, self.clock.now())
            self.submissions[sub.id] = sub
            url = study.fields.get("external_study_url") or ""
            url = url.replace(PID, participant_id).replace(STUDY, study_id).replace(SESSION, sub.id)
            return Visit(sub.id, url)

    def finish(self, submission_id: str, status: str) -> None:
        """The participant returns the study or runs out of time: the place is free again."""
        with self.lock:
            sub = self._working(submission_id)
            sub.status, sub.completed_at = status, self.clock.now()
            self.settle(self.studies[sub.study_id])

    def complete(self, submission_id: str, code: str) -> None:
        with self.lock:
            sub = self._working(submission_id)
            study = self.studies[sub.study_id]
            sub.study_code, sub.completed_at, sub.status = code, self.clock.now(), SUB_AWAITING
            listed = next((c for c in study.fields["completion_codes"] if c["code"] == code), None)
            for action in (listed or {}).get("actions", []):
                self._apply_code_action(sub, action)
            self.settle(study)

    def _apply_code_action(self, sub: Submission, action: Body) -> None:
        kind, group_id = action["action"], action.get("participant_group")
        if kind == "AUTOMATICALLY_APPROVE":
            self._approve(sub)
        elif kind == "REQUEST_RETURN":
            sub.return_requested = True
        elif kind == "ADD_TO_PARTICIPANT_GROUP" and group_id in self.groups:
            self.groups[group_id].members.setdefault(sub.participant_id, self.clock.now())
        elif kind == "REMOVE_FROM_PARTICIPANT_GROUP" and group_id in self.groups:
            self.groups[group_id].members.pop(sub.participant_id, None)

    def _working(self, submission_id: str) -> Submission:
        sub = self.submissions.get(submission_id)
        if sub is None:
            raise ActionRefused(f"there is no submission {submission_id}")
        if sub.status != SUB_ACTIVE:
            raise ActionRefused(f"submission {submission_id} is {sub.status}, not in progress")
        return sub

    def _approve(self, sub: Submission) -> None:
        reward = self.studies[sub.study_id].fields["reward"]
        fees, vat = self.fees_on(reward)
        self.balance -= reward + fees + vat
        sub.status = APPROVED


# -- users -------------------------------------------------------------------------------------


@route("get_me", "GET", "/users/me/")
def get_me(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    return 200, {"id": market.user_id, "name": "Fake Researcher", "email": "researcher@example.org",
                 "currency_code": market.currency, "balance": market.balance,
                 "available_balance": market.balance, "current_project_id": None,
                 "workspace_id": market.workspace_id}


@route("list_workspaces", "GET", "/workspaces/")
def list_workspaces(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    """The researcher's one workspace (the fake models a single-workspace account)."""
    workspace = {"id": market.workspace_id, "title": "My workspace", "description": "",
                 "owner": market.user_id, "users": [{"id": market.user_id, "roles": ["WORKSPACE_ADMIN"]}]}
    return 200, paginate([workspace], query, "/workspaces/")


# -- studies -----------------------------------------------------------------------------------

STUDY_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str, "internal_name": str, "description": str, "external_study_url": str,
    "prolific_id_option": str, "completion_codes": list, "total_available_places": int,
    "estimated_completion_time": int, "maximum_allowed_time": int, "reward": int,
    "device_compatibility": list, "peripheral_requirements": list, "filters": list,
    "project": str, "study_labels": list, "naivety_distribution_rate": (int, float),
}
REQUIRED_FIELDS = ("name", "description", "external_study_url", "completion_codes", "total_available_places",
                   "estimated_completion_time", "reward")


def study_problems(market: Marketplace, fields: Body, names: list[str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for name in names:
        require(fields, name, STUDY_FIELDS[name], problems, optional=name not in REQUIRED_FIELDS)
    if problems:
        return problems
    for name in ("total_available_places", "estimated_completion_time", "reward"):
        if name in fields and fields[name] < 1:
            problems.setdefault(name, []).append("Ensure this value is greater than or equal to 1.")
    if fields.get("prolific_id_option", "url_parameters") not in ID_OPTIONS:
        problems.setdefault("prolific_id_option", []).append(f"Choose one of {', '.join(ID_OPTIONS)}.")
    url = fields.get("external_study_url", "")
    if not re.match(r"https?://[^\s/]+", url):
        problems.setdefault("external_study_url", []).append("Enter a valid URL.")
    elif fields.get("prolific_id_option", "url_parameters") == "url_parameters" and PID not in url:
        problems.setdefault("external_study_url", []).append(
            f"With prolific_id_option url_parameters the URL must contain {PID}.")
    if any(d not in DEVICES for d in fields.get("device_compatibility", [])):
        problems.setdefault("device_compatibility", []).append(f"Choose from {', '.join(DEVICES)}.")
    if "completion_codes" in fields:
        check_completion_codes(fields["completion_codes"], problems)
    if "filters" in fields:
        check_filters(fields["filters"], market.groups, problems)
    return problems


@route("create_study", "POST", "/studies/")
def create_study(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    unknown = sorted(set(body) - set(STUDY_FIELDS))
    fields = {"prolific_id_option": "url_parameters", "device_compatibility": list(DEVICES),
              "peripheral_requirements": [], "filters": [], "internal_name": None,
              "maximum_allowed_time": None, **{k: v for k, v in body.items() if k in STUDY_FIELDS}}
    problems = study_problems(market, body, [n for n in STUDY_FIELDS if n in body or n in REQUIRED_FIELDS])
    if unknown:
        problems["non_field_errors"] = [f"Unknown field(s): {', '.join(unknown)}."]
    if problems:
        raise invalid(problems)
    study = Study(new_id(), fields, UNPUBLISHED, market.clock.now())
    market.studies[study.id] = study
    return 201, market.study_view(study)


@route("get_study", "GET", "/studies/<id>/")
def get_study(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    return 200, market.study_view(market.study(args["id"]))


@route("list_studies", "GET", "/studies/")
def list_studies(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    studies = sorted(market.studies.values(), key=lambda s: s.created_at)
    if "state" in query:
        studies = [s for s in studies if s.status == query["state"]]
    summary = ("id", "name", "internal_name", "status", "total_available_places", "places_taken", "reward",
               "total_cost", "date_created", "published_at")
    items = [{k: view[k] for k in summary} for view in map(market.study_view, studies)]
    return 200, paginate(items, query, "/studies/")


@route("update_study", "PATCH", "/studies/<id>/")
def update_study(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    study = market.study(args["id"])
    unknown = sorted(set(body) - set(STUDY_FIELDS))
    if unknown:
        raise invalid({"non_field_errors": [f"Unknown field(s): {', '.join(unknown)}."]})
    if study.status != UNPUBLISHED:
        locked = sorted(set(body) - set(PUBLISHED_EDITABLE))
        if locked:
            raise invalid({name: [f"Cannot be changed once the study is published ({study.status})."]
                           for name in locked})
    merged = {**study.fields, **body}
    problems = study_problems(market, merged, [n for n in STUDY_FIELDS if n in body])
    places = body.get("total_available_places")
    if not problems and places is not None and places < market.places_taken(study.id):
        problems["total_available_places"] = [
            f"Cannot be fewer than the {market.places_taken(study.id)} places already taken."]
    if problems:
        raise invalid(problems)
    study.fields = merged
    market.settle(study)
    return 200, market.study_view(study)


@route("delete_study", "DELETE", "/studies/<id>/")
def delete_study(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    """Only a draft can be deleted; a published study is stopped instead."""
    study = market.study(args["id"])
    if study.status != UNPUBLISHED:
        raise ProlificError(400, f"Only a draft (UNPUBLISHED) study can be deleted; this one is {study.status}.")
    del market.studies[study.id]
    return 204, {}


@route("transition_study", "POST", "/studies/<id>/transition/")
def transition_study(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    study = market.study(args["id"])
    action = body.get("action")
    if action not in STUDY_TRANSITIONS:
        raise invalid({"action": [f"Choose one of {', '.join(STUDY_TRANSITIONS)}."]})
    sources, target = STUDY_TRANSITIONS[action]
    if study.status not in sources:
        raise ProlificError(400, f"A study that is {study.status} cannot be moved with {action}.")
    if action == "PUBLISH":
        cost = market.study_cost(study.fields)["total_cost"]
        if cost > market.balance:
            raise ProlificError(400, f"Your balance ({market.balance}) does not cover this study ({cost}); top up first.")
        study.published_at = market.clock.now()
    if action == "STOP":
        study.stopped = True
        waiting = any(s.status == SUB_AWAITING for s in market.study_submissions(study.id))
        target = AWAITING_REVIEW if waiting else COMPLETED
    study.status = target
    if action in ("PUBLISH", "START"):
        market.settle(study)
    return 200, market.study_view(study)


# -- submissions -------------------------------------------------------------------------------


def list_of_study(market: Marketplace, study_id: str | None, query: dict[str, str], path: str) -> Body:
    if not study_id:
        raise invalid({"study": ["A study id is required."]})
    market.study(study_id)
    subs = sorted(market.study_submissions(study_id), key=lambda s: s.started_at)
    if "status" in query:
        subs = [s for s in subs if s.status == query["status"]]
    return paginate([market.submission_view(s) for s in subs], query, path)


@route("list_submissions", "GET", "/submissions/")
def list_submissions(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    return 200, list_of_study(market, query.get("study"), query, "/submissions/")


@route("list_study_submissions", "GET", "/studies/<id>/submissions/")
def list_study_submissions(market: Marketplace, body: Body, args: dict[str, str],
                           query: dict[str, str]) -> tuple[int, Body]:
    return 200, list_of_study(market, args["id"], query, f"/studies/{args['id']}/submissions/")


@route("get_submission", "GET", "/submissions/<id>/")
def get_submission(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    """The one submission, in the fields Prolific documents for it (`participant`,
    `entered_code`), which differ from a list item's (`participant_id`, `study_code`)."""
    view = market.submission_view(market.submission(args["id"]))
    view["participant"], view["entered_code"] = view.pop("participant_id"), view.pop("study_code")
    return 200, view


@route("transition_submission", "POST", "/submissions/<id>/transition/")
def transition_submission(market: Marketplace, body: Body, args: dict[str, str],
                          query: dict[str, str]) -> tuple[int, Body]:
    sub = market.submission(args["id"])
    action = body.get("action")
    if action not in VERDICTS:
        raise invalid({"action": [f"Choose one of {', '.join(VERDICTS)}."]})
    if action == "REJECT":
        problems: dict[str, list[str]] = {}
        message = body.get("message")
        if not isinstance(message, str) or len(message) < MIN_REJECTION_MESSAGE:
            problems["message"] = [f"Required if action is REJECT, at least {MIN_REJECTION_MESSAGE} characters long."]
        if body.get("rejection_category") not in REJECTION_CATEGORIES:
            problems["rejection_category"] = [f"Required if action is REJECT: one of {', '.join(REJECTION_CATEGORIES)}."]
        if problems:
            raise invalid(problems)
    if sub.status == VERDICTS[action]:
        return 200, market.submission_view(sub)  # documented as idempotent: the repeat is ignored
    if sub.status != SUB_AWAITING:
        raise ProlificError(400, f"Submission {sub.id} is {sub.status}; only AWAITING REVIEW submissions can be "
                                 f"approved or rejected.")
    if action == "APPROVE":
        market._approve(sub)
    else:
        sub.status = REJECTED
        sub.rejection = {"message": body["message"], "rejection_category": body["rejection_category"]}
    market.settle(market.studies[sub.study_id])
    return 200, market.submission_view(sub)


# -- bonuses -----------------------------------------------------------------------------------


@route("set_up_bonus_payments", "POST", "/submissions/bonus-payments/")
def set_up_bonus_payments(market: Marketplace, body: Body, args: dict[str, str],
                          query: dict[str, str]) -> tuple[int, Body]:
    problems: dict[str, list[str]] = {}
    study_id = require(body, "study_id", str, problems)
    csv = require(body, "csv_bonuses", str, problems)
    if problems:
        raise invalid(problems)
    market.study(study_id)
    subs = market.study_submissions(study_id)
    by_participant = {s.participant_id: s for s in subs}
    by_submission = {s.id: s for s in subs}
    lines: list[tuple[str, str, int]] = []
    bad_ids: list[str] = []
    for number, raw in enumerate(filter(None, (line.strip() for line in csv.splitlines())), start=1):
        ident, _, amount_text = raw.partition(",")
        try:
            amount = Decimal(amount_text.strip())
        except InvalidOperation:
            amount = Decimal(-1)
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise invalid({"csv_bonuses": [f"Line {number}: {amount_text.strip()!r} is not an amount such as 1.50."]})
        sub = by_participant.get(ident.strip()) or by_submission.get(ident.strip())
        if sub is None:
            bad_ids.append(ident.strip())
            continue
        lines.append((sub.participant_id, sub.id, cents(amount * 100)))
    if bad_ids:
        raise invalid({"csv_bonuses": [f"These ids did not take part in study {study_id}: {', '.join(bad_ids)}."]})
    if not lines:
        raise invalid({"csv_bonuses": ["Give at least one line: <participant or submission id>,<amount>."]})
    total = sum(line[2] for line in lines)
    fees = sum(market.fees_on(line[2])[0] for line in lines)
    vat = sum(market.fees_on(line[2])[1] for line in lines)
    bonus = BulkBonus(new_id(), study_id, lines, total, fees, vat)
    market.bulk_bonuses[bonus.id] = bonus
    return 201, {"id": bonus.id, "study": study_id, "amount": total, "fees": fees, "vat": vat,
                 "total_amount": bonus.total_amount}


@route("pay_bonus_payments", "POST", "/bulk-bonus-payments/<id>/pay/")
def pay_bonus_payments(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    bonus = market.bulk_bonuses.get(args["id"])
    if bonus is None:
        raise not_found("Bulk bonus payment", args["id"])
    if bonus.total_amount > market.balance:
        raise ProlificError(400, "Your balance does not cover these bonuses; top up first.")
    market.balance -= bonus.total_amount
    for participant_id, submission_id, amount in bonus.lines:
        market.bonus_payments.append({"bulk_id": bonus.id, "study_id": bonus.study_id, "participant_id": participant_id,
                                      "submission_id": submission_id, "amount": amount, "paid_at": market.clock.now()})
    return 202, {}


# -- participant groups ------------------------------------------------------------------------


def participant_ids(body: Body) -> list[str]:
    ids = body.get("participant_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise invalid({"participant_ids": ["Expected a list of participant ids."]})
    return ids


def members_view(group: Group) -> Body:
    return {"results": [{"participant_id": pid, "datetime_created": iso(at)} for pid, at in group.members.items()]}


@route("create_participant_group", "POST", "/participant-groups/")
def create_participant_group(market: Marketplace, body: Body, args: dict[str, str],
                             query: dict[str, str]) -> tuple[int, Body]:
    problems: dict[str, list[str]] = {}
    name = require(body, "name", str, problems)
    workspace = require(body, "workspace_id", str, problems, optional=True)
    description = require(body, "description", str, problems, optional=True)
    if problems:
        raise invalid(problems)
    group = Group(new_id(), name, description or "", workspace or market.workspace_id)
    for pid in participant_ids(body) if "participant_ids" in body else []:
        group.members[pid] = market.clock.now()
    market.groups[group.id] = group
    return 201, market.group_view(group)


@route("list_participant_groups", "GET", "/participant-groups/")
def list_participant_groups(market: Marketplace, body: Body, args: dict[str, str],
                            query: dict[str, str]) -> tuple[int, Body]:
    groups = [g for g in market.groups.values()
              if "workspace_id" not in query or g.workspace_id == query["workspace_id"]]
    return 200, {"results": [market.group_view(g) for g in groups]}


@route("get_participant_group", "GET", "/participant-groups/<id>/")
def get_participant_group(market: Marketplace, body: Body, args: dict[str, str],
                          query: dict[str, str]) -> tuple[int, Body]:
    return 200, market.group_view(market.group(args["id"]))


@route("list_participant_group_members", "GET", "/participant-groups/<id>/participants/")
def list_members(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    return 200, members_view(market.group(args["id"]))


@route("add_to_participant_group", "POST", "/participant-groups/<id>/participants/")
def add_members(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    group = market.group(args["id"])
    for pid in participant_ids(body):
        group.members.setdefault(pid, market.clock.now())  # already a member: ignored, as documented
    return 200, members_view(group)


@route("remove_from_participant_group", "DELETE", "/participant-groups/<id>/participants/")
def remove_members(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    group = market.group(args["id"])
    for pid in participant_ids(body):
        group.members.pop(pid, None)  # not a member: ignored, as documented
    return 200, members_view(group)


# -- messages ----------------------------------------------------------------------------------


def message_text(body: Body, problems: dict[str, list[str]]) -> str:
    text = require(body, "body", str, problems)
    if not problems.get("body") and not text.strip():
        problems["body"] = ["This field may not be blank."]
    return text


@route("send_bulk_message", "POST", "/messages/bulk/")
def send_bulk_message(market: Marketplace, body: Body, args: dict[str, str],
                      query: dict[str, str]) -> tuple[int, Body]:
    """One message to several participants about a study (`ids`, `body`, `study_id`)."""
    problems: dict[str, list[str]] = {}
    ids = require(body, "ids", list, problems)
    text = message_text(body, problems)
    study_id = require(body, "study_id", str, problems)
    if not problems and not (ids and all(isinstance(i, str) and i for i in ids)):
        problems["ids"] = ["Expected a non-empty list of participant ids."]
    if problems:
        raise invalid(problems)
    market.study(study_id)
    for recipient in ids:
        market.messages.append({"recipient_id": recipient, "body": text, "study_id": study_id,
                                "sender_id": market.user_id, "sent_at": market.clock.now()})
    return 200, {}


@route("send_message", "POST", "/messages/")
def send_message(market: Marketplace, body: Body, args: dict[str, str], query: dict[str, str]) -> tuple[int, Body]:
    problems: dict[str, list[str]] = {}
    recipient = require(body, "recipient_id", str, problems)
    text = message_text(body, problems)
    study_id = require(body, "study_id", str, problems)
    if problems:
        raise invalid(problems)
    market.study(study_id)
    market.messages.append({"recipient_id": recipient, "body": text, "study_id": study_id,
                            "sender_id": market.user_id, "sent_at": market.clock.now()})
    return 201, {}


# ---------------------------------------------------------------------------------------------
# Pagination


def paginate(items: list[Body], query: dict[str, str], path: str) -> Body:
    try:
        number = int(query.get("page", "1"))
        size = int(query.get("page_size", str(DEFAULT_PAGE_SIZE)))
    except ValueError:
        number = size = 0
    if number < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid({"page": [f"page must be 1 or more and page_size between 1 and {MAX_PAGE_SIZE}."]})
    last = max(1, math.ceil(len(items) / size))
    if number > last:
        raise ProlificError(404, "Invalid page.")
    keep = {k: v for k, v in query.items() if k not in ("page", "page_size")}

    def link(page: int | None, title: str) -> Body:
        href = None if page is None else f"{API}{path}?" + urlencode({**keep, "page": page, "page_size": size})
        return {"href": href, "title": title}

    return {"results": items[(number - 1) * size:number * size],
            "_links": {"self": link(number, "Current"), "next": link(number + 1 if number < last else None, "Next"),
                       "previous": link(number - 1 if number > 1 else None, "Previous"), "last": link(last, "Last")},
            "meta": {"count": len(items)}}


# ---------------------------------------------------------------------------------------------
# The HTTP front: auth, rate limit, faults, routing


@dataclass(frozen=True)
class Fault:
    error: str
    after_effect: bool


class FaultPlan:
    """The faults queued for each operation, taken one per call."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()

    def add(self, operation: str, fault: Fault, times: int) -> None:
        with self._lock:
            self._queues.setdefault(operation, deque()).extend([fault] * times)

    def take(self, operation: str) -> Fault | None:
        with self._lock:
            queue = self._queues.get(operation)
            return queue.popleft() if queue else None


class RateLimit:
    """At most `limit` requests in any `window` seconds of the fake's clock; off until set."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.limit: int | None = None
        self.window = 0.0
        self._seen: deque[float] = deque()
        self._lock = threading.Lock()

    def set(self, limit: int | None, window: float) -> None:
        with self._lock:
            self.limit, self.window = limit, window
            self._seen.clear()

    def retry_after(self) -> int | None:
        """None when the request may go ahead (and counts it), else the seconds to wait."""
        with self._lock:
            if self.limit is None:
                return None
            now = self.clock.now()
            while self._seen and self._seen[0] <= now - self.window:
                self._seen.popleft()
            if len(self._seen) >= self.limit:
                return max(1, math.ceil(self._seen[0] + self.window - now))
            self._seen.append(now)
            return None


URL_MAP = Map([Rule(API + path, endpoint=operation, methods=[method]) for operation, (method, path) in ROUTES.items()],
              strict_slashes=False)


class ApiFront:
    """The WSGI application: checks the token, the rate limit and any queued fault, then asks the
    marketplace and answers JSON."""

    def __init__(self, market: Marketplace, faults: FaultPlan, rate: RateLimit, token: str) -> None:
        self.market, self.faults, self.rate, self.token = market, faults, rate, token
        self._calls: list[tuple[str, str, str, Body]] = []
        self._calls_lock = threading.Lock()

    @property
    def calls(self) -> list[tuple[str, str, str, Body]]:
        with self._calls_lock:
            return list(self._calls)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self._respond(Request(environ), environ)(environ, start_response)

    def _respond(self, request: Request, environ: dict[str, Any]) -> Response:
        if request.headers.get("Authorization", "") != f"Token {self.token}":
            return answer(401, ProlificError(401, "Authentication credentials were not provided or are invalid; "
                                                  "send Authorization: Token <your token>.").body())
        try:
            operation, args = URL_MAP.bind_to_environ(environ).match()
        except MethodNotAllowed:
            return answer(405, ProlificError(405, f"Method {request.method} is not allowed here.").body())
        except NotFound:
            return answer(404, ProlificError(404, f"No API endpoint at {request.path}.").body())
        body: Any = {}
        if request.get_data():
            try:
                body = json.loads(request.get_data())
            except ValueError:
                body = None
        if not isinstance(body, dict):
            return answer(400, ProlificError(400, "The body is not a JSON object.").body())
        query = dict(request.args.items())
        with self._calls_lock:
            self._calls.append((operation, request.method, request.path, body))
        wait = self.rate.retry_after()
        if wait is not None:
            return answer(429, ProlificError(429, "Request was throttled.").body(), {"Retry-After": str(wait)})
        fault = self.faults.take(operation)
        if fault is None or fault.after_effect:
            try:
                status, result = self.market.call(operation, body, dict(args), query)
                response = answer(status, result)
            except ProlificError as error:
                response = answer(error.status, error.body())
        if fault is None:
            return response
        if fault.error == DROP_CONNECTION:
            # Close the socket under werkzeug: the client sees the connection end without an answer.
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("connection dropped by FakeProlific.fail_next")
        status = FAULTS[fault.error]
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 429 else {}
        return answer(status, ProlificError(status, TITLES[status] + " (injected by the fake).").body(), headers)


def answer(status: int, body: Body, headers: dict[str, str] | None = None) -> Response:
    if status == 204:
        return Response(status=204, headers=headers or {})
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers or {})


# ---------------------------------------------------------------------------------------------
# The fake, as tests drive it


class FakeProlific(BackgroundServer):
    """A fake Prolific API on a free local port, served from a background thread.

    token: the API token it accepts. balance: the account balance in cents of `currency`.
    fees_percentage / vat_percentage: the account's service fee and VAT on that fee.
    """

    def __init__(self, *, token: str = DEFAULT_TOKEN, balance: int = DEFAULT_BALANCE_CENTS,
                 currency: str = DEFAULT_CURRENCY, fees_percentage: Decimal | str = DEFAULT_FEES_PERCENTAGE,
                 vat_percentage: Decimal | str = DEFAULT_VAT_PERCENTAGE, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.token = token
        self.clock = Clock()
        self.market = Marketplace(balance=balance, currency=currency, fees_percentage=Decimal(fees_percentage),
                                  vat_percentage=Decimal(vat_percentage), clock=self.clock)
        self.faults = FaultPlan()
        self.rate = RateLimit(self.clock)
        self.front = ApiFront(self.market, self.faults, self.rate, token)
        super().__init__(self.front, host, port, "fake-prolific")

    @property
    def url(self) -> str:
        """The base URL (what PARLEY_PROLIFIC_ENDPOINT would hold); the API lives under /api/v1/."""
        return self.origin

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    # -- simulated participants ------------------------------------------------------------------

    def start_study(self, study_id: str, participant_id: str) -> Visit:
        """The participant opens the study: answers their submission and the study URL with the
        placeholders filled in. Raises ActionRefused when Prolific would not let them: the study
        is not recruiting, a blocklist group holds them (or an allowlist group does not), no place
        is left, or they already took part."""
        return self.market.start(study_id, participant_id)

    def return_study(self, submission_id: str) -> None:
        """The participant returns the study: RETURNED, and the place is free again."""
        self.market.finish(submission_id, RETURNED)

    def time_out(self, submission_id: str) -> None:
        """The participant runs out of time: TIMED-OUT, and the place is free again."""
        self.market.finish(submission_id, TIMED_OUT)

    def complete(self, submission_id: str, code: str) -> None:
        """The participant comes back with a completion code: recorded as `study_code`, the
        submission waits for review, and the code's actions apply."""
        self.market.complete(submission_id, code)

    # -- faults, limits and calls ----------------------------------------------------------------

    def fail_next(self, operation: str, error: str = "ServiceUnavailable", *, times: int = 1,
                  after_effect: bool = False) -> None:
        """Make the next `times` requests for `operation` (a name in ROUTES, e.g.
        "pay_bonus_payments") fail with `error`: one of FAULTS, or DROP_CONNECTION to close the
        connection without an answer. With `after_effect`, the operation takes effect first and
        only the answer is lost."""
        if operation not in ROUTES:
            raise ValueError(f"the fake does not implement {operation!r}; it knows {sorted(ROUTES)}")
        if error not in FAULTS and error != DROP_CONNECTION:
            raise ValueError(f"unknown fault {error!r}; use one of {[*FAULTS, DROP_CONNECTION]}")
        self.faults.add(operation, Fault(error, after_effect), times)

    def limit_rate(self, requests: int | None, per_seconds: float = 60.0) -> None:
        """Answer 429 with Retry-After once `requests` calls fell within `per_seconds`; None lifts it."""
        self.rate.set(requests, per_seconds)

    @property
    def calls(self) -> list[tuple[str, str, str, Body]]:
        """Every authenticated request, in order: (operation, method, path, JSON body)."""
        return self.front.calls

    def calls_of(self, operation: str) -> list[Body]:
        return [body for name, _, _, body in self.calls if name == operation]

    # -- inspection (plain copies) ---------------------------------------------------------------

    def study(self, study_id: str) -> Body:
        with self.market.lock:
            return json.loads(json.dumps(self.market.study_view(self.market.study(study_id))))

    def submission(self, submission_id: str) -> Body:
        with self.market.lock:
            sub = self.market.submission(submission_id)
            return {**self.market.submission_view(sub), "rejection": sub.rejection}

    def group_members(self, group_id: str) -> set[str]:
        with self.market.lock:
            return set(self.market.group(group_id).members)

    @property
    def bonus_payments(self) -> list[Body]:
        """Every bonus paid, one entry per participant per pay call."""
        with self.market.lock:
            return [dict(p) for p in self.market.bonus_payments]

    @property
    def messages(self) -> list[Body]:
        with self.market.lock:
            return [dict(m) for m in self.market.messages]

    @property
    def balance(self) -> int:
        with self.market.lock:
            return self.market.balance


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Prolific API until interrupted.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with FakeProlific(token=args.token, host=args.host, port=args.port) as fake:
        print(f"FakeProlific listening on {fake.url} (token {fake.token})", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
