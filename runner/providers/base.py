"""The interface every crowd provider implements, so the manager never knows which
marketplace it is talking to."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from datastore import MTurkDataHandler
from datastore.records import Record


class Refused(Exception):
    """The provider will not let this worker (or this call) through; the message is for people."""


class OutcomeUnknown(Refused):
    """The call may have acted before its answer was lost (a timeout after sending, a dropped
    connection, a server error): for money and verdicts, ask `review_outcome` before any retry."""


class Provider(ABC):
    name: str
    is_sandbox: bool = False
    needs_marketplace_cleanup: ClassVar[bool] = True
    """True when a run's work may live on a marketplace too (HITs to expire, submissions to
    read back), so a run whose runner died must be reconciled there before it is ended.
    False: everything is in the store, and the next start of a runner or of the webapp ends
    such a run by itself (runner/orphans.py)."""

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

    def assignment_ended(self, hit_id: str) -> None:
        """A worker is done with a HIT, one way or another (room to launch another)."""
        return None

    def worker_links(self) -> list[str]:
        """Links a person can open to work (local provider); empty for a marketplace."""
        return []

    @abstractmethod
    def check_assignment(self, hit_id: str, assignment_id: str, worker_id: str) -> None:
        """Raise Refused unless this worker really holds this assignment of this run's HIT."""

    def submits_on_done(self) -> bool:
        """True when pressing done on the chat page is the submission (no marketplace form)."""
        return False

    @abstractmethod
    def approve(self, assignment_id: str, *, feedback: str | None = None,
                override_rejection: bool = False) -> dict[str, Any]: ...

    @abstractmethod
    def reject(self, assignment_id: str, *, feedback: str) -> dict[str, Any]: ...

    @abstractmethod
    def bonus(self, worker_id: str, assignment_id: str, *, amount_cents: int, reason: str,
              token: str) -> dict[str, Any]: ...

    @abstractmethod
    def review_outcome(self, action: Record) -> bool:
        """Whether the approve, reject or bonus of this audit-log row took effect on the
        marketplace (asked when its call's answer was lost). Raises Refused when the
        marketplace cannot be asked now."""

    @abstractmethod
    def soft_block(self, worker_id: str, *, qualification_name: str, reason: str) -> dict[str, Any]: ...

    @abstractmethod
    def hard_block(self, worker_id: str, *, reason: str) -> dict[str, Any]: ...

    @abstractmethod
    def expire_hits(self, hit_ids: list[str]) -> None: ...

    @abstractmethod
    def cleanup(self) -> None:
        """Release whatever the run still holds on the marketplace (called at the end)."""
