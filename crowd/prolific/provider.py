"""The `prolific` provider: Prolific's studies through its REST API (crowd/prolific/client.py).

How Prolific maps onto the store: a run has one study, recorded as one HIT row whose id is
the study id and whose `assignments_available` is the study's places (Prolific gives each
participant a submission of the study, not a HIT of their own, and the study URL names only
the study). A submission is an assignment (its id is Prolific's SESSION_ID) and a participant
is a worker (PROLIFIC_PID). Soft blocks and qualifications are participant groups, which
every later study of the task excludes (a `participant_group_blocklist` filter); a hard
block is the group HARD_BLOCK_GROUP, which every study excludes.

Sandbox (the default) is Prolific's preview: the study is created as a draft and left
unpublished, so the researcher can look at it in Prolific's own pages; `--live` publishes it.
"""
from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from crowd.base import Progress, Provider, Refused
from crowd.prolific import bonuses
from crowd.prolific.client import ProlificClient
from crowd.prolific.study_config import with_blocklist
from datastore import IllegalTransition
from datastore.money import to_dollars
from datastore.records import Record
from datastore.states import LIVE, AssignmentStatus, HitStatus, ReviewAction

log = logging.getLogger("parley.prolific")

APP = "https://app.prolific.com"
COMPLETE_URL = f"{APP}/submissions/complete?cc="
"""Where a participant is sent at the end, with the study's completion code (Prolific's docs)."""
URL_PARAMETERS = "PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
OUTCOMES = ("completed", "partner_left", "timed_out")
"""The completion codes each study has: the conversation ended; the partner left; nobody
joined in time (Parley released the participant)."""
PAGE_STATES = {"partner_disconnect": "partner_left", "released": "timed_out"}
"""The chat page's state when the participant presses done → the completion code they get
(any other state: `completed`)."""
HARD_BLOCK_GROUP = "parley_hard_block"
REJECTION_CATEGORIES = ("TOO_QUICKLY", "TOO_SLOWLY", "FAILED_INSTRUCTIONS", "INCOMP_LONGITUDINAL",
                        "FAILED_CHECK", "LOW_EFFORT", "MALINGERING", "NO_CODE", "BAD_CODE", "NO_DATA",
                        "UNSUPP_DEVICE", "OTHER")
MIN_REJECTION_CHARS = 100
"""Prolific refuses a rejection whose message to the participant is shorter."""
OVERRIDE_REFUSED = ("Prolific does not let a rejected submission be approved: the rejection stands, "
                    "and nothing was changed")
VERDICT_STATUSES = {"approve": "APPROVED", "reject": "REJECTED"}
SUBMITTED_STATUSES = ("AWAITING REVIEW", "APPROVED", "REJECTED")
LEFT_STATUSES = {"RETURNED": "returned", "TIMED-OUT": "timeout"}
UNPUBLISHED = "UNPUBLISHED"
MAX_PAGE_SIZE = 200
"""The most items Prolific answers in one page of a list."""
DEPARTURES_POLL_SECONDS = 10.0
"""How often a run asks Prolific who returned its study or timed out (a participant does both
on Prolific's pages): one request per status that leaves, for those submissions only, well
inside Prolific's rate limits."""
FAR_FUTURE = 4_102_444_800.0  # a study has no expiry of its own: it recruits until stopped


@dataclass
class StudySettings:
    """What a run's study is created with (from the task config and the run's flags)."""
    name: str
    description: str
    reward_cents: int
    public_url: str
    estimated_minutes: int
    publish: bool = False
    blocklist_groups: list[str] = field(default_factory=list)
    """Participant groups whose members never see the study (soft blocks, --unique)."""
    filters: list[dict[str, Any]] = field(default_factory=list)
    unique_group: str | None = None
    """`--unique-qual-name`: the group each participant joins when they start (and so, in
    `blocklist_groups`, is kept out of the next study that names it)."""
    device_compatibility: list[str] = field(default_factory=lambda: ["desktop"])
    max_open_places: int = 0
    """`--max-connections`: at most this many places open (not yet ended) at once; 0, no cap.
    Prolific has no limit on participants at once, so the study gets its places a few at a
    time: this many at first, one more as each participant ends."""
    budget_cents: int | None = None
    """With it, a study whose cost Prolific reports over it (for every place the run may open)
    is not published (it is deleted), and no places are added past it."""
    submit_grace_seconds: float = 30.0


def completion_code(run_id: str, outcome: str) -> str:
    """The run's completion code for `outcome`: derived from the run, so a runner started again
    for the run, or the review pages, know it without asking Prolific."""
    return hashlib.sha256(f"{run_id}:{outcome}".encode()).hexdigest()[:8].upper()


def places_needed(conversations: int, humans: int) -> int:
    """Multi-participant tasks get as many spare places again: a participant who takes a place
    and never starts would otherwise leave a partner waiting."""
    return conversations * humans * (2 if humans > 1 else 1)


class ProlificProvider(Provider):
    name = "prolific"
    max_subject_chars, max_message_chars, max_notified = 200, 4000, 4000
    departures_poll_seconds = DEPARTURES_POLL_SECONDS
    rejection_categories, min_rejection_chars = REJECTION_CATEGORIES, MIN_REJECTION_CHARS
    marketplace_statuses = {
        HitStatus.ASSIGNABLE: "ACTIVE", HitStatus.UNASSIGNABLE: f"{UNPUBLISHED} or PAUSED",
        HitStatus.REVIEWABLE: "AWAITING REVIEW or COMPLETED", HitStatus.DISPOSED: "deleted",
        AssignmentStatus.SUBMITTED: SUBMITTED_STATUSES[0], AssignmentStatus.APPROVED: VERDICT_STATUSES["approve"],
        AssignmentStatus.REJECTED: VERDICT_STATUSES["reject"], AssignmentStatus.RETURNED: "RETURNED",
        AssignmentStatus.EXPIRED: "TIMED-OUT",  # what _record_submission makes of each
    }

    def __init__(self, *, is_sandbox: bool = True, client: ProlificClient | None = None,
                 settings: StudySettings | None = None) -> None:
        self.is_sandbox = is_sandbox
        self.client = client if client is not None else ProlificClient()
        self.settings = settings
        self.hit_ids: list[str] = []
        self._lock = threading.Lock()
        self._requested = 0
        """Places the run asked for (`launch`), opened or not."""
        self._places = 0
        """The study's `total_available_places`: the places opened."""
        self._ended = 0
        """Places whose participant ended (`assignment_ended`)."""
        self._cost_per_place: Decimal | None = None
        self._closed = False
        """Set once the study is paused or stopped (`expire_hits`, `cleanup`): no more places."""
        self._given_back: set[str] = set()
        """Submissions Prolific returned or timed out, whose places it frees by itself."""
        self._groups: dict[str, str] = {}
        self._workspace: str | None = None

    def bind(self, handler: Any, run_id: str, base_url: str) -> None:
        """Also take up the run's study if it has one (a provider made for review or cleanup)."""
        super().bind(handler, run_id, base_url)
        if run_id:
            self.hit_ids = [hit["hit_id"] for hit in handler.get_hits_for_run(run_id)]

    # Launching -------------------------------------------------------------------------

    def hits_for(self, conversations: int, humans: int) -> int:
        return places_needed(conversations, humans)

    def launch(self, count: int) -> list[str]:
        """Ask for `count` more places. They open at once, but never more than
        `max_open_places` open at a time; the rest open as participants end
        (`assignment_ended`). The first places create the study (published unless in preview);
        later ones raise its `total_available_places` (Prolific only lets it grow)."""
        with self._lock:
            if self._closed:
                if count > 0:
                    raise Refused("the run's study is paused or stopped, and more places would open it again "
                                  "(Prolific reactivates a study that gains places); none were added")
                return []
            if count > 0:
                if problem := self._over_budget(self._requested + count):
                    raise Refused(f"{problem}; no places were added")
                self._requested += count
            room = self._requested - self._places
            if self._settings().max_open_places:
                room = min(room, self._settings().max_open_places - (self._places - self._ended))
            if room <= 0:
                return []
            if not self.hit_ids:
                return [self._create_study(room)]
            study_id = self.hit_ids[0]
            self.client.request("PATCH", f"/api/v1/studies/{study_id}/",
                                json={"total_available_places": self._places + room})
            self._places += room
            self._record_study(study_id, self._open_status())
            return [study_id]

    def assignment_ended(self, hit_id: str, assignment_id: str) -> None:
        """A participant is done with their place, one way or another: open one more of the
        places the run asked for, if `max_open_places` held them back. Not for one who
        returned the study or timed out on Prolific (`departures`): Prolific gave their place
        back itself."""
        with self._lock:
            if assignment_id in self._given_back:
                return
            self._ended += 1
            waiting = self._requested > self._places
        if waiting:
            self.launch(0)

    def _create_study(self, places: int) -> str:
        settings = self._settings()
        study = self.client.post("/api/v1/studies/", self.study_body(places))
        study_id = str(study["id"])
        if study.get("currency_code"):  # the account's currency: what the reward and bonuses are paid in
            self.handler.log_run_currency(self.run_id, str(study["currency_code"]))
        self.hit_ids.append(study_id)
        self._places = places
        self._record_study(study_id, self._open_status())
        cost = study.get("total_cost")
        if cost is not None:
            self._cost_per_place = Decimal(str(cost)) / places
        if problem := self._over_budget(self._requested):
            self.client.request("DELETE", f"/api/v1/studies/{study_id}/")
            self._record_study(study_id, HitStatus.DISPOSED)
            self.hit_ids.remove(study_id)
            self._places = 0
            raise Refused(f"{problem}; the draft was deleted and nothing published")
        if settings.publish:
            self.client.post(f"/api/v1/studies/{study_id}/transition/", {"action": "PUBLISH"})
        return study_id

    def _over_budget(self, places: int) -> str | None:
        """Why `places` places in all would cost more than the budget, at the cost per place
        Prolific read back from the draft (reward, service fee and VAT); None when they would not."""
        budget = self._settings().budget_cents
        if budget is None or self._cost_per_place is None:
            return None
        cost = math.ceil(self._cost_per_place * places)
        if cost <= budget:
            return None
        return (f"Prolific puts the study's cost at {to_dollars(cost)} for {places} place(s), "
                f"over the budget {to_dollars(budget)}")

    def study_body(self, places: int) -> dict[str, Any]:
        """The draft study Prolific is asked to create."""
        settings = self._settings()
        groups = [self.group_id(name) for name in dict.fromkeys([*settings.blocklist_groups, HARD_BLOCK_GROUP])]
        return {
            "name": settings.name, "internal_name": f"parley {self.run_id}", "description": settings.description,
            "external_study_url": f"{settings.public_url.rstrip('/')}/task/{self.run_id}?{URL_PARAMETERS}",
            "prolific_id_option": "url_parameters",
            "completion_codes": [
                {"code": completion_code(self.run_id, outcome),
                 "code_type": "COMPLETED" if outcome == "completed" else "OTHER",
                 "actions": [{"action": "MANUALLY_REVIEW"}]} for outcome in OUTCOMES],
            "total_available_places": places, "estimated_completion_time": settings.estimated_minutes,
            "reward": settings.reward_cents, "device_compatibility": list(settings.device_compatibility),
            "filters": with_blocklist(settings.filters, groups),
        }

    def launch_summary(self) -> list[str]:
        lines = []
        for study_id in self.hit_ids:
            state = "published" if self._settings().publish else "a draft (preview), not published"
            later = self._requested - self._places
            opening = f" ({later} more to open as participants end: --max-connections)" if later else ""
            lines += [f"study {study_id}: {state}; {self._places} place(s){opening}",
                      f"manage it at {APP}/researcher/workspaces/studies/{study_id}",
                      f"participants take it at {APP}/studies/{study_id}"]
        return lines

    def _settings(self) -> StudySettings:
        if self.settings is None:
            raise Refused("this Prolific provider was made for review calls only; it cannot launch a study")
        return self.settings

    def _open_status(self) -> str:
        """A published study takes participants; a draft (preview) does not."""
        return HitStatus.ASSIGNABLE if self._settings().publish else HitStatus.UNASSIGNABLE

    def _record_study(self, study_id: str, status: str) -> None:
        open_places = self._places if status == HitStatus.ASSIGNABLE else 0
        self.handler.log_hit(study_id, status, expiration=FAR_FUTURE if status != HitStatus.DISPOSED else time.time(),
                             available=open_places, run_id=self.run_id)

    # Workers ---------------------------------------------------------------------------

    def identify(self, query: Mapping[str, str]) -> tuple[str, str, str] | None:
        """Prolific opens the study URL with the study, the submission and the participant."""
        study, session, participant = (query.get(k, "") for k in ("STUDY_ID", "SESSION_ID", "PROLIFIC_PID"))
        if not (study and session and participant):
            raise Refused("This link is missing the Prolific study, session or participant it is for: "
                          "please open the study from Prolific.")
        return study, session, participant

    def check_assignment(self, hit_id: str, assignment_id: str, worker_id: str) -> None:
        if hit_id not in self.hit_ids:
            raise Refused("this study does not belong to this run")
        submission = self.client.get(f"/api/v1/submissions/{assignment_id}/")
        if submission.get("study_id") != hit_id or submission.get("participant") != worker_id:
            raise Refused("this submission belongs to another participant or study")

    def page_submit(self, query: Mapping[str, str], assignment_id: str) -> dict[str, Any]:
        """The page sends the participant back to Prolific with the completion code of how
        their task ended (the page's state when they press done)."""
        return {"kind": "redirect", "url": COMPLETE_URL + completion_code(self.run_id, "completed"),
                "by_state": {state: COMPLETE_URL + completion_code(self.run_id, outcome)
                             for state, outcome in PAGE_STATES.items()}}

    def worker_started(self, worker_id: str) -> None:
        """`--unique-qual-name`: the participant joins its group, which later studies naming
        it exclude (within one study, Prolific itself gives a participant one submission)."""
        if self.settings is not None and self.settings.unique_group:
            self._add(self.settings.unique_group, worker_id)

    def departures(self) -> dict[str, str]:
        """Submissions of the run's study that Prolific has returned or timed out."""
        left = {submission["id"]: kind
                for study_id in self.hit_ids for status, kind in LEFT_STATUSES.items()
                for submission in self.submissions(study_id, status=status)}
        with self._lock:
            self._given_back.update(left)
        return left

    # Review and money ------------------------------------------------------------------

    def approve(self, assignment_id: str, *, feedback: str | None = None,
                override_rejection: bool = False) -> dict[str, Any]:
        if override_rejection:
            return self.override_rejection(assignment_id, feedback=feedback or "")
        self.client.post(f"/api/v1/submissions/{assignment_id}/transition/", {"action": "APPROVE"},
                         repeatable=True)
        return {"provider": self.name, "action": "approve", "assignment_id": assignment_id}

    def override_rejection(self, assignment_id: str, *, feedback: str) -> dict[str, Any]:
        raise Refused(OVERRIDE_REFUSED)

    def reject(self, assignment_id: str, *, feedback: str, category: str | None = None) -> dict[str, Any]:
        """Prolific asks for a message of at least MIN_REJECTION_CHARS and a category."""
        if len(feedback.strip()) < MIN_REJECTION_CHARS:
            raise Refused(f"Prolific needs a rejection message of at least {MIN_REJECTION_CHARS} characters "
                          f"for the participant (this one has {len(feedback.strip())}); nothing was rejected")
        if category not in REJECTION_CATEGORIES:
            raise Refused(f"a Prolific rejection category is one of {', '.join(REJECTION_CATEGORIES)}, "
                          f"not {category!r}")
        self.client.post(f"/api/v1/submissions/{assignment_id}/transition/",
                         {"action": "REJECT", "message": feedback, "rejection_category": category},
                         repeatable=True)
        return {"provider": self.name, "action": "reject", "assignment_id": assignment_id, "category": category}

    def bonus(self, worker_id: str, assignment_id: str, *, amount_cents: int, reason: str,
              token: str, progress: Progress | None = None) -> dict[str, Any]:
        """Set up a bulk bonus for this one submission, then pay it, each step recorded through
        `progress` before the next is sent (crowd/prolific/bonuses.py), so a process that dies
        in between leaves a set-up that the next settle pays once (`resume`), never a second one."""
        setup = bonuses.set_up_and_pay(self.client, self._study_of(assignment_id), assignment_id, amount_cents,
                                       progress)
        return {"provider": self.name, "action": "bonus", "token": token, "amount": to_dollars(amount_cents),
                **setup}

    def _study_of(self, assignment_id: str) -> str:
        assignment = self.handler.get_assignment_data(assignment_id)
        if assignment is not None:
            return str(assignment["hit_id"])
        return str(self.client.get(f"/api/v1/submissions/{assignment_id}/")["study_id"])

    def compensate(self, worker_id: str, *, amount_cents: int, reason: str, token: str) -> dict[str, Any]:
        raise Refused(f"Prolific pays a bonus only through a submission of one of your studies: pay participant "
                      f"{worker_id} with `bonus --assignment SUBMISSION_ID`; nothing was paid")

    def review_outcome(self, action: Record) -> bool:
        """Ask Prolific for the submission: its status for a verdict, its bonus payments (in
        cents) for a bonus. Prolific pays a bonus in the minutes after it is paid, so one not
        shown yet may still be on its way: that answers Refused (the action stays unknown and
        nothing is sent again), never "not paid"."""
        if action["action"] == ReviewAction.BONUS:
            if bonuses.paid_on_submission(self.client, action):
                return True
            raise Refused("Prolific does not show this bonus on the submission, and pays bonuses in the minutes "
                          "after they are paid, so it cannot tell yet whether it was paid")
        submission = self.client.get(f"/api/v1/submissions/{action['assignment_id']}/")
        return bool(submission.get("status") == VERDICT_STATUSES[action["action"]])

    def resume(self, action: Record, progress: Progress) -> dict[str, Any]:
        """A bonus whose steps were recorded is finished from the last one (bonuses.resume);
        anything else is asked of Prolific."""
        if action["action"] == ReviewAction.BONUS and action["provider_progress"]:
            return bonuses.resume(self.client, action, progress)
        return super().resume(action, progress)

    # Groups: blocks and qualifications -------------------------------------------------

    def group_id(self, name: str) -> str:
        """The id of our participant group `name` in the token's workspace, created on first use."""
        if name not in self._groups:
            workspace = self._workspace_id()
            found = self.client.get("/api/v1/participant-groups/", workspace_id=workspace).get("results", [])
            match = next((g for g in found if g.get("name") == name), None)
            if match is None:
                match = self.client.post("/api/v1/participant-groups/", {"workspace_id": workspace, "name": name})
            self._groups[name] = str(match["id"])
        return self._groups[name]

    def _workspace_id(self) -> str:
        if self._workspace is None:
            workspaces = self.client.get("/api/v1/workspaces/").get("results", [])
            if not workspaces:
                raise Refused("the Prolific token's account has no workspace to keep participant groups in")
            self._workspace = str(workspaces[0]["id"])
        return self._workspace

    def _add(self, group: str, worker_id: str) -> str:
        group_id = self.group_id(group)
        self.client.post(f"/api/v1/participant-groups/{group_id}/participants/",
                         {"participant_ids": [worker_id]}, repeatable=True)
        return group_id

    def _remove(self, group: str, worker_id: str) -> None:
        self.client.request("DELETE", f"/api/v1/participant-groups/{self.group_id(group)}/participants/",
                            json={"participant_ids": [worker_id]})

    def soft_block(self, worker_id: str, *, qualification_name: str, reason: str) -> dict[str, Any]:
        return {"provider": self.name, "action": "soft_block", "group_id": self._add(qualification_name, worker_id)}

    def grant_qualification(self, worker_id: str, *, qualification_name: str, value: int,
                            reason: str) -> dict[str, Any]:
        """A group has members, not values: any value puts the participant in the group."""
        return {"provider": self.name, "action": "grant_qualification",
                "group_id": self._add(qualification_name, worker_id), "value": value}

    def revoke_qualification(self, worker_id: str, *, qualification_name: str, reason: str) -> dict[str, Any]:
        self._remove(qualification_name, worker_id)
        return {"provider": self.name, "action": "revoke_qualification", "group": qualification_name}

    def hard_block(self, worker_id: str, *, reason: str) -> dict[str, Any]:
        """Prolific has no researcher-wide block: every Parley study excludes HARD_BLOCK_GROUP."""
        return {"provider": self.name, "action": "hard_block", "group_id": self._add(HARD_BLOCK_GROUP, worker_id)}

    def unblock(self, worker_id: str, *, qualification_names: Sequence[str], hard: bool,
                reason: str) -> dict[str, Any]:
        for name in [*qualification_names, *([HARD_BLOCK_GROUP] if hard else [])]:
            self._remove(name, worker_id)
        return {"provider": self.name, "action": "unblock", "groups": list(qualification_names), "hard": hard}

    def notify(self, worker_ids: list[str], subject: str, message: str) -> dict[str, str]:
        """Prolific's bulk message, about a study each participant took part in (this run's,
        or their latest in the store); a participant with none is answered as a failure."""
        failed: dict[str, str] = {}
        by_study: dict[str, list[str]] = {}
        for worker_id in worker_ids:
            study = self.hit_ids[0] if self.hit_ids else self._latest_study(worker_id)
            if study is None:
                failed[worker_id] = "they took no Prolific study of this store's, and Prolific messages only those"
            else:
                by_study.setdefault(study, []).append(worker_id)
        if not by_study:
            raise Refused("none of these participants took a Prolific study of this store's; nothing was sent")
        for study, ids in by_study.items():
            self.client.post("/api/v1/messages/bulk/", {"ids": ids, "body": f"{subject}\n\n{message}",
                                                         "study_id": study})
        return failed

    def _latest_study(self, worker_id: str) -> str | None:
        for assignment in reversed(self.handler.get_all_assignments_for_worker(worker_id)):
            run = self.handler.get_run_data(assignment["run_id"])
            if run is not None and run["provider"] == self.name and bool(run["is_sandbox"]) == self.is_sandbox:
                return str(assignment["hit_id"])
        return None

    # The study's end -------------------------------------------------------------------

    def expire_hits(self, hit_ids: list[str]) -> None:
        """Pause the studies (nobody new takes a place; participants in them may finish). A
        draft is deleted instead: it was never open."""
        with self._lock:
            self._closed = True
        for study_id in hit_ids:
            study = self.client.get(f"/api/v1/studies/{study_id}/")
            if study.get("status") == UNPUBLISHED:
                self.client.request("DELETE", f"/api/v1/studies/{study_id}/")
                self._record_study(study_id, HitStatus.DISPOSED)
            elif study.get("status") == "ACTIVE":
                self.client.post(f"/api/v1/studies/{study_id}/transition/", {"action": "PAUSE"}, repeatable=True)
                self._record_study(study_id, HitStatus.UNASSIGNABLE)

    def cleanup(self) -> None:
        """End of the run: stop the study (a draft is deleted) and bring its submissions into
        the store, waiting a while for those who finished the chat to submit on Prolific."""
        deadline = time.monotonic() + (self.settings.submit_grace_seconds if self.settings else 0)
        with self._lock:
            self._closed = True
        for study_id in self.hit_ids:
            study = self.client.get(f"/api/v1/studies/{study_id}/")
            if study.get("status") == UNPUBLISHED:
                self.client.request("DELETE", f"/api/v1/studies/{study_id}/")
                self._record_study(study_id, HitStatus.DISPOSED)
                continue
            if study.get("status") not in ("COMPLETED", "AWAITING REVIEW"):
                self.client.post(f"/api/v1/studies/{study_id}/transition/", {"action": "STOP"}, repeatable=True)
            self._record_study(study_id, HitStatus.REVIEWABLE)
            while self.reconcile(study_id) and time.monotonic() < deadline:
                time.sleep(0.5)

    def reconcile(self, study_id: str) -> int:
        """Record in the store what Prolific has for each submission of the study; answer how
        many of the run's finished workers have still not submitted there."""
        for submission in self.submissions(study_id):
            self._record_submission(study_id, submission)
        finished = (AssignmentStatus.COMPLETED, AssignmentStatus.PARTNER_DISCONNECT, AssignmentStatus.RELEASED)
        return sum(1 for a in self.handler.get_assignments_for_run(self.run_id) if a["status"] in finished)

    def submissions(self, study_id: str, status: str | None = None) -> list[dict[str, Any]]:
        """Every submission of the study (only those in `status`, if given: the run asks
        every few seconds who left, which must not read the whole study each time),
        following Prolific's `next` links."""
        found: list[dict[str, Any]] = []
        page = (self.client.get(f"/api/v1/studies/{study_id}/submissions/") if status is None else
                self.client.get("/api/v1/submissions/", study=study_id, status=status, page_size=MAX_PAGE_SIZE))
        while True:
            found += page.get("results", [])
            following = (page.get("_links", {}).get("next") or {}).get("href")
            if not following:
                return found
            page = self.client.get(following.removeprefix(self.client.endpoint))

    def _record_submission(self, study_id: str, submission: dict[str, Any]) -> None:
        assignment_id, worker_id, status = submission["id"], submission["participant_id"], submission["status"]
        ours = self.handler.get_assignment_data(assignment_id)
        if ours is None:
            if status not in SUBMITTED_STATUSES:
                return  # never reached us and handed nothing in
            self.handler.log_worker_accept_assignment(worker_id, assignment_id, study_id, self.run_id)
            ours = self.handler.get_assignment_data(assignment_id)
            assert ours is not None  # just recorded
        try:
            if status in LEFT_STATUSES and ours["status"] in LIVE:
                getattr(self.handler, f"log_{'return' if status == 'RETURNED' else 'expire'}_assignment")(
                    worker_id, assignment_id)
            elif status in SUBMITTED_STATUSES and ours["status"] not in (
                    AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED):
                if ours["status"] in LIVE and ours["status"] != AssignmentStatus.IN_TASK:
                    self.handler.log_disconnect_assignment(worker_id, assignment_id)
                self.handler.log_submit_assignment(worker_id, assignment_id)
        except IllegalTransition:
            log.info("submission %s is %s on Prolific; the store keeps %s", assignment_id, status, ours["status"])
            return
        if status == "APPROVED" and ours["status"] != AssignmentStatus.APPROVED:
            self.handler.log_approve_assignment(assignment_id)
        elif status == "REJECTED" and ours["status"] != AssignmentStatus.REJECTED:
            self.handler.log_reject_assignment(assignment_id, None)


def estimated_minutes(assignment_seconds: int) -> int:
    """Prolific's estimated completion time, in whole minutes, from the task's assignment time."""
    return max(1, math.ceil(assignment_seconds / 60))

