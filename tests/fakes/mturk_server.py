"""A local fake of the Amazon Mechanical Turk requester API (2017-01-17) that speaks the real
AWS JSON 1.1 protocol, so the real boto3 `mturk` client can be pointed at it (moto has no MTurk).

    with FakeMTurk() as fake:
        client = fake.client()
        hit = client.create_hit(...)["HIT"]
        assignment_id = fake.accept(hit["HITId"], "A1WORKER")
        fake.submit(assignment_id, {"rating": "5"})

What it models, and how (the service model botocore ships is the reference for shapes):
- Errors come in MTurk's three kinds: shape constraint violations (pattern, length, range, enum,
  null) answer `ValidationException` the way the AWS front door words them; bad parameter
  values MTurk checks itself answer `ParameterValidationError`; everything about state (not
  found, wrong status, token already used, insufficient funds) answers the modeled
  `RequestError` with a `TurkErrorCode`, so boto3 raises `client.exceptions.RequestError`.
- Work a worker has accepted but not submitted is invisible to the requester API, as on MTurk
  (GetAssignment and SendBonus say it does not exist).
- Money: a HIT can only be created when the balance covers every assignment plus fees; the
  reward and fee are charged when an assignment is approved (by hand or automatically);
  bonuses are charged when sent. Fees are 20% (40% on HITs with 10 or more assignments), at
  least $0.01, rounded half up to the cent.
- Time: the fake has its own clock (real time plus whatever `advance` added). Expirations,
  assignment deadlines, auto-approval and the 24 hours a UniqueRequestToken is remembered
  all follow it; they are applied lazily, before every call and hook.

Faults (`fail_next`) are injected at the HTTP layer, optionally after the operation took effect,
and every request that reaches the fake is recorded in `calls`.

Run it on its own with `python -m tests.fakes.mturk_server --port 8443`.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import operator
import re
import secrets
import signal
import socket
import string
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import boto3
import botocore.session
from botocore import xform_name
from botocore.client import BaseClient
from botocore.config import Config
from botocore.model import ListShape, Shape, StructureShape
from werkzeug.wrappers import Request, Response

from tests.fakes.serving import BackgroundServer

Params = dict[str, Any]
Result = dict[str, Any]

TARGET_PREFIX = "MTurkRequesterServiceV20170117"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
REGION = "us-east-1"
EXTERNAL_QUESTION_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"
)
ANSWERS_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"
)
MAX_QUESTION_BYTES = 65535
LOCAL_HOSTS = ("127.0.0.1", "localhost")

CENT = Decimal("0.01")
DEFAULT_BALANCE = Decimal("10000.00")
FEE_RATE = Decimal("0.20")
LARGE_HIT_FEE_RATE = Decimal("0.40")
LARGE_HIT_ASSIGNMENTS = 10
MIN_FEE = CENT

DAY = 24 * 3600
TOKEN_LIFETIME = DAY
OVERRIDE_REJECTION_WINDOW = 30 * DAY
DEFAULT_AUTO_APPROVAL_DELAY = 30 * DAY
ASSIGNMENT_DURATION_RANGE = (30, 365 * DAY)
AUTO_APPROVAL_DELAY_RANGE = (0, 30 * DAY)
LIFETIME_RANGE = (30, 365 * DAY)
MAX_ASSIGNMENTS_RANGE = (1, 1_000_000)
TEXT_LIMITS = {"Title": 128, "Description": 2000, "Keywords": 1000, "RequesterAnnotation": 255,
               "RequesterFeedback": 1024, "Subject": 200, "MessageText": 4096}
MAX_REQUIREMENTS = 10
MAX_NOTIFIED_WORKERS = 100
DEFAULT_PAGE_SIZE = 10

WORKER_ID = re.compile(r"A[A-Z0-9]{1,63}")
LOCALE_QUALIFICATION = "00000000000000000071"
# Qualification types MTurk itself owns (the Masters id is the sandbox's). The fake knows their
# names; it models only the locale one (see FakeMTurk.add_worker) and treats the rest as met.
SYSTEM_QUALIFICATIONS = {
    LOCALE_QUALIFICATION: ("Worker_Locale", "The location of the Worker, from their mailing address."),
    "000000000000000000L0": ("Worker_PercentAssignmentsApproved",
                             "The percentage of the Worker's submitted assignments that were approved."),
    "00000000000000000040": ("Worker_NumberHITsApproved", "The number of HITs the Worker has had approved."),
    "00000000000000000060": ("Worker_Adult", "The Worker has agreed to see adult content."),
    "2ARFPLSP75KLA8M8DH1HTEQFJN08": ("Masters", "Workers who have demonstrated excellence (sandbox)."),
}
SET_COMPARATORS = ("In", "NotIn")
LOCALE_COMPARATORS = ("EqualTo", "NotEqualTo", *SET_COMPARATORS)
MAX_SET_VALUES = {"integer": 15, "locale": 30}

# Assignment states: the first is the worker's own, the next three are what the requester API
# shows, and the last two free the slot again (they never reach the API).
ACCEPTED, SUBMITTED, APPROVED, REJECTED, RETURNED, ABANDONED = (
    "Accepted", "Submitted", "Approved", "Rejected", "Returned", "Abandoned")
VISIBLE_STATES = (SUBMITTED, APPROVED, REJECTED)

# What `fail_next` can answer with: __type -> (HTTP status, message). Throttling is the 400
# `ThrottlingException` AWS answers when a rate is exceeded; botocore retries it (and 5xx).
FAULTS = {
    "RequestError": (400, "There was an error with this request."),
    "ServiceFault": (500, "Amazon Mechanical Turk is temporarily unable to process your request. "
                          "Try your call again."),
    "ServiceUnavailable": (503, "Service Unavailable"),
    "ThrottlingException": (400, "Rate exceeded"),
}
DROP_CONNECTION = "ConnectionDropped"
MTURK_ERROR_KINDS = ("RequestError", "ServiceFault", "ParameterValidationError")


# ---------------------------------------------------------------------------------------------
# Errors


class MTurkError(Exception):
    """An error answer. `kind` becomes `__type`, which botocore reads as the error code."""

    def __init__(self, kind: str, message: str, turk_code: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.turk_code = kind, message, turk_code

    def body(self) -> Result:
        message = self.message
        if self.kind in MTURK_ERROR_KINDS:
            # MTurk (unlike the AWS front door) ends its messages with a millisecond timestamp,
            # e.g. "Assignment 3X1F... does not exist. (1698330947012)".
            message += f" ({time.time_ns() // 1_000_000})"
        body: Result = {"__type": self.kind, "Message": message}
        if self.turk_code:
            body["TurkErrorCode"] = self.turk_code
        return body


def request_error(message: str, turk_code: str) -> MTurkError:
    return MTurkError("RequestError", message, turk_code)


def parameter_error(name: str, value: Any, why: str = "") -> MTurkError:
    message = f'The value "{value}" is not valid for the parameter {name}.'
    return MTurkError("ParameterValidationError", f"{message} {why}".strip())


class ActionRefused(Exception):
    """A simulated worker action that MTurk would not allow (no slot left, not qualified, ...)."""


# ---------------------------------------------------------------------------------------------
# Input constraints from the service model (the checks botocore leaves to the server)


@cache
def service_model() -> Any:
    return botocore.session.get_session().get_service_model("mturk")


def check_input(operation: str, params: Params) -> None:
    """Raise what AWS answers for input that breaks the model: SerializationException for wrong
    JSON types, ValidationException listing every constraint violation."""
    problems = constraint_violations(service_model().operation_model(operation).input_shape, params, "")
    if problems:
        count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''}"
        raise MTurkError("ValidationException", f"{count} detected: " + "; ".join(problems))


JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,), "list": (list,), "string": (str,), "integer": (int,), "long": (int,),
    "boolean": (bool,), "timestamp": (int, float), "double": (int, float), "float": (int, float),
}


def constraint_violations(shape: Shape, value: Any, where: str) -> list[str]:
    expected = JSON_TYPES[shape.type_name]
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        raise MTurkError("SerializationException", f"Unexpected value type at '{where or 'input'}'.")
    problems: list[str] = []
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            at = f"{where}.{name[0].lower()}{name[1:]}" if where else f"{name[0].lower()}{name[1:]}"
            if value.get(name) is None:
                if name in shape.required_members:
                    problems.append(f"Value null at '{at}' failed to satisfy constraint: Member must not be null")
            else:
                problems += constraint_violations(member, value[name], at)
    elif isinstance(shape, ListShape):
        problems += _bound_violations(shape, value, len(value), where, "length")
        for index, item in enumerate(value, 1):
            problems += constraint_violations(shape.member, item, f"{where}.{index}.member")
    elif shape.type_name == "string":
        problems += _bound_violations(shape, value, len(value), where, "length")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            problems.append(f"Value '{value}' at '{where}' failed to satisfy constraint: "
                            f"Member must satisfy regular expression pattern: {pattern}")
        if shape.enum and value not in shape.enum:
            problems.append(f"Value '{value}' at '{where}' failed to satisfy constraint: "
                            f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    elif shape.type_name in ("integer", "long"):
        problems += _bound_violations(shape, value, value, where, "value")
    return problems


def _bound_violations(shape: Shape, value: Any, measure: int, where: str, what: str) -> list[str]:
    problems = []
    if "min" in shape.metadata and measure < shape.metadata["min"]:
        problems.append(f"Value '{value}' at '{where}' failed to satisfy constraint: "
                        f"Member must have {what} greater than or equal to {shape.metadata['min']}")
    if "max" in shape.metadata and measure > shape.metadata["max"]:
        problems.append(f"Value '{value}' at '{where}' failed to satisfy constraint: "
                        f"Member must have {what} less than or equal to {shape.metadata['max']}")
    return problems


# ---------------------------------------------------------------------------------------------
# Small rules, kept as plain functions so they can be tested on their own


def parse_external_question(xml: str, *, allow_http: bool) -> tuple[str, int]:
    """The ExternalURL and FrameHeight of an ExternalQuestion, or the error MTurk answers."""
    if len(xml.encode()) > MAX_QUESTION_BYTES:
        raise parameter_error("Question", "...", f"It must not be larger than {MAX_QUESTION_BYTES} bytes.")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise MTurkError("ParameterValidationError",
                         "There was an error parsing the XML question or answer data in your request. "
                         f"Please make sure the data is well-formed. Details: {exc}") from exc
    if root.tag != f"{{{EXTERNAL_QUESTION_NS}}}ExternalQuestion":
        raise MTurkError("ParameterValidationError",
                         f"The Question must be an ExternalQuestion in the namespace {EXTERNAL_QUESTION_NS} "
                         f"(the fake supports no other kind); got {root.tag}.")
    children = {child.tag.rpartition("}")[2]: (child.text or "").strip() for child in root}
    if sorted(children) != ["ExternalURL", "FrameHeight"] or len(root) != 2:
        raise MTurkError("ParameterValidationError",
                         "An ExternalQuestion needs exactly one ExternalURL and one FrameHeight.")
    url = children["ExternalURL"]
    parts = urlsplit(url)
    local_http = allow_http and parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.netloc or (parts.scheme != "https" and not local_http):
        raise parameter_error("ExternalURL", url, "The ExternalURL must be an https URL.")
    if not re.fullmatch(r"\d+", children["FrameHeight"]):
        raise parameter_error("FrameHeight", children["FrameHeight"], "It must be a whole number of pixels.")
    return url, int(children["FrameHeight"])


def parse_money(value: str, name: str) -> Decimal:
    """A dollar amount of at least one cent (the model's pattern already holds: digits, 2 decimals)."""
    amount = Decimal(value)
    if amount < CENT:
        raise parameter_error(name, value, "It must be at least 0.01.")
    return amount.quantize(CENT)


def commission(amount: Decimal, rate: Decimal) -> Decimal:
    """MTurk's fee on a payment: the rate, at least a cent, rounded to the cent."""
    return max((amount * rate).quantize(CENT, rounding=ROUND_HALF_UP), MIN_FEE)


def reward_fee_rate(max_assignments: int) -> Decimal:
    return LARGE_HIT_FEE_RATE if max_assignments >= LARGE_HIT_ASSIGNMENTS else FEE_RATE


def requirement_problem(comparator: str, integers: list[int] | None, locales: list[dict] | None,
                        *, is_locale: bool) -> str | None:
    """Why a QualificationRequirement's values do not fit its comparator, or None if they do."""
    values, others = (locales, integers) if is_locale else (integers, locales)
    if others:
        return ("IntegerValues cannot be used with the Worker_Locale qualification." if is_locale
                else "LocaleValues can only be used with the Worker_Locale qualification.")
    if comparator in ("Exists", "DoesNotExist"):
        return f"{comparator} takes no values." if values else None
    if not values:
        return f"{comparator} needs a value to compare with."
    if is_locale and comparator not in LOCALE_COMPARATORS:
        return f"Locales can not be compared with {comparator}."
    if comparator in SET_COMPARATORS:
        limit = MAX_SET_VALUES["locale" if is_locale else "integer"]
        return f"{comparator} takes at most {limit} values." if len(values) > limit else None
    return f"{comparator} takes exactly one value." if len(values) != 1 else None


def requirement_holds(comparator: str, value: Any, targets: list[Any],
                      same: Callable[[Any, Any], bool] = operator.eq) -> bool:
    """Whether a worker's qualification value (None: they do not hold it) meets a requirement.
    A worker without the qualification meets only DoesNotExist."""
    if comparator == "Exists":
        return value is not None
    if comparator == "DoesNotExist":
        return value is None
    if value is None:
        return False
    if comparator == "In":
        return any(same(value, target) for target in targets)
    if comparator == "NotIn":
        return not any(same(value, target) for target in targets)
    orders = {"LessThan": operator.lt, "LessThanOrEqualTo": operator.le, "GreaterThan": operator.gt,
              "GreaterThanOrEqualTo": operator.ge, "EqualTo": same,
              "NotEqualTo": lambda a, b: not same(a, b)}
    return orders[comparator](value, targets[0])


def locale_matches(worker: dict[str, str], required: dict[str, str]) -> bool:
    """A required locale without a subdivision matches every subdivision of its country."""
    return (worker["Country"] == required["Country"]
            and required.get("Subdivision") in (None, worker.get("Subdivision")))


def question_form_answers(answer: dict[str, Any] | None) -> str:
    """The Answer MTurk records for an ExternalQuestion: the submitted form fields as FreeText."""
    fields = "".join(f"<Answer><QuestionIdentifier>{escape(str(key))}</QuestionIdentifier>"
                     f"<FreeText>{escape(str(value))}</FreeText></Answer>"
                     for key, value in (answer or {}).items())
    return f'<?xml version="1.0" encoding="UTF-8"?><QuestionFormAnswers xmlns="{ANSWERS_NS}">{fields}</QuestionFormAnswers>'


def new_id(length: int = 30) -> str:
    """An id shaped like MTurk's: a digit, then uppercase letters and digits."""
    alphabet = string.ascii_uppercase + string.digits
    return secrets.choice("123") + "".join(secrets.choice(alphabet) for _ in range(length - 1))


def moment(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def compact(record: Result) -> Result:
    """MTurk leaves unset fields out rather than sending nulls."""
    return {key: value for key, value in record.items() if value is not None}


def page(items: list[Any], params: Params, key: str, scope: str) -> Result:
    """One page of a list answer. NextToken is opaque to callers and only valid for `scope`."""
    start = 0
    if "NextToken" in params:
        try:
            token_scope, _, offset = base64.urlsafe_b64decode(params["NextToken"]).decode().partition(":")
            start = int(offset)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            token_scope = ""
        if token_scope != scope or start < 0:
            raise parameter_error("NextToken", params["NextToken"], "The pagination token is invalid.")
    size = params.get("MaxResults", DEFAULT_PAGE_SIZE)
    chunk = items[start:start + size]
    answer: Result = {"NumResults": len(chunk), key: chunk}
    if start + size < len(items):
        answer["NextToken"] = base64.urlsafe_b64encode(f"{scope}:{start + size}".encode()).decode()
    return answer


def text_param(params: Params, name: str, *, required: bool = False) -> str | None:
    """A free-text parameter within MTurk's length limit, if it has one (and not blank, when it
    is required: the model only says it must be present)."""
    value = params.get(name)
    if value is None:
        return None
    if required and not value.strip():
        raise parameter_error(name, value, "It must not be empty.")
    limit = TEXT_LIMITS.get(name)
    if limit is not None and len(value) > limit:
        raise parameter_error(name, value[:40] + "...", f"It must be at most {limit} characters.")
    return value


def int_param(params: Params, name: str, bounds: tuple[int, int], default: int | None = None) -> int:
    value = params.get(name, default)
    if not bounds[0] <= value <= bounds[1]:
        raise parameter_error(name, value, f"It must be between {bounds[0]} and {bounds[1]}.")
    return value


# ---------------------------------------------------------------------------------------------
# The marketplace's records


@dataclass(frozen=True)
class HitTypeSpec:
    """The properties that make a HIT type: equal specs are the same HIT type, as on MTurk."""

    title: str
    description: str
    keywords: str | None
    reward: Decimal
    assignment_duration: int
    auto_approval_delay: int
    requirements_json: str

    @property
    def requirements(self) -> list[dict[str, Any]]:
        return json.loads(self.requirements_json)


@dataclass
class Hit:
    hit_id: str
    hit_type_id: str
    group_id: str
    spec: HitTypeSpec
    max_assignments: int
    created: float
    expiration: float
    question: str
    external_url: str
    frame_height: int
    annotation: str | None
    disposed: bool = False
    assignment_ids: list[str] = field(default_factory=list)


@dataclass
class Assignment:
    assignment_id: str
    hit_id: str
    worker_id: str
    accepted: float
    deadline: float
    status: str = ACCEPTED
    submitted: float | None = None
    auto_approval: float | None = None
    approved: float | None = None
    rejected: float | None = None
    answer: str | None = None
    feedback: str | None = None


@dataclass
class QualificationType:
    type_id: str
    name: str
    description: str
    keywords: str | None
    status: str
    created: float
    retry_delay: int | None = None
    test: str | None = None
    answer_key: str | None = None
    test_duration: int | None = None
    auto_granted: bool = False
    auto_granted_value: int | None = None


@dataclass
class Qualification:
    type_id: str
    worker_id: str
    value: int
    granted: float
    status: str = "Granted"


@dataclass
class Bonus:
    worker_id: str
    assignment_id: str
    hit_id: str
    amount: Decimal
    reason: str
    granted: float
    token: str | None


class Clock:
    """Real time plus an offset that `advance` grows: the fake's time starts as the real time
    (so ExpireAt values computed from datetime.now() mean what they say) and can jump ahead."""

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
# The marketplace: MTurk's rules over those records

OPERATIONS: dict[str, Callable[[Marketplace, Params], Result]] = {}


def api(name: str) -> Callable[[Callable[[Marketplace, Params], Result]], Callable[[Marketplace, Params], Result]]:
    """Register a Marketplace method as the handler of an MTurk operation."""
    def register(handler: Callable[[Marketplace, Params], Result]) -> Callable[[Marketplace, Params], Result]:
        OPERATIONS[name] = handler
        return handler
    return register


class Marketplace:
    """Everything MTurk keeps for one requester, and MTurk's rules for changing it. Every public
    method holds one lock, so API calls (from server threads) and hooks (from tests) interleave
    safely."""

    def __init__(self, *, balance: Decimal, allow_http: bool, clock: Clock) -> None:
        self.clock = clock
        self.allow_http = allow_http
        self._lock = threading.RLock()
        self._balance = balance
        self._hit_type_ids: dict[HitTypeSpec, str] = {}
        self._hit_types: dict[str, HitTypeSpec] = {}
        self._group_ids: dict[str, str] = {}
        self._hits: dict[str, Hit] = {}
        self._assignments: dict[str, Assignment] = {}
        self._bonuses: list[Bonus] = []
        self._blocks: dict[str, str] = {}
        self._qualification_types: dict[str, QualificationType] = {}
        self._qualifications: dict[tuple[str, str], Qualification] = {}
        self._locales: dict[str, dict[str, str]] = {}
        self._notifications: list[Result] = []
        self._tokens: dict[tuple[str, str], tuple[float, str]] = {}

    def call(self, operation: str, params: Params) -> Result:
        """Run one API operation (which must be in OPERATIONS) and answer its output shape."""
        check_input(operation, params)
        with self._lock:
            self._settle()
            return OPERATIONS[operation](self, params)

    # -- account -------------------------------------------------------------------------------

    @api("GetAccountBalance")
    def get_account_balance(self, params: Params) -> Result:
        return {"AvailableBalance": str(self._balance)}

    # -- HIT types and HITs ----------------------------------------------------------------------

    @api("CreateHITType")
    def create_hit_type(self, params: Params) -> Result:
        return {"HITTypeId": self._register_hit_type(self._hit_type_spec(params))}

    @api("CreateHITWithHITType")
    def create_hit_with_hit_type(self, params: Params) -> Result:
        if params["HITTypeId"] not in self._hit_types:
            raise request_error(f"HITType {params['HITTypeId']} does not exist.",
                                "AWS.MechanicalTurk.HITTypeDoesNotExist")
        return {"HIT": self._hit_view(self._create_hit(self._hit_types[params["HITTypeId"]], params))}

    @api("CreateHIT")
    def create_hit(self, params: Params) -> Result:
        return {"HIT": self._hit_view(self._create_hit(self._hit_type_spec(params), params))}

    @api("GetHIT")
    def get_hit(self, params: Params) -> Result:
        return {"HIT": self._hit_view(self._hit(params["HITId"]))}

    @api("ListHITs")
    def list_hits(self, params: Params) -> Result:
        hits = [self._hit_view(hit) for hit in self._hits.values() if not hit.disposed]
        return page(hits, params, "HITs", "ListHITs")

    @api("ListHITsForQualificationType")
    def list_hits_for_qualification_type(self, params: Params) -> Result:
        type_id = params["QualificationTypeId"]
        if type_id not in self._qualification_types and type_id not in SYSTEM_QUALIFICATIONS:
            raise self._no_qualification_type(type_id)
        hits = [self._hit_view(hit) for hit in self._hits.values() if not hit.disposed
                and any(req["QualificationTypeId"] == type_id for req in hit.spec.requirements)]
        return page(hits, params, "HITs", f"ListHITsForQualificationType/{type_id}")

    @api("UpdateExpirationForHIT")
    def update_expiration_for_hit(self, params: Params) -> Result:
        """A time in the past expires the HIT now; workers already on it may still submit."""
        hit = self._hit(params["HITId"])
        if hit.disposed:
            raise self._wrong_hit_state(hit, "Assignable, Unassignable, Reviewable, Reviewing")
        hit.expiration = max(float(params["ExpireAt"]), self.clock.now())
        return {}

    @api("DeleteHIT")
    def delete_hit(self, params: Params) -> Result:
        """Only a Reviewable HIT (expired or used up, nobody still working) whose submitted work
        has all been approved or rejected can be deleted."""
        hit = self._hit(params["HITId"])
        if self._hit_status(hit) != "Reviewable":
            raise self._wrong_hit_state(hit, "Reviewing, Reviewable")
        if any(self._assignments[aid].status == SUBMITTED for aid in hit.assignment_ids):
            raise request_error(f"HIT {hit.hit_id} has submitted assignments that have not been approved "
                                "or rejected; review them before deleting it.",
                                "AWS.MechanicalTurk.InvalidHITState")
        hit.disposed = True
        return {}

    # -- assignments -------------------------------------------------------------------------------

    @api("ListAssignmentsForHIT")
    def list_assignments_for_hit(self, params: Params) -> Result:
        hit = self._hit(params["HITId"])
        wanted = params.get("AssignmentStatuses") or list(VISIBLE_STATES)
        found = [self._assignment_view(self._assignments[aid]) for aid in hit.assignment_ids
                 if self._assignments[aid].status in wanted]
        return page(found, params, "Assignments", f"ListAssignmentsForHIT/{hit.hit_id}")

    @api("GetAssignment")
    def get_assignment(self, params: Params) -> Result:
        assignment = self._visible_assignment(params["AssignmentId"])
        return {"Assignment": self._assignment_view(assignment),
                "HIT": self._hit_view(self._hits[assignment.hit_id])}

    @api("ApproveAssignment")
    def approve_assignment(self, params: Params) -> Result:
        assignment = self._visible_assignment(params["AssignmentId"])
        feedback = text_param(params, "RequesterFeedback")
        hit = self._hits[assignment.hit_id]
        if assignment.status == REJECTED and params.get("OverrideRejection"):
            if hit.disposed:
                raise request_error(f"The rejection of assignment {assignment.assignment_id} can no longer be "
                                    "overridden: its HIT has been deleted.", "AWS.MechanicalTurk.InvalidAssignmentState")
            if self.clock.now() - assignment.submitted > OVERRIDE_REJECTION_WINDOW:
                raise request_error(f"The rejection of assignment {assignment.assignment_id} can no longer be "
                                    "overridden: it was submitted more than 30 days ago.",
                                    "AWS.MechanicalTurk.InvalidAssignmentState")
        elif assignment.status != SUBMITTED:
            raise self._wrong_assignment_state(assignment)
        self._approve(assignment, feedback)
        return {}

    @api("RejectAssignment")
    def reject_assignment(self, params: Params) -> Result:
        assignment = self._visible_assignment(params["AssignmentId"])
        feedback = text_param(params, "RequesterFeedback", required=True)
        if assignment.status != SUBMITTED:
            raise self._wrong_assignment_state(assignment)
        assignment.status, assignment.rejected, assignment.feedback = REJECTED, self.clock.now(), feedback
        return {}

    # -- bonuses and messages ----------------------------------------------------------------------

    @api("SendBonus")
    def send_bonus(self, params: Params) -> Result:
        """Pays once per UniqueRequestToken: a token used in the last 24 hours is refused, which is
        how a retry after a lost answer learns the bonus was already paid."""
        token = params.get("UniqueRequestToken")
        if token and self._previous_use("SendBonus", token):
            raise request_error(f'The idempotency token "{token}" has already been processed.',
                                "AWS.MechanicalTurk.DuplicateRequest")
        assignment = self._visible_assignment(params["AssignmentId"])
        if assignment.worker_id != params["WorkerId"]:
            raise parameter_error("WorkerId", params["WorkerId"],
                                  f"Assignment {assignment.assignment_id} was not done by this worker.")
        amount = parse_money(params["BonusAmount"], "BonusAmount")
        reason = text_param(params, "Reason", required=True)
        self._charge(amount + commission(amount, FEE_RATE), "send this bonus")
        self._bonuses.append(Bonus(assignment.worker_id, assignment.assignment_id, assignment.hit_id,
                                   amount, reason, self.clock.now(), token))
        if token:
            self._tokens[("SendBonus", token)] = (self.clock.now(), assignment.assignment_id)
        return {}

    @api("ListBonusPayments")
    def list_bonus_payments(self, params: Params) -> Result:
        if "AssignmentId" in params:
            assignment = self._visible_assignment(params["AssignmentId"])
            bonuses = [b for b in self._bonuses if b.assignment_id == assignment.assignment_id]
            scope = f"ListBonusPayments/{assignment.assignment_id}"
        elif "HITId" in params:
            hit = self._hit(params["HITId"])
            bonuses = [b for b in self._bonuses if b.hit_id == hit.hit_id]
            scope = f"ListBonusPayments/{hit.hit_id}"
        else:
            raise MTurkError("ParameterValidationError", "Either the HITId or the AssignmentId parameter "
                                                         "must be specified.")
        return page([self._bonus_view(b) for b in bonuses], params, "BonusPayments", scope)

    @api("NotifyWorkers")
    def notify_workers(self, params: Params) -> Result:
        """MTurk only emails workers whose work you have approved or rejected; the others come back
        as failures in the answer, not as an error."""
        subject = text_param(params, "Subject", required=True)
        text = text_param(params, "MessageText", required=True)
        if len(params["WorkerIds"]) > MAX_NOTIFIED_WORKERS:
            raise parameter_error("WorkerIds", f"{len(params['WorkerIds'])} workers",
                                  f"At most {MAX_NOTIFIED_WORKERS} workers can be notified at once.")
        reviewed = {a.worker_id for a in self._assignments.values() if a.status in (APPROVED, REJECTED)}
        failures = []
        for worker_id in params["WorkerIds"]:
            if worker_id in reviewed:
                self._notifications.append({"WorkerId": worker_id, "Subject": subject, "MessageText": text,
                                            "SentTime": moment(self.clock.now())})
            else:
                failures.append({"NotifyWorkersFailureCode": "HardFailure", "WorkerId": worker_id,
                                 "NotifyWorkersFailureMessage": "Cannot send a notification to a worker whose "
                                                                "work you have not approved or rejected."})
        return {"NotifyWorkersFailureStatuses": failures}

    # -- qualifications ----------------------------------------------------------------------------

    @api("CreateQualificationType")
    def create_qualification_type(self, params: Params) -> Result:
        name = params["Name"]
        if not name.strip():
            raise parameter_error("Name", name, "It must not be empty.")
        if any(qt.name == name for qt in self._qualification_types.values()):
            raise request_error(f"You have already created a QualificationType with this name: {name}. A "
                                "QualificationType's name must be unique among your QualificationTypes.",
                                "AWS.MechanicalTurk.QualificationTypeAlreadyExists")
        if params.get("Test") and params.get("AutoGranted"):
            raise parameter_error("AutoGranted", True, "A QualificationType with a Test cannot be AutoGranted.")
        if params.get("Test") and "TestDurationInSeconds" not in params:
            raise parameter_error("TestDurationInSeconds", None, "It is required with a Test.")
        if params.get("AnswerKey") and not params.get("Test"):
            raise parameter_error("AnswerKey", "...", "An AnswerKey needs a Test.")
        auto_granted = params.get("AutoGranted", False)
        qualification_type = QualificationType(
            new_id(), name, params["Description"], params.get("Keywords"), params["QualificationTypeStatus"],
            self.clock.now(), params.get("RetryDelayInSeconds"), params.get("Test"), params.get("AnswerKey"),
            params.get("TestDurationInSeconds"), auto_granted,
            params.get("AutoGrantedValue", 1) if auto_granted else None)
        self._qualification_types[qualification_type.type_id] = qualification_type
        return {"QualificationType": self._qualification_type_view(qualification_type)}

    @api("GetQualificationType")
    def get_qualification_type(self, params: Params) -> Result:
        type_id = params["QualificationTypeId"]
        if type_id in SYSTEM_QUALIFICATIONS:
            return {"QualificationType": self._system_qualification_type_view(type_id)}
        return {"QualificationType": self._qualification_type_view(self._own_qualification_type(type_id))}

    @api("ListQualificationTypes")
    def list_qualification_types(self, params: Params) -> Result:
        """Query matches words in the name, description or keywords; the fake's whole world is your
        own types plus MTurk's system types (which are not requestable)."""
        found = [self._qualification_type_view(qt) for qt in self._qualification_types.values()]
        if not params.get("MustBeOwnedByCaller"):
            found += [self._system_qualification_type_view(type_id) for type_id in SYSTEM_QUALIFICATIONS]
        if params["MustBeRequestable"]:
            found = [view for view in found if view["IsRequestable"]]
        query = params.get("Query", "").lower()
        found = [view for view in found if query in " ".join(
            [view["Name"], view.get("Description", ""), view.get("Keywords", "")]).lower()]
        return page(found, params, "QualificationTypes", "ListQualificationTypes")

    @api("AssociateQualificationWithWorker")
    def associate_qualification_with_worker(self, params: Params) -> Result:
        type_id = self._own_qualification_type(params["QualificationTypeId"]).type_id
        self._qualifications[(type_id, params["WorkerId"])] = Qualification(
            type_id, params["WorkerId"], params.get("IntegerValue", 1), self.clock.now())
        return {}

    @api("DisassociateQualificationFromWorker")
    def disassociate_qualification_from_worker(self, params: Params) -> Result:
        qualification = self._qualification(params["QualificationTypeId"], params["WorkerId"])
        if qualification.status != "Granted":
            raise self._no_qualification()
        qualification.status = "Revoked"
        return {}

    @api("GetQualificationScore")
    def get_qualification_score(self, params: Params) -> Result:
        return {"Qualification": self._qualification_view(
            self._qualification(params["QualificationTypeId"], params["WorkerId"]))}

    @api("ListWorkersWithQualificationType")
    def list_workers_with_qualification_type(self, params: Params) -> Result:
        type_id = self._own_qualification_type(params["QualificationTypeId"]).type_id
        found = [self._qualification_view(q) for (qualified_type, _), q in self._qualifications.items()
                 if qualified_type == type_id and params.get("Status", q.status) == q.status]
        return page(found, params, "Qualifications", f"ListWorkersWithQualificationType/{type_id}")

    # -- worker blocks -----------------------------------------------------------------------------

    @api("CreateWorkerBlock")
    def create_worker_block(self, params: Params) -> Result:
        self._blocks[params["WorkerId"]] = text_param(params, "Reason", required=True)
        return {}

    @api("DeleteWorkerBlock")
    def delete_worker_block(self, params: Params) -> Result:
        """Unblocking a worker who is not blocked changes nothing and is not an error."""
        self._blocks.pop(params["WorkerId"], None)
        return {}

    @api("ListWorkerBlocks")
    def list_worker_blocks(self, params: Params) -> Result:
        blocks = [{"WorkerId": worker_id, "Reason": reason} for worker_id, reason in self._blocks.items()]
        return page(blocks, params, "WorkerBlocks", "ListWorkerBlocks")

    # -- simulated workers (the hooks FakeMTurk exposes) -------------------------------------------

    def add_worker(self, worker_id: str, locale: str | None) -> None:
        """Set (or with None, clear) the locale Worker_Locale requirements see for this worker."""
        check_worker_id(worker_id)
        if locale is not None and not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", locale):
            raise ValueError(f"{locale!r} is not an ISO 3166 country code, optionally with a subdivision (US-NY)")
        with self._lock:
            if locale is None:
                self._locales.pop(worker_id, None)
            else:
                country, _, subdivision = locale.partition("-")
                self._locales[worker_id] = compact({"Country": country, "Subdivision": subdivision or None})

    def accept(self, hit_id: str, worker_id: str) -> str:
        check_worker_id(worker_id)
        with self._lock:
            self._settle()
            hit = self._hits.get(hit_id)
            if hit is None or hit.disposed:
                raise ActionRefused(f"HIT {hit_id} does not exist")
            if worker_id in self._blocks:
                raise ActionRefused(f"worker {worker_id} is blocked: {self._blocks[worker_id]}")
            if self._expired(hit):
                raise ActionRefused(f"HIT {hit_id} has expired")
            if any(self._assignments[aid].worker_id == worker_id and self._assignments[aid].status
                   not in (RETURNED, ABANDONED) for aid in hit.assignment_ids):
                raise ActionRefused(f"worker {worker_id} already has an assignment of HIT {hit_id}")
            if self._available(hit) == 0:
                raise ActionRefused(f"HIT {hit_id} has no assignments available")
            unmet = [req for req in hit.spec.requirements if not self._meets(worker_id, req)]
            if unmet:
                raise ActionRefused(f"worker {worker_id} does not meet the qualification requirements {unmet}")
            now = self.clock.now()
            assignment = Assignment(new_id(), hit_id, worker_id, now, now + hit.spec.assignment_duration)
            self._assignments[assignment.assignment_id] = assignment
            hit.assignment_ids.append(assignment.assignment_id)
            return assignment.assignment_id

    def submit(self, assignment_id: str, answer: dict[str, Any] | None) -> None:
        with self._lock:
            assignment = self._working(assignment_id)
            now = self.clock.now()
            assignment.status, assignment.submitted, assignment.answer = SUBMITTED, now, question_form_answers(answer)
            assignment.auto_approval = now + self._hits[assignment.hit_id].spec.auto_approval_delay

    def return_assignment(self, assignment_id: str) -> None:
        with self._lock:
            self._working(assignment_id).status = RETURNED

    def abandon(self, assignment_id: str) -> None:
        """The assignment's duration runs out, as if the worker walked away."""
        with self._lock:
            assignment = self._working(assignment_id)
            assignment.status, assignment.deadline = ABANDONED, self.clock.now()

    # -- inspection ----------------------------------------------------------------------------------

    def snapshot(self, what: str) -> Any:
        """Plain copies of the records for assertions (see the FakeMTurk properties)."""
        with self._lock:
            self._settle()
            if what == "hits":
                return {hit_id: {**self._hit_view(hit), "ExternalURL": hit.external_url,
                                 "FrameHeight": hit.frame_height} for hit_id, hit in self._hits.items()}
            if what == "assignments":
                return {aid: self._assignment_view(a) for aid, a in self._assignments.items()}
            if what == "bonuses":
                return [{**self._bonus_view(b), "HITId": b.hit_id, "UniqueRequestToken": b.token}
                        for b in self._bonuses]
            if what == "qualification_types":
                return {type_id: self._qualification_type_view(qt)
                        for type_id, qt in self._qualification_types.items()}
            if what == "qualifications":
                return {key: self._qualification_view(q) for key, q in self._qualifications.items()}
            if what == "blocks":
                return dict(self._blocks)
            if what == "notifications":
                return [dict(n) for n in self._notifications]
            if what == "balance":
                return self._balance
            raise ValueError(f"nothing called {what!r} to inspect")

    # -- rules -------------------------------------------------------------------------------------

    def _settle(self) -> None:
        """Apply what the passing of time did: deadlines abandon work in progress, and submitted
        work is approved automatically once its delay is over (if the balance can pay for it;
        otherwise it waits, as ApproveAssignment would refuse)."""
        now = self.clock.now()
        for assignment in self._assignments.values():
            if assignment.status == ACCEPTED and now >= assignment.deadline:
                assignment.status = ABANDONED
            elif assignment.status == SUBMITTED and now >= assignment.auto_approval:
                with contextlib.suppress(MTurkError):
                    self._approve(assignment, None, at=assignment.auto_approval)

    def _approve(self, assignment: Assignment, feedback: str | None, at: float | None = None) -> None:
        hit = self._hits[assignment.hit_id]
        reward = hit.spec.reward
        self._charge(reward + commission(reward, reward_fee_rate(hit.max_assignments)), "approve this assignment")
        assignment.status, assignment.approved = APPROVED, at or self.clock.now()
        if feedback is not None:
            assignment.feedback = feedback

    def _charge(self, total: Decimal, purpose: str) -> None:
        if total > self._balance:
            raise request_error(f"You do not have enough funds to {purpose}: it costs ${total} "
                                f"with fees and your balance is ${self._balance}.",
                                "AWS.MechanicalTurk.InsufficientFunds")
        self._balance -= total

    def _hit_type_spec(self, params: Params) -> HitTypeSpec:
        requirements = params.get("QualificationRequirements", [])
        self._check_requirements(requirements)
        return HitTypeSpec(
            title=text_param(params, "Title", required=True),
            description=text_param(params, "Description", required=True),
            keywords=text_param(params, "Keywords"),
            reward=parse_money(params["Reward"], "Reward"),
            assignment_duration=int_param(params, "AssignmentDurationInSeconds", ASSIGNMENT_DURATION_RANGE),
            auto_approval_delay=int_param(params, "AutoApprovalDelayInSeconds", AUTO_APPROVAL_DELAY_RANGE,
                                          DEFAULT_AUTO_APPROVAL_DELAY),
            requirements_json=json.dumps(requirements, sort_keys=True))

    def _register_hit_type(self, spec: HitTypeSpec) -> str:
        """The id of the HIT type with exactly these properties, made if it is new."""
        if spec not in self._hit_type_ids:
            type_id = new_id()
            self._hit_type_ids[spec], self._hit_types[type_id] = type_id, spec
            self._group_ids[type_id] = new_id()
        return self._hit_type_ids[spec]

    def _check_requirements(self, requirements: list[dict[str, Any]]) -> None:
        if len(requirements) > MAX_REQUIREMENTS:
            raise parameter_error("QualificationRequirements", f"{len(requirements)} requirements",
                                  f"A HIT can have at most {MAX_REQUIREMENTS}.")
        for requirement in requirements:
            type_id = requirement["QualificationTypeId"]
            if type_id not in SYSTEM_QUALIFICATIONS and self._own_qualification_type(type_id).status != "Active":
                raise request_error(f"QualificationType {type_id} is not active.",
                                    "AWS.MechanicalTurk.QualificationTypeNotActive")
            if "ActionsGuarded" in requirement and "RequiredToPreview" in requirement:
                raise parameter_error("RequiredToPreview", requirement["RequiredToPreview"],
                                      "It cannot be combined with ActionsGuarded.")
            problem = requirement_problem(requirement["Comparator"], requirement.get("IntegerValues"),
                                          requirement.get("LocaleValues"), is_locale=type_id == LOCALE_QUALIFICATION)
            if problem:
                raise parameter_error("QualificationRequirements", type_id, problem)

    def _create_hit(self, spec: HitTypeSpec, params: Params) -> Hit:
        """Check everything before changing anything, so a refused HIT leaves no trace."""
        max_assignments = int_param(params, "MaxAssignments", MAX_ASSIGNMENTS_RANGE, 1)
        lifetime = int_param(params, "LifetimeInSeconds", LIFETIME_RANGE)
        annotation = text_param(params, "RequesterAnnotation")
        if "HITLayoutId" in params:
            raise parameter_error("HITLayoutId", params["HITLayoutId"], "The fake supports only ExternalQuestion.")
        if "Question" not in params:
            raise MTurkError("ParameterValidationError",
                             "Either a Question parameter or a HITLayoutId parameter must be provided.")
        url, frame_height = parse_external_question(params["Question"], allow_http=self.allow_http)
        token = params.get("UniqueRequestToken")
        earlier = token and self._previous_use("CreateHIT", token)
        if earlier:
            raise request_error(f"There is already a HIT which exists with the same UniqueRequestToken "
                                f'"{token}": HITId {earlier}.', "AWS.MechanicalTurk.HitAlreadyExists")
        cost = max_assignments * (spec.reward + commission(spec.reward, reward_fee_rate(max_assignments)))
        if cost > self._balance:
            raise request_error(f"You do not have enough funds to create this HIT: its {max_assignments} "
                                f"assignments cost ${cost} with fees and your balance is ${self._balance}.",
                                "AWS.MechanicalTurk.InsufficientFunds")
        type_id = self._register_hit_type(spec)
        now = self.clock.now()
        hit = Hit(new_id(), type_id, self._group_ids[type_id], spec, max_assignments, now, now + lifetime,
                  params["Question"], url, frame_height, annotation)
        self._hits[hit.hit_id] = hit
        if token:
            self._tokens[("CreateHIT", token)] = (now, hit.hit_id)
        return hit

    def _previous_use(self, scope: str, token: str) -> str | None:
        """What a UniqueRequestToken was used for, if that was less than 24 hours ago."""
        used = self._tokens.get((scope, token))
        if used and self.clock.now() - used[0] < TOKEN_LIFETIME:
            return used[1]
        return None

    def _meets(self, worker_id: str, requirement: dict[str, Any]) -> bool:
        type_id, comparator = requirement["QualificationTypeId"], requirement["Comparator"]
        if type_id == LOCALE_QUALIFICATION:
            locale = self._locales.get(worker_id)
            return locale is None or requirement_holds(comparator, locale, requirement.get("LocaleValues", []),
                                                       locale_matches)
        if type_id not in self._qualification_types:
            return True
        qualification = self._qualifications.get((type_id, worker_id))
        value = qualification.value if qualification and qualification.status == "Granted" else None
        return requirement_holds(comparator, value, requirement.get("IntegerValues", []))

    def _expired(self, hit: Hit) -> bool:
        return self.clock.now() >= hit.expiration

    def _tally(self, hit: Hit) -> Counter[str]:
        return Counter(self._assignments[aid].status for aid in hit.assignment_ids)

    def _available(self, hit: Hit) -> int:
        if hit.disposed or self._expired(hit):
            return 0
        tally = self._tally(hit)
        return hit.max_assignments - sum(tally[state] for state in (ACCEPTED, *VISIBLE_STATES))

    def _hit_status(self, hit: Hit) -> str:
        if hit.disposed:
            return "Disposed"
        if self._available(hit):
            return "Assignable"
        return "Unassignable" if self._tally(hit)[ACCEPTED] else "Reviewable"

    def _working(self, assignment_id: str) -> Assignment:
        """An assignment its worker still holds (hooks may only act on those)."""
        self._settle()
        assignment = self._assignments.get(assignment_id)
        if assignment is None:
            raise ActionRefused(f"assignment {assignment_id} does not exist")
        if assignment.status != ACCEPTED:
            raise ActionRefused(f"assignment {assignment_id} is {assignment.status}, not being worked on")
        return assignment

    # -- look-ups and their errors -------------------------------------------------------------------

    def _hit(self, hit_id: str) -> Hit:
        if hit_id not in self._hits:
            raise request_error(f"Hit {hit_id} does not exist.", "AWS.MechanicalTurk.HITDoesNotExist")
        return self._hits[hit_id]

    def _visible_assignment(self, assignment_id: str) -> Assignment:
        """Work not yet submitted does not exist as far as the requester API is concerned."""
        assignment = self._assignments.get(assignment_id)
        if assignment is None or assignment.status not in VISIBLE_STATES:
            raise request_error(f"Assignment {assignment_id} does not exist.",
                                "AWS.MechanicalTurk.AssignmentDoesNotExist")
        return assignment

    def _own_qualification_type(self, type_id: str) -> QualificationType:
        if type_id in SYSTEM_QUALIFICATIONS:
            raise request_error(f"QualificationType {type_id} is owned by Amazon Mechanical Turk; only "
                                "its owner can do this.", "AWS.MechanicalTurk.PermissionDenied")
        if type_id not in self._qualification_types:
            raise self._no_qualification_type(type_id)
        return self._qualification_types[type_id]

    def _qualification(self, type_id: str, worker_id: str) -> Qualification:
        self._own_qualification_type(type_id)
        if (type_id, worker_id) not in self._qualifications:
            raise self._no_qualification()
        return self._qualifications[(type_id, worker_id)]

    @staticmethod
    def _no_qualification_type(type_id: str) -> MTurkError:
        return request_error(f"QualificationType {type_id} does not exist.",
                             "AWS.MechanicalTurk.QualificationTypeDoesNotExist")

    @staticmethod
    def _no_qualification() -> MTurkError:
        return request_error("You requested a Qualification that does not exist.",
                             "AWS.MechanicalTurk.QualificationDoesNotExist")

    def _wrong_hit_state(self, hit: Hit, allowed: str) -> MTurkError:
        return request_error(f"This HIT is currently in the state '{self._hit_status(hit)}'.  This operation "
                             f"can be called with a status of: {allowed}", "AWS.MechanicalTurk.InvalidHITState")

    @staticmethod
    def _wrong_assignment_state(assignment: Assignment) -> MTurkError:
        return request_error(f"This operation can be called with a status of: Submitted (assignment "
                             f"{assignment.assignment_id} is {assignment.status}).",
                             "AWS.MechanicalTurk.InvalidAssignmentState")

    # -- output shapes (datetimes become epoch seconds on the wire) ---------------------------------

    def _hit_view(self, hit: Hit) -> Result:
        tally = self._tally(hit)
        return compact({
            "HITId": hit.hit_id, "HITTypeId": hit.hit_type_id, "HITGroupId": hit.group_id,
            "CreationTime": moment(hit.created), "Title": hit.spec.title, "Description": hit.spec.description,
            "Question": hit.question, "Keywords": hit.spec.keywords, "HITStatus": self._hit_status(hit),
            "MaxAssignments": hit.max_assignments, "Reward": str(hit.spec.reward),
            "AutoApprovalDelayInSeconds": hit.spec.auto_approval_delay, "Expiration": moment(hit.expiration),
            "AssignmentDurationInSeconds": hit.spec.assignment_duration, "RequesterAnnotation": hit.annotation,
            "QualificationRequirements": hit.spec.requirements, "HITReviewStatus": "NotReviewed",
            "NumberOfAssignmentsPending": tally[ACCEPTED], "NumberOfAssignmentsAvailable": self._available(hit),
            "NumberOfAssignmentsCompleted": tally[APPROVED] + tally[REJECTED],
        })

    @staticmethod
    def _assignment_view(assignment: Assignment) -> Result:
        return compact({
            "AssignmentId": assignment.assignment_id, "WorkerId": assignment.worker_id,
            "HITId": assignment.hit_id, "AssignmentStatus": assignment.status,
            "AutoApprovalTime": moment(assignment.auto_approval), "AcceptTime": moment(assignment.accepted),
            "SubmitTime": moment(assignment.submitted), "ApprovalTime": moment(assignment.approved),
            "RejectionTime": moment(assignment.rejected), "Deadline": moment(assignment.deadline),
            "Answer": assignment.answer, "RequesterFeedback": assignment.feedback,
        })

    @staticmethod
    def _bonus_view(bonus: Bonus) -> Result:
        return {"WorkerId": bonus.worker_id, "BonusAmount": str(bonus.amount), "AssignmentId": bonus.assignment_id,
                "Reason": bonus.reason, "GrantTime": moment(bonus.granted)}

    @staticmethod
    def _qualification_type_view(qt: QualificationType) -> Result:
        return compact({
            "QualificationTypeId": qt.type_id, "CreationTime": moment(qt.created), "Name": qt.name,
            "Description": qt.description, "Keywords": qt.keywords, "QualificationTypeStatus": qt.status,
            "Test": qt.test, "TestDurationInSeconds": qt.test_duration, "AnswerKey": qt.answer_key,
            "RetryDelayInSeconds": qt.retry_delay, "IsRequestable": True, "AutoGranted": qt.auto_granted,
            "AutoGrantedValue": qt.auto_granted_value,
        })

    @staticmethod
    def _system_qualification_type_view(type_id: str) -> Result:
        name, description = SYSTEM_QUALIFICATIONS[type_id]
        return {"QualificationTypeId": type_id, "Name": name, "Description": description,
                "QualificationTypeStatus": "Active", "IsRequestable": False, "AutoGranted": False}

    @staticmethod
    def _qualification_view(qualification: Qualification) -> Result:
        return {"QualificationTypeId": qualification.type_id, "WorkerId": qualification.worker_id,
                "GrantTime": moment(qualification.granted), "IntegerValue": qualification.value,
                "Status": qualification.status}


def check_worker_id(worker_id: str) -> None:
    if not WORKER_ID.fullmatch(worker_id):
        raise ValueError(f"{worker_id!r} is not shaped like an MTurk worker id (A, then up to 63 of A-Z 0-9)")


# ---------------------------------------------------------------------------------------------
# The HTTP side: AWS JSON 1.1 in and out, with injected faults


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


class ApiFront:
    """The WSGI application: decodes a request, records it, applies any queued fault, asks the
    marketplace, and encodes the answer the way AWS does."""

    def __init__(self, market: Marketplace, faults: FaultPlan) -> None:
        self.market, self.faults = market, faults
        self._calls: list[tuple[str, Params]] = []
        self._calls_lock = threading.Lock()

    @property
    def calls(self) -> list[tuple[str, Params]]:
        with self._calls_lock:
            return list(self._calls)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        return self._respond(Request(environ), environ)(environ, start_response)

    def _respond(self, request: Request, environ: dict[str, Any]) -> Response:
        prefix, _, operation = request.headers.get("X-Amz-Target", "").partition(".")
        if request.method != "POST" or prefix != TARGET_PREFIX:
            return _answer(400, MTurkError("UnknownOperationException", "Send a POST with an X-Amz-Target of "
                                                                        f"{TARGET_PREFIX}.<Operation>.").body())
        try:
            params = json.loads(request.get_data() or b"{}")
        except ValueError:
            params = None
        if not isinstance(params, dict):
            return _answer(400, MTurkError("SerializationException", "The body is not a JSON object.").body())
        with self._calls_lock:
            self._calls.append((operation, params))
        if operation not in OPERATIONS:
            return _answer(400, MTurkError("UnknownOperationException",
                                           f"{operation} is not an operation the fake MTurk implements.").body())
        fault = self.faults.take(operation)
        if fault is None or fault.after_effect:
            try:
                response = _answer(200, self.market.call(operation, params))
            except MTurkError as error:
                response = _answer(400, error.body())
        if fault is None:
            return response
        if fault.error == DROP_CONNECTION:
            # Close the socket under werkzeug and tell it the client went away: the client sees the
            # connection end without an answer, like a timeout after MTurk acted.
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("connection dropped by FakeMTurk.fail_next")
        status, message = FAULTS[fault.error]
        return _answer(status, MTurkError(fault.error, message).body())


def _answer(status: int, body: Result) -> Response:
    def wire(value: Any) -> float:
        if isinstance(value, datetime):
            return round(value.timestamp(), 3)
        raise TypeError(f"cannot send {value!r}")

    return Response(json.dumps(body, default=wire), status=status, content_type=JSON_CONTENT_TYPE,
                    headers={"x-amzn-RequestId": str(uuid.uuid4())})


# ---------------------------------------------------------------------------------------------
# The fake, as tests drive it


class FakeMTurk(BackgroundServer):
    """A fake MTurk requester endpoint on a free local port, served from a background thread.

    balance: the starting AvailableBalance in dollars (a sandbox account has $10,000.00).
    allow_http: accept http ExternalURLs on 127.0.0.1/localhost (MTurk itself requires https).
    """

    def __init__(self, *, balance: Decimal | str = DEFAULT_BALANCE, allow_http: bool = True,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.clock = Clock()
        self.market = Marketplace(balance=Decimal(balance).quantize(CENT), allow_http=allow_http, clock=self.clock)
        self.faults = FaultPlan()
        self.front = ApiFront(self.market, self.faults)
        super().__init__(self.front, host, port, "fake-mturk")

    @property
    def url(self) -> str:
        return self.origin

    def client(self, config: Config | None = None) -> BaseClient:
        """A real boto3 MTurk client aimed at the fake (any credentials do: nothing is signed-checked).
        Pass a botocore Config to change retries or timeouts."""
        return boto3.client("mturk", endpoint_url=self.url, region_name=REGION, aws_access_key_id="fake",
                            aws_secret_access_key="fake", config=config)

    # -- time ------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return moment(self.clock.now())

    def advance(self, seconds: float) -> None:
        """Move the fake's clock: HITs expire, deadlines pass, submitted work is auto-approved."""
        self.clock.advance(seconds)

    # -- simulated workers -----------------------------------------------------------------------

    def add_worker(self, worker_id: str, *, locale: str | None = None) -> None:
        """Give a worker a locale ("US", "US-NY") for Worker_Locale requirements; a worker without
        one meets every locale requirement."""
        self.market.add_worker(worker_id, locale)

    def accept(self, hit_id: str, worker_id: str) -> str:
        """The worker accepts the HIT; answers the new assignment's id. Raises ActionRefused when MTurk
        would not let them: no slot left, HIT expired or deleted, worker blocked, already holding one
        of its assignments, or not meeting its QualificationRequirements."""
        return self.market.accept(hit_id, worker_id)

    def submit(self, assignment_id: str, answer: dict[str, Any] | None = None) -> None:
        """The worker submits, before their deadline; `answer` becomes the QuestionFormAnswers."""
        self.market.submit(assignment_id, answer)

    def return_assignment(self, assignment_id: str) -> None:
        """The worker gives the assignment back; its slot is free again while the HIT lives."""
        self.market.return_assignment(assignment_id)

    def abandon(self, assignment_id: str) -> None:
        """The worker's time runs out; the slot is free again while the HIT lives."""
        self.market.abandon(assignment_id)

    # -- faults and calls ------------------------------------------------------------------------

    def fail_next(self, operation: str, error: str = "ServiceUnavailable", *, times: int = 1,
                  after_effect: bool = False) -> None:
        """Make the next `times` requests for `operation` ("SendBonus" or "send_bonus") fail with
        `error`: one of FAULTS, or DROP_CONNECTION to close the connection without an answer. With
        `after_effect`, the operation takes effect first and only the answer is lost.

        botocore retries ThrottlingException, 5xx answers and dropped connections by itself (three
        attempts in its standard mode), and each attempt takes one queued fault; see `calls`."""
        names = {xform_name(name): name for name in OPERATIONS}
        name = operation if operation in OPERATIONS else names.get(operation)
        if name is None:
            raise ValueError(f"the fake does not implement {operation!r}; it knows {sorted(OPERATIONS)}")
        if error not in FAULTS and error != DROP_CONNECTION:
            raise ValueError(f"unknown fault {error!r}; use one of {[*FAULTS, DROP_CONNECTION]}")
        self.faults.add(name, Fault(error, after_effect), times)

    @property
    def calls(self) -> list[tuple[str, Params]]:
        """Every request that reached the fake, in order: (operation, params), retries included."""
        return self.front.calls

    def calls_of(self, operation: str) -> list[Params]:
        return [params for name, params in self.calls if name == operation]

    # -- inspection (plain copies; timestamps as UTC datetimes) ----------------------------------

    @property
    def hits(self) -> dict[str, Result]:
        """Every HIT, deleted ones included (HITStatus Disposed), with its ExternalURL and FrameHeight."""
        return self.market.snapshot("hits")

    @property
    def assignments(self) -> dict[str, Result]:
        """Every assignment, including those the API hides (Accepted, Returned, Abandoned)."""
        return self.market.snapshot("assignments")

    @property
    def bonuses(self) -> list[Result]:
        return self.market.snapshot("bonuses")

    @property
    def qualification_types(self) -> dict[str, Result]:
        return self.market.snapshot("qualification_types")

    @property
    def qualifications(self) -> dict[tuple[str, str], Result]:
        """Keyed by (QualificationTypeId, WorkerId); revoked ones stay, with Status Revoked."""
        return self.market.snapshot("qualifications")

    @property
    def blocks(self) -> dict[str, str]:
        """Blocked worker id -> reason."""
        return self.market.snapshot("blocks")

    @property
    def notifications(self) -> list[Result]:
        return self.market.snapshot("notifications")

    @property
    def balance(self) -> Decimal:
        return self.market.snapshot("balance")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake MTurk requester API until interrupted.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--balance", default=str(DEFAULT_BALANCE))
    parser.add_argument("--https-only", action="store_true", help="refuse http ExternalURLs, as MTurk does")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with FakeMTurk(balance=args.balance, allow_http=not args.https_only, host=args.host, port=args.port) as fake:
        print(f"FakeMTurk listening on {fake.url}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
