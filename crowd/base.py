"""The interface every crowd provider implements, so the manager never knows which
marketplace it is talking to, and the entry each provider's package registers
(`crowd/registry.py`) so the CLI, the chat page and the dashboard never name one."""
from __future__ import annotations

import argparse
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from datastore import MTurkDataHandler
from datastore.records import Record

COMMON_IDS: Mapping[str, str] = {"hit": "HIT", "assignment": "assignment", "worker": "worker"}
"""ParlAI's words for the store's ids (a provider's entry says its marketplace's own)."""
PREVIEW_ASSIGNMENT = "ASSIGNMENT_ID_NOT_AVAILABLE"
"""The assignment id a marketplace puts in the page URL while a worker only previews the task."""


class Refused(Exception):
    """The provider will not let this worker (or this call) through; the message is for people."""


class OutcomeUnknown(Refused):
    """The call may have acted before its answer was lost (a timeout after sending, a dropped
    connection, a server error): for money and verdicts, ask `review_outcome` before any retry."""


class NotDone(Refused):
    """Asked afterwards, the marketplace had not done the action, and nothing under way will
    do it: the action failed (the message says why), and a new request may do it again."""


Progress = Callable[[str, dict[str, Any], str | None], bool]
"""`progress(step, detail, after)`: durably records that a provider call of several steps
reached `step` (with `detail`: the marketplace's own ids) if the step recorded so far is still
`after` (None: no step yet); answers whether it was recorded. A provider records each step
before it sends the next one that cannot be repeated, and sends that one only on True: so a
call whose process dies in between is finished from where it stopped (`resume`), once."""


class Provider(ABC):
    name: str
    hit_ids: list[str]
    """The HITs this provider made or took up for its run."""
    is_sandbox: bool = False
    needs_marketplace_cleanup: ClassVar[bool] = True
    """True when a run's work may live on a marketplace too (HITs to expire, submissions to
    read back), so a run whose runner died must be reconciled there before it is ended.
    False: everything is in the store, and the next start of a runner or of the webapp ends
    such a run by itself (crowd/orphans.py)."""
    max_subject_chars: ClassVar[int] = 200
    max_message_chars: ClassVar[int] = 4096
    """The longest subject and message `notify` takes (a marketplace sets its own)."""
    max_notified: ClassVar[int] = 100
    """The most workers one `notify` call takes."""
    approves_by_itself: ClassVar[bool] = False
    """True when the marketplace approves work by itself once `--auto-approve-delay` has
    passed (its HITs carry the delay); False: Parley's sweep approves it
    (crowd/auto_approve.py)."""
    form_action_sources: ClassVar[tuple[str, ...]] = ()
    """Hosts the worker's page may post its submission form to (the page's CSP)."""
    departures_poll_seconds: float | None = None
    """How often the manager asks `departures()` while the run lasts; None: never (the
    marketplace's workers leave through our page, which tells the runner itself)."""
    rejection_categories: ClassVar[tuple[str, ...]] = ()
    """The categories this marketplace files a rejection under, one of which every rejection
    must name; empty: it takes none (the review service refuses one)."""
    min_rejection_chars: ClassVar[int] = 0
    """The shortest rejection message this marketplace takes."""
    marketplace_statuses: ClassVar[Mapping[str, str]] = {}
    """The marketplace's own word for a store status of its HITs or assignments, where it
    has one of its own (the dashboard shows it beside the store's)."""

    def bind(self, handler: MTurkDataHandler, run_id: str, base_url: str) -> None:
        """Called once the run exists: where to record HITs and what URL workers open."""
        self.handler, self.run_id, self.base_url = handler, run_id, base_url.rstrip("/")

    @abstractmethod
    def launch(self, count: int) -> list[str]:
        """Create `count` HITs for the run (recording each in the store); answer their ids."""

    def hits_for(self, conversations: int, humans: int) -> int:
        """HITs a run of `conversations` conversations of `humans` workers launches."""
        return conversations * humans

    def worker_started(self, worker_id: str) -> None:
        """A worker was let in (a marketplace may grant a qualification now)."""
        return None

    def assignment_ended(self, hit_id: str, assignment_id: str) -> None:
        """A worker is done with a HIT (their assignment `assignment_id`), one way or another
        (room to launch another)."""
        return None

    def worker_links(self) -> list[str]:
        """Links a person can open to work (a provider with no marketplace); empty for a
        marketplace, whose workers come through it."""
        return []

    def launch_summary(self) -> list[str]:
        """Lines the runner prints once the run is launched: where people work on its HITs
        (and, on a marketplace, where the requester watches them)."""
        return [f"worker link: {link}" for link in self.worker_links()]

    def link(self, hit_id: str, worker_id: str, assignment_id: str | None = None) -> str:
        """The link a person opens to work on `hit_id` as `worker_id` (a provider with no
        marketplace: the dashboard's task testing)."""
        raise Refused(f"the {self.name} provider's workers come through its marketplace, not by links")

    def identify(self, query: Mapping[str, str]) -> tuple[str, str, str] | None:
        """The (hit id, assignment id, worker id) the page URL's `query` is for, as this
        provider's marketplace names them; None while the worker only previews the task.
        Raises Refused with a sentence for the page when the URL lacks them. By default:
        `hitId`, `assignmentId` and `workerId` (ParlAI's names)."""
        assignment_id = query.get("assignmentId", "")
        if assignment_id == PREVIEW_ASSIGNMENT or not assignment_id:
            return None
        hit_id, worker_id = query.get("hitId", ""), query.get("workerId", "")
        if not hit_id or not worker_id:
            raise Refused("This link is missing the HIT or worker it is for.")
        return hit_id, assignment_id, worker_id

    @abstractmethod
    def check_assignment(self, hit_id: str, assignment_id: str, worker_id: str) -> None:
        """Raise Refused unless this worker really holds this assignment of this run's HIT."""

    def submits_on_done(self) -> bool:
        """True when pressing done on the chat page is the submission (no marketplace form)."""
        return False

    def page_submit(self, query: Mapping[str, str], assignment_id: str) -> dict[str, Any]:
        """What the worker's page does once they are done, from the page URL's `query`:
        `{"kind": "done"}` (pressing done is the submission), `{"kind": "form",
        "action": URL, "fields": {...}}` (the page posts a form to the marketplace), or
        `{"kind": "redirect", "url": URL, "by_state": {page state: URL}}` (the page sends the
        worker to URL, or to the URL for the page's state when they pressed done)."""
        return {"kind": "done"}

    @classmethod
    def for_review(cls, *, is_sandbox: bool) -> Provider:
        """A provider of this kind for an existing run (review calls, cleanup): no launch
        settings needed."""
        return cls(is_sandbox=is_sandbox)  # type: ignore[call-arg]

    @abstractmethod
    def approve(self, assignment_id: str, *, feedback: str | None = None,
                override_rejection: bool = False) -> dict[str, Any]: ...

    def override_rejection(self, assignment_id: str, *, feedback: str) -> dict[str, Any]:
        """Approve work this marketplace rejected (the reviewer changed their mind), telling
        the worker `feedback`. Raises Refused with a sentence where the marketplace cannot."""
        return self.approve(assignment_id, feedback=feedback, override_rejection=True)

    @abstractmethod
    def reject(self, assignment_id: str, *, feedback: str, category: str | None = None) -> dict[str, Any]:
        """Reject with `feedback` for the worker, filed under `category` (one of
        `rejection_categories`; None when the marketplace has none)."""

    @abstractmethod
    def bonus(self, worker_id: str, assignment_id: str, *, amount_cents: int, reason: str,
              token: str, progress: Progress | None = None) -> dict[str, Any]:
        """Pay the bonus once per `token`. A marketplace that pays in steps that cannot be
        repeated records them through `progress` (a call made outside the review service has none)."""

    def notify(self, worker_ids: list[str], subject: str, message: str) -> dict[str, str]:
        """Send a message to each worker (at most `max_notified` at once); answers why, for
        each worker it could not be sent to. Raises Refused when nothing was sent."""
        raise Refused(f"the {self.name} provider cannot send messages to workers")

    def compensate(self, worker_id: str, *, amount_cents: int, reason: str, token: str) -> dict[str, Any]:
        """Pay a worker who has no assignment in the store (a compensation), once per
        `token`. Raises Refused when this marketplace has nothing to pay it through."""
        raise Refused(f"the {self.name} provider cannot pay a worker outside an assignment")

    @abstractmethod
    def review_outcome(self, action: Record) -> bool:
        """Whether the approve, reject or bonus of this audit-log row took effect on the
        marketplace (asked when its call's answer was lost). Raises Refused when the
        marketplace cannot be asked now."""

    def resume(self, action: Record, progress: Progress) -> dict[str, Any]:
        """Finish the approve, reject or bonus of this audit-log row, whose call may or may not
        have acted (its answer was lost, or its process died), from the steps it recorded in
        `action["provider_progress"]` (recording the next ones through `progress`). Answers
        what to keep of it once it is done (done before, or finished now); raises NotDone
        when it was not done and will not be, Refused when that cannot be told now. By
        default nothing is finished: the marketplace is asked (`review_outcome`)."""
        if not self.review_outcome(action):
            raise NotDone(f"{self.name} was asked afterwards and had not done it")
        return {"settled": f"{self.name} was asked afterwards: it was done"}

    @abstractmethod
    def soft_block(self, worker_id: str, *, qualification_name: str, reason: str) -> dict[str, Any]: ...

    @abstractmethod
    def grant_qualification(self, worker_id: str, *, qualification_name: str, value: int,
                            reason: str) -> dict[str, Any]:
        """Give the worker `qualification_name` with `value` (granting again sets the value)."""

    @abstractmethod
    def revoke_qualification(self, worker_id: str, *, qualification_name: str, reason: str) -> dict[str, Any]: ...

    @abstractmethod
    def hard_block(self, worker_id: str, *, reason: str) -> dict[str, Any]: ...

    @abstractmethod
    def unblock(self, worker_id: str, *, qualification_names: Sequence[str], hard: bool,
                reason: str) -> dict[str, Any]:
        """Lift the soft blocks carried by `qualification_names` and, if `hard`, the hard
        block. Lifting what is already lifted is not an error (a retry after a partial failure)."""

    def qualification_type(self, name: str, description: str) -> str:
        """The marketplace's id of our qualification `name`, made with `description` if it
        does not exist yet. A provider whose qualifications have no ids of their own answers
        the name, which is how its calls and the store know it."""
        return name

    def add_hit_requirements(self, requirements: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Make every HIT launched from now on carry `requirements` too (each a
        `QualificationTypeId` and a `Comparator`, as ParlAI's create_hits takes them); answers
        those the marketplace does not check itself, which the runner must. By default no
        marketplace checks any: the runner can check `DoesNotExist` (it turns away a worker
        holding the qualification), so every other comparator is refused with a sentence."""
        unchecked = [r for r in requirements if r.get("Comparator") != "DoesNotExist"]
        if unchecked:
            raise Refused(f"the {self.name} provider cannot require {unchecked[0]!r}: with no marketplace to "
                          "check qualifications, Parley can only turn away workers who hold one "
                          "(Comparator 'DoesNotExist')")
        return list(requirements)

    def departures(self) -> dict[str, str]:
        """Workers who left on the marketplace's own pages, which our page never hears of:
        assignment id -> 'returned' or 'timeout'. Asked every `departures_poll_seconds`."""
        return {}

    @abstractmethod
    def expire_hits(self, hit_ids: list[str]) -> None: ...

    @abstractmethod
    def cleanup(self) -> None:
        """Release whatever the run still holds on the marketplace (called at the end)."""


class TaskInfo(Protocol):
    """What a provider reads of a task to launch it (runner/tasks.py's Task has it)."""

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> dict[str, Any]: ...

    @property
    def humans_per_conversation(self) -> int: ...


@dataclass(frozen=True)
class Launch:
    """Everything a provider's `from_args` gets to make the provider of a new run."""
    args: argparse.Namespace
    task: TaskInfo
    options: Any
    """The run's `crowd.options.RunOptions`."""
    handler: MTurkDataHandler


CommandHandler = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class ProviderEntry:
    """What a provider's package tells the registry about itself (its `ENTRY`)."""
    name: str
    label: str
    """The provider's name for people (the registry's entries show theirs)."""
    load: Callable[[], type[Provider]]
    """The provider's class, imported only when used (a marketplace's client can be heavy)."""
    has_sandbox: bool = False
    """Runs are either sandbox (test) or live; the dashboard says which."""
    ids: Mapping[str, str] = field(default_factory=lambda: dict(COMMON_IDS))
    """What the store's hit, assignment and worker ids are called on this marketplace."""
    add_run_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    """Adds this provider's own flags to `python -m runner run`."""
    from_args: Callable[[Launch], Provider] | None = None
    """Makes the provider of a new run from the parsed flags; raises Refused with a
    sentence for flags it cannot take. None: the class is made with no arguments."""
    add_commands: Callable[[Any], dict[str, CommandHandler]] | None = None
    """Adds this provider's own `python -m runner` commands; answers their handlers."""
    marketplace_flags: bool = False
    """The provider takes the flags every marketplace shares (`--sandbox`/`--live`,
    `--public-url`, `--budget`, `--expire-orphans`: crowd/options.py), registered once for all."""
