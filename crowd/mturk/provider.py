"""The `mturk` provider: Amazon Mechanical Turk through boto3's `mturk` client.

Sandbox unless `--live`. Every call goes through the real botocore client (so parameters
are validated against the service model); throttling is retried with backoff, nothing else
is. Errors a person can act on (no credentials, no money, a HIT that is not ours) become
`Refused` with one sentence.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConfigParseError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.validate import ParamValidator

from crowd.base import OutcomeUnknown, Progress, Provider, Refused
from crowd.mturk.reconcile import is_open, reconcile_run
from crowd.options import unique_qualification_name
from datastore.money import to_dollars
from datastore.records import Record
from datastore.states import AssignmentStatus, HitStatus

BONUSABLE = (AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED)
"""Where an assignment must be, in the store, for MTurk to pay a bonus through it."""

log = logging.getLogger("parley.mturk")

SANDBOX_ENDPOINT = "https://mturk-requester-sandbox.us-east-1.amazonaws.com"
LIVE_ENDPOINT = "https://mturk-requester.us-east-1.amazonaws.com"
WORKER_SITES = {True: "https://workersandbox.mturk.com", False: "https://worker.mturk.com"}
"""Where workers find HITs, by is_sandbox: a HIT group's page is /mturk/preview?groupId=ID
(the form AWS's own code samples print after CreateHIT)."""
REQUESTER_SITES = {True: "https://requestersandbox.mturk.com", False: "https://requester.mturk.com"}
"""The requester's website, by is_sandbox; its Manage tab lists the account's HITs."""
THROTTLING = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"})
THROTTLE_ATTEMPTS = 6
SERVER_FAULTS = frozenset({"ServiceFault", "ServiceUnavailable", "InternalFailure", "InternalServerError"})
"""Errors MTurk answers when it failed on its side: it may have acted before failing."""
VERDICT_STATUSES = {"approve": "Approved", "reject": "Rejected"}
FEE_RATE = Decimal("0.20")
"""MTurk's commission on rewards and bonuses for HITs with fewer than 10 assignments
(Parley makes one assignment per HIT)."""
LOCALE_QUALIFICATION = "00000000000000000071"
MIN_REWARD_CENTS = 1
"""MTurk's smallest Reward: CreateHITType refuses less than $0.01."""


@dataclass
class HitSettings:
    """What every HIT of a run is launched with (from the task config and the run's flags)."""
    title: str
    description: str
    keywords: str
    reward_cents: int
    public_url: str
    run_id: str = ""
    assignment_seconds: int = 3600
    lifetime_seconds: int = 3 * 24 * 3600
    auto_approve_seconds: int = 3 * 24 * 3600
    frame_height: int = 0
    qualification_requirements: list[dict[str, Any]] = field(default_factory=list)
    block_qualification: str | None = None
    unique_qual_name: str | None = None
    max_time_qual: str | None = None
    """Granted to a worker who reaches the run's daily `--max-time`: the HITs require its absence."""
    unique: bool = False
    """One HIT of the run per worker: with no `unique_qual_name`, a qualification of the run's own."""
    disconnect_qualification: str | None = None
    max_open_hits: int = 0
    """HITs open at once (`--max-connections`); 0 means all at once."""
    submit_grace_seconds: float = 30.0
    """At the end of a run, how long to wait for workers who finished to submit on MTurk."""


def estimate_cost_cents(settings: HitSettings, hits: int) -> int:
    """Rewards of `hits` assignments plus MTurk's fee: what a launch can cost before bonuses."""
    rewards = Decimal(settings.reward_cents) * hits
    return int((rewards * (1 + FEE_RATE)).to_integral_value())


def hits_needed(conversations: int, humans: int) -> int:
    """As oTree does, multi-worker tasks get as many spare HITs again: workers who accept
    and never start would otherwise leave partners stuck waiting."""
    return conversations * humans * (2 if humans > 1 else 1)


NO_CREDENTIALS = ("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                  "or AWS_PROFILE for a profile in ~/.aws/credentials")


def make_client(is_sandbox: bool, endpoint_url: str | None = None) -> Any:
    """A boto3 client for MTurk; credentials come from the standard AWS chain. A chain that
    cannot be read (AWS_PROFILE naming a missing profile, a malformed credentials or config
    file, a profile with half its keys) is Refused with botocore's own sentence, which names
    the profile or the file."""
    try:
        session = boto3.session.Session()
        credentials = session.get_credentials()
    except (ProfileNotFound, ConfigParseError, PartialCredentialsError) as exc:
        raise Refused(f"the AWS credentials cannot be read: {exc}") from None
    if credentials is None:
        raise Refused(NO_CREDENTIALS)
    endpoint = endpoint_url or os.environ.get("PARLEY_MTURK_ENDPOINT") or (
        SANDBOX_ENDPOINT if is_sandbox else LIVE_ENDPOINT)
    return session.client("mturk", region_name="us-east-1", endpoint_url=endpoint, config=client_config())


def client_config() -> Config:
    """botocore's own retries are off: throttling is retried by the provider, and nothing
    else is, so a call that may have acted before its answer was lost is never repeated
    behind our back."""
    return Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30)


class MTurkProvider(Provider):
    name = "mturk"
    # NotifyWorkers: a subject of up to 200 characters, a message of up to 4,096, 100 workers a call.
    max_subject_chars, max_message_chars, max_notified = 200, 4096, 100
    approves_by_itself = True
    form_action_sources = ("https://*.mturk.com",)

    def __init__(self, *, is_sandbox: bool = True, client: Any = None,
                 settings: HitSettings | None = None, endpoint_url: str | None = None) -> None:
        self.is_sandbox = is_sandbox
        self.client = client if client is not None else make_client(is_sandbox, endpoint_url)
        self.settings = settings
        self.hit_ids: list[str] = []
        self._hit_type_id: str | None = None
        self._waiting_to_launch = 0
        self._qualification_ids: dict[str, str] = {}
        self._finished_hits: set[str] = set()
        self._hit_groups: dict[str, str] = {}
        """HIT id → its HIT group (what the worker's site shows HITs by)."""

    # Calls -----------------------------------------------------------------------------

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """One MTurk call; throttling is retried with exponential backoff, nothing else.
        Raises OutcomeUnknown when the request may have acted though no answer came back
        (a read timeout, a dropped connection, a fault on MTurk's side), Refused otherwise."""
        for attempt in range(THROTTLE_ATTEMPTS):
            try:
                return getattr(self.client, operation)(**params)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in THROTTLING and attempt < THROTTLE_ATTEMPTS - 1:
                    time.sleep(min(0.2 * 2 ** attempt, 5))
                    continue
                kind = OutcomeUnknown if code in SERVER_FAULTS else Refused
                raise kind(_sentence(operation, exc)) from None
            except NoCredentialsError:
                raise Refused(NO_CREDENTIALS) from None
            except ConnectionError as exc:  # never connected: the request was not sent
                raise Refused(f"MTurk could not be reached ({operation}): {exc}") from None
            except HTTPClientError as exc:  # sent, and the answer was lost
                raise OutcomeUnknown(f"MTurk did not answer {operation}: {exc}") from None
            except BotoCoreError as exc:
                raise Refused(f"MTurk could not be reached ({operation}): {exc}") from None
        raise AssertionError("unreachable")

    def balance_cents(self) -> int:
        balance = Decimal(self.call("get_account_balance")["AvailableBalance"])
        return int(balance * 100)

    # Launching -------------------------------------------------------------------------

    def hits_for(self, conversations: int, humans: int) -> int:
        return hits_needed(conversations, humans)

    def launch(self, count: int) -> list[str]:
        settings = self._settings()
        self._waiting_to_launch += count
        room = self._waiting_to_launch
        if settings.max_open_hits:
            room = min(room, max(0, settings.max_open_hits - self._open_hits()))
        launched = [self._create_hit() for _ in range(room)]
        self._waiting_to_launch -= len(launched)
        return launched

    def assignment_ended(self, hit_id: str, assignment_id: str) -> None:
        """A worker is done with a HIT: launch a waiting one if `max_open_hits` held it back."""
        self._finished_hits.add(hit_id)
        if self._waiting_to_launch:
            self.launch(0)

    def _create_hit(self) -> str:
        settings = self._settings()
        response = self.call(
            "create_hit_with_hit_type", HITTypeId=self._hit_type(), MaxAssignments=1,
            LifetimeInSeconds=settings.lifetime_seconds, Question=self._external_question(),
            RequesterAnnotation=self.run_id[:255])
        self.handler.log_hit_status(response, self.run_id)
        hit_id = response["HIT"]["HITId"]
        self.hit_ids.append(hit_id)
        self._hit_groups[hit_id] = response["HIT"]["HITGroupId"]
        return hit_id

    def launch_summary(self) -> list[str]:
        """Each HIT launched so far with the page where workers find it, and where the
        requester manages them on MTurk's own site."""
        worker_site = WORKER_SITES[self.is_sandbox]
        lines = [f"HIT {hit_id}: {worker_site}/mturk/preview?groupId={self._hit_groups[hit_id]}"
                 for hit_id in self.hit_ids]
        return [*lines, f"manage the HITs at {REQUESTER_SITES[self.is_sandbox]}/manage"]

    def _hit_type(self) -> str:
        if self._hit_type_id is None:
            settings = self._settings()
            self._hit_type_id = self.call(
                "create_hit_type", Title=settings.title, Description=settings.description,
                Keywords=settings.keywords, Reward=to_dollars(settings.reward_cents),
                AssignmentDurationInSeconds=settings.assignment_seconds,
                AutoApprovalDelayInSeconds=settings.auto_approve_seconds,
                QualificationRequirements=self._requirements())["HITTypeId"]
        return self._hit_type_id

    def _requirements(self) -> list[dict[str, Any]]:
        settings = self._settings()
        requirements = [dict(r) for r in settings.qualification_requirements]
        # Workers holding any of these never see the HIT: blocked, already started one of
        # the run's HITs, over the disconnect cap or over today's time (each granted when it happens).
        for name in dict.fromkeys((settings.block_qualification, self._unique_qualification(),
                                   settings.disconnect_qualification, settings.max_time_qual)):
            if name:
                requirements.append({"QualificationTypeId": self.qualification_id(name),
                                     "Comparator": "DoesNotExist", "ActionsGuarded": "DiscoverPreviewAndAccept"})
        return requirements

    def _external_question(self) -> str:
        settings = self._settings()
        url = f"{settings.public_url.rstrip('/')}/task/{self.run_id}"
        return ('<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
                f'2006-07-14/ExternalQuestion.xsd"><ExternalURL>{escape(url)}</ExternalURL>'
                f'<FrameHeight>{settings.frame_height}</FrameHeight></ExternalQuestion>')

    def _open_hits(self) -> int:
        """HITs launched whose worker has not finished with them yet (or that nobody took)."""
        return len(set(self.hit_ids) - self._finished_hits)

    def _settings(self) -> HitSettings:
        if self.settings is None:
            raise Refused("this MTurk provider was made for review calls only; it cannot launch HITs")
        return self.settings

    # Workers ---------------------------------------------------------------------------

    def check_assignment(self, hit_id: str, assignment_id: str, worker_id: str) -> None:
        hit = self.handler.get_hit_data(hit_id)
        if hit is None or hit["run_id"] != self.run_id:
            raise Refused("this HIT does not belong to this run")
        try:
            assignment = self.call("get_assignment", AssignmentId=assignment_id)["Assignment"]
        except Refused:
            # MTurk may not describe an assignment still in progress; the HIT is ours.
            log.info("get_assignment(%s) gave nothing; accepting on the HIT alone", assignment_id)
            return
        if assignment.get("WorkerId") != worker_id or assignment.get("HITId") != hit_id:
            raise Refused("this assignment belongs to another worker or HIT")

    def page_submit(self, query: Mapping[str, str], assignment_id: str) -> dict[str, Any]:
        """The page posts MTurk's external-submit form to the host MTurk named in the page
        URL (`turkSubmitTo`); MTurk refuses a submission carrying only the assignment id."""
        base = (query.get("turkSubmitTo") or "").rstrip("/")
        return {"kind": "form", "action": f"{base}/mturk/externalSubmit" if base else "",
                "fields": {"assignmentId": assignment_id, "parley_done": "true"}}

    def worker_started(self, worker_id: str) -> None:
        """Grant the run's unique qualification, so the worker cannot take this task again."""
        name = self._unique_qualification()
        if name:
            self.call("associate_qualification_with_worker", QualificationTypeId=self.qualification_id(name),
                      WorkerId=worker_id, IntegerValue=1, SendNotification=False)

    def _unique_qualification(self) -> str | None:
        if self.settings is None:
            return None
        return unique_qualification_name(self.settings.unique_qual_name, unique=self.settings.unique,
                                         run_id=self.run_id)

    def qualification_id(self, name: str, description: str = "") -> str:
        """The id of our qualification `name`, created on first use (described by
        `description`, else as Parley's)."""
        if name not in self._qualification_ids:
            found = self.call("list_qualification_types", Query=name, MustBeRequestable=False,
                              MustBeOwnedByCaller=True, MaxResults=100)["QualificationTypes"]
            match = next((q for q in found if q["Name"] == name), None)
            if match is None:
                match = self.call("create_qualification_type", Name=name,
                                  Description=description or f"Parley: {name}",
                                  QualificationTypeStatus="Active")["QualificationType"]
            self._qualification_ids[name] = match["QualificationTypeId"]
        return self._qualification_ids[name]

    def qualification_type(self, name: str, description: str) -> str:
        return self.qualification_id(name, description)

    def add_hit_requirements(self, requirements: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """MTurk checks them all itself. Each is checked against MTurk's own shape of a
        QualificationRequirement first (a bad one refused with a sentence, nothing added),
        and none may come once the run's HIT type is made."""
        if self.settings is None or self._hit_type_id is not None:
            raise Refused("qualification requirements go onto a run's HITs before they are made: "
                          "give them before the run starts")
        shape = self.client.meta.service_model.operation_model("CreateHITType").input_shape
        listed = shape.members["QualificationRequirements"]
        report = ParamValidator().validate([dict(r) for r in requirements], listed)
        if report.has_errors():
            raise Refused(f"a qualification requirement MTurk would refuse: {report.generate_report()}")
        comparators = listed.member.members["Comparator"].enum
        for requirement in requirements:
            if requirement["Comparator"] not in comparators:
                raise Refused(f"{requirement['Comparator']!r} is not an MTurk comparator: use one of "
                              f"{', '.join(comparators)}")
        self.settings.qualification_requirements.extend(dict(r) for r in requirements)
        return []

    # Review and money ------------------------------------------------------------------

    def approve(self, assignment_id: str, *, feedback: str | None = None,
                override_rejection: bool = False) -> dict[str, Any]:
        params: dict[str, Any] = {"AssignmentId": assignment_id, "OverrideRejection": override_rejection}
        if feedback:
            params["RequesterFeedback"] = feedback
        self.call("approve_assignment", **params)
        return {"provider": "mturk", "action": "approve", "assignment_id": assignment_id}

    def reject(self, assignment_id: str, *, feedback: str, category: str | None = None) -> dict[str, Any]:
        self.call("reject_assignment", AssignmentId=assignment_id, RequesterFeedback=feedback)
        return {"provider": "mturk", "action": "reject", "assignment_id": assignment_id}

    def bonus(self, worker_id: str, assignment_id: str, *, amount_cents: int, reason: str,
              token: str, progress: Progress | None = None) -> dict[str, Any]:
        """Send a bonus once: MTurk refuses a UniqueRequestToken it has seen, which after a
        timed-out first try means the first try paid."""
        try:
            self.call("send_bonus", WorkerId=worker_id, AssignmentId=assignment_id,
                      BonusAmount=to_dollars(amount_cents), Reason=reason, UniqueRequestToken=token[:64])
        except Refused as exc:
            if "UniqueRequestToken" not in str(exc) and "already" not in str(exc).lower():
                raise
            return {"provider": "mturk", "action": "bonus", "token": token[:64], "already_sent": True}
        return {"provider": "mturk", "action": "bonus", "token": token[:64], "amount": to_dollars(amount_cents)}

    def compensate(self, worker_id: str, *, amount_cents: int, reason: str, token: str) -> dict[str, Any]:
        """SendBonus needs an assignment: pay through one the worker submitted to us before."""
        assignment_id = self._bonusable_assignment(worker_id)
        if assignment_id is None:
            where = "sandbox" if self.is_sandbox else "live marketplace"
            raise Refused(f"worker {worker_id} has no submitted assignment with this requester on MTurk's "
                          f"{where}, and MTurk pays a bonus only through one; nothing was paid")
        paid = self.bonus(worker_id, assignment_id, amount_cents=amount_cents, reason=reason, token=token)
        return {**paid, "action": "compensate", "assignment_id": assignment_id}

    def _bonusable_assignment(self, worker_id: str) -> str | None:
        """One of the worker's assignments MTurk has as submitted, approved or rejected: the
        store's first (no calls), then every HIT of this requester on the marketplace."""
        for assignment in self.handler.get_all_assignments_for_worker(worker_id):
            run = self.handler.get_run_data(assignment["run_id"])
            if (run is not None and run["provider"] == self.name and bool(run["is_sandbox"]) == self.is_sandbox
                    and assignment["status"] in BONUSABLE):
                return str(assignment["assignment_id"])
        for hit in self.pages("list_hits", "HITs"):
            for found in self.submitted_assignments(hit["HITId"]):
                if found["WorkerId"] == worker_id:
                    return str(found["AssignmentId"])
        return None

    def review_outcome(self, action: Record) -> bool:
        """Ask MTurk: the assignment's status for a verdict, its bonus payments for a bonus."""
        assignment_id = action["assignment_id"]
        if action["action"] == "bonus":
            amount = Decimal(action["amount_cents"]) / 100
            return any(Decimal(p["BonusAmount"]) == amount and p["WorkerId"] == action["worker_id"]
                       for p in self.pages("list_bonus_payments", "BonusPayments", AssignmentId=assignment_id))
        assignment = self.call("get_assignment", AssignmentId=assignment_id)["Assignment"]
        return assignment["AssignmentStatus"] == VERDICT_STATUSES[action["action"]]

    def soft_block(self, worker_id: str, *, qualification_name: str, reason: str) -> dict[str, Any]:
        qualification_id = self.qualification_id(qualification_name)
        self.call("associate_qualification_with_worker", QualificationTypeId=qualification_id,
                  WorkerId=worker_id, IntegerValue=1, SendNotification=False)
        return {"provider": "mturk", "action": "soft_block", "qualification_id": qualification_id}

    def grant_qualification(self, worker_id: str, *, qualification_name: str, value: int,
                            reason: str) -> dict[str, Any]:
        """AssociateQualificationWithWorker without telling the worker (as a block does)."""
        qualification_id = self.qualification_id(qualification_name)
        self.call("associate_qualification_with_worker", QualificationTypeId=qualification_id,
                  WorkerId=worker_id, IntegerValue=value, SendNotification=False)
        return {"provider": "mturk", "action": "grant_qualification", "qualification_id": qualification_id,
                "value": value}

    def revoke_qualification(self, worker_id: str, *, qualification_name: str, reason: str) -> dict[str, Any]:
        qualification_id = self.qualification_id(qualification_name)
        self.call("disassociate_qualification_from_worker", QualificationTypeId=qualification_id,
                  WorkerId=worker_id, Reason=reason)
        return {"provider": "mturk", "action": "revoke_qualification", "qualification_id": qualification_id}

    def hard_block(self, worker_id: str, *, reason: str) -> dict[str, Any]:
        self.call("create_worker_block", WorkerId=worker_id, Reason=reason)
        return {"provider": "mturk", "action": "hard_block", "worker_id": worker_id}

    def unblock(self, worker_id: str, *, qualification_names: Sequence[str], hard: bool,
                reason: str) -> dict[str, Any]:
        for name in qualification_names:
            qualification_id = self.qualification_id(name)
            try:
                self.call("disassociate_qualification_from_worker", QualificationTypeId=qualification_id,
                          WorkerId=worker_id, Reason=reason)
            except OutcomeUnknown:
                raise
            except Refused:
                if self._holds(qualification_id, worker_id):
                    raise  # MTurk refuses to take away what the worker no longer holds: that is done
        if hard:
            self.call("delete_worker_block", WorkerId=worker_id, Reason=reason)
        return {"provider": "mturk", "action": "unblock", "qualifications": list(qualification_names),
                "hard": hard}

    def _holds(self, qualification_id: str, worker_id: str) -> bool:
        try:
            score = self.call("get_qualification_score", QualificationTypeId=qualification_id, WorkerId=worker_id)
        except OutcomeUnknown:
            raise
        except Refused:
            return False
        return bool(score["Qualification"].get("Status") == "Granted")

    # HITs ------------------------------------------------------------------------------

    def expire_hits(self, hit_ids: list[str]) -> None:
        """Make the HITs unavailable now (workers already on one may still finish it)."""
        for hit_id in hit_ids:
            self.call("update_expiration_for_hit", HITId=hit_id, ExpireAt=0)
            self.refresh_hit(hit_id)

    def refresh_hit(self, hit_id: str) -> dict[str, Any]:
        """Record the HIT's status as MTurk has it now; answer MTurk's description of it."""
        hit: dict[str, Any] = self.call("get_hit", HITId=hit_id)["HIT"]
        self._record_hit(hit)
        return hit

    def _record_hit(self, hit: dict[str, Any]) -> None:
        known = self.handler.get_hit_data(hit["HITId"])
        self.handler.log_hit_status({"HIT": hit}, known["run_id"] if known is not None else self.run_id)

    def delete_hits(self, hit_ids: list[str]) -> list[str]:
        """Delete what MTurk lets us delete (not HITs with work waiting for review) and record
        each as Disposed; answer the HITs that could not be deleted, with why. A HIT MTurk
        has already disposed of (a repeat whose first answer was lost) is only recorded."""
        problems = []
        for hit_id in hit_ids:
            try:
                hit = self.refresh_hit(hit_id)
                if hit["HITStatus"] == HitStatus.DISPOSED:
                    continue
                if is_open(hit):
                    self.expire_hits([hit_id])  # MTurk deletes only HITs nobody can take any more
                self.call("delete_hit", HITId=hit_id)
            except Refused as exc:
                problems.append(f"{hit_id}: {exc}")
                continue
            self._record_hit({**hit, "HITStatus": HitStatus.DISPOSED.value, "NumberOfAssignmentsAvailable": 0})
        return problems

    def cleanup(self) -> None:
        """End of the run: expire its open HITs and record what workers submitted. Workers
        who finished the chat submit on MTurk a moment later, so wait for them a while."""
        self._waiting_to_launch = 0
        deadline = time.monotonic() + (self.settings.submit_grace_seconds if self.settings else 0)
        reconcile_run(self.handler, self, self.run_id)
        while (waiting := self._awaiting_submission()) and time.monotonic() < deadline:
            time.sleep(0.5)
            reconcile_run(self.handler, self, self.run_id, expire=False, only_hits=waiting)

    def _awaiting_submission(self) -> set[str]:
        """HITs whose worker finished the chat (or was released from waiting) but has not
        submitted on MTurk yet."""
        finished = (AssignmentStatus.COMPLETED, AssignmentStatus.PARTNER_DISCONNECT, AssignmentStatus.RELEASED)
        return {a["hit_id"] for a in self.handler.get_assignments_for_run(self.run_id) if a["status"] in finished}

    def submitted_assignments(self, hit_id: str) -> list[dict[str, Any]]:
        """Every assignment of a HIT MTurk has as submitted, approved or rejected."""
        return self.pages("list_assignments_for_hit", "Assignments", HITId=hit_id,
                          AssignmentStatuses=["Submitted", "Approved", "Rejected"])

    def pages(self, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list operation, following NextToken."""
        found, token = [], None
        while True:
            page = self.call(operation, MaxResults=100, **params, **({"NextToken": token} if token else {}))
            found += page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return found

    def notify(self, worker_ids: list[str], subject: str, message: str) -> dict[str, str]:
        """NotifyWorkers, 100 workers a call. MTurk emails only workers whose work this
        requester approved or rejected, and answers the others as failures, not as an error."""
        failed = {}
        for start in range(0, len(worker_ids), self.max_notified):
            answer = self.call("notify_workers", Subject=subject, MessageText=message,
                               WorkerIds=worker_ids[start:start + self.max_notified])
            for failure in answer.get("NotifyWorkersFailureStatuses", []):
                failed[failure["WorkerId"]] = (f"MTurk did not send it: {failure.get('NotifyWorkersFailureMessage')} "
                                               f"({failure.get('NotifyWorkersFailureCode')})")
        return failed


def _sentence(operation: str, exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    message = error.get("Message") or str(exc)
    lowered = message.lower()
    if "insufficient" in lowered or "balance" in lowered:
        return f"your MTurk account does not have enough money for this ({message})"
    return f"MTurk refused {operation}: {message}"
