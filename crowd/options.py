"""A run's settings: the flags of `python -m runner run`, kept on the run in the store."""
from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from crowd.base import Refused
from datastore import InvalidValue
from datastore.money import to_cents, to_dollars

DEFAULT_MAX_WAIT = 300.0
"""Seconds a worker waits for a partner before the run lets them go (0: forever)."""
FAIR_HOURLY_CENTS = 725
"""The default waiting bonus pays the wait at this rate: $7.25 an hour, the US federal minimum wage."""

DEFAULT_PRESENCE_SECONDS = 3.0
"""How often a runner writes its workers' presence (runner/presence.py): a monitor is this late."""
DEFAULT_STUCK_SECONDS = 60.0
"""A worker on their turn this long without a message is shown as stuck."""

DEFAULT_DISCONNECT_CAP = 3
"""Disconnects (across this store's runs) after which a worker meets the run's consequences
(`--disconnect-qualification`, `--hard-block`), as ParlAI's disconnect limit."""


def budget_in_cents(budget: str | None) -> int | None:
    """`--budget` in cents (None when not given); a bad amount is refused with a sentence."""
    if budget is None:
        return None
    try:
        return to_cents(budget)
    except InvalidValue as exc:
        raise Refused(f"--budget: {exc}") from None


def add_marketplace_arguments(run: argparse.ArgumentParser) -> None:
    """The flags every marketplace provider takes (`ProviderEntry.marketplace_flags`),
    registered once: each provider says in its own checks what they mean on its marketplace."""
    where = run.add_mutually_exclusive_group()
    where.add_argument("--sandbox", dest="live", action="store_false",
                       help="the marketplace's sandbox or preview, where nobody is paid (default)")
    where.add_argument("--live", dest="live", action="store_true",
                       help="the live marketplace: real workers, real money (needs --budget)")
    run.set_defaults(live=False)  # --sandbox's store_false would otherwise make live the default
    run.add_argument("--public-url", metavar="URL",
                     help="the address workers reach this runner at (a marketplace; https for --live)")
    run.add_argument("--budget", metavar="DOLLARS",
                     help="refuse a launch whose rewards and fees would cost more (required with --live)")
    run.add_argument("--expire-orphans", action="store_true",
                     help="clean up the marketplace work of earlier runs whose runner died, without asking")


def block_qualification_name(configured: str | None, taskname: str) -> str:
    """The soft-block qualification of a task's runs: `--block-qualification`, else one per task."""
    return configured or f"parley_{taskname}_block"


def unique_qualification_name(configured: str | None, *, unique: bool, run_id: str) -> str | None:
    """The qualification granted to each worker who starts, that keeps them from another HIT:
    `--unique-qual-name` (shared by every run that names it), else with `--unique` one per run."""
    if configured:
        return configured
    return f"parley_{run_id}_unique" if unique else None


def run_block_qualifications(config: Mapping[str, Any], taskname: str) -> list[str]:
    """The soft-block qualifications that keep a worker out of a run (`config`: its stored
    flags): its block qualification and, if it has one, its disconnect qualification."""
    names = [block_qualification_name(config.get("block_qualification"), taskname)]
    if config.get("disconnect_qualification"):
        names.append(config["disconnect_qualification"])
    return names


@dataclass
class RunOptions:
    num_conversations: int = 1
    reward: str = "0"
    count_complete: bool = False
    """Only conversations that finished without anyone leaving count toward the target."""
    max_connections: int = 30
    """Workers live at once (0: no limit)."""
    allowed_conversations: int = 0
    """Conversations one worker may have open at once (0: no limit)."""
    unique: bool = False
    """One assignment per worker in this run."""
    unique_qual_name: str | None = None
    """With it, one assignment per worker across every run that uses the same name."""
    max_time: int = 0
    """Seconds a worker may work on this task per UTC day (0: no limit)."""
    max_time_qual: str | None = None
    block_qualification: str | None = None
    """Soft-block qualification for workers who fail onboarding (default: parley_<task>_block)."""
    disconnect_qualification: str | None = None
    """Soft-block qualification granted to a worker who reaches the disconnect cap."""
    hard_block: bool = False
    """Hard-block a worker who reaches the disconnect cap."""
    disconnect_cap: int = DEFAULT_DISCONNECT_CAP
    """Disconnects before the consequences above (0: none)."""
    auto_approve_delay: int | None = None
    """Seconds after a worker finishes before their work is approved unless reviewed."""
    disconnect_timeout: float = 30.0
    """Seconds of silence (no socket, no heartbeat) before a worker counts as disconnected."""
    heartbeat_seconds: float = 5.0
    presence_seconds: float = DEFAULT_PRESENCE_SECONDS
    """How often the runner writes its workers' presence to the store (the live monitor's view)."""
    stuck_seconds: float = DEFAULT_STUCK_SECONDS
    """Seconds a worker may leave their turn without a message before the monitor calls them stuck."""
    is_test: bool = False
    test_idle_minutes: float = 0.0
    """A test run (`is_test`) with nothing written about it for this long (no worker opening
    the page, moving on or leaving, no message: `run_last_activity`) stops itself; 0: never.
    Open tabs sending only heartbeats do not count, so an abandoned tab cannot keep it alive."""
    messages_per_second: float | None = None
    """The live channel's budget per worker (runner/budget.py); None: the task config's value."""
    message_burst: int | None = None
    messages_per_assignment: int | None = None
    bytes_per_assignment: int | None = None
    max_wait: float = DEFAULT_MAX_WAIT
    """Seconds a worker may wait for a partner before being released (0: wait forever)."""
    waiting_bonus: str | None = None
    """Dollars paid to a released worker once they submit; None: the wait at FAIR_HOURLY_CENTS."""
    text_detector: str | None = None
    """The scorer of workers' messages ("module:function"); None: the task config's, if any."""

    def as_config(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def waiting_bonus_cents(self) -> int:
        """What a released worker is paid on top of the reward, in cents (0: nothing)."""
        if self.waiting_bonus is not None:
            return to_cents(self.waiting_bonus)
        return math.ceil(self.max_wait * FAIR_HOURLY_CENTS / 3600)

    def waiting_bonus_dollars(self) -> str:
        return to_dollars(self.waiting_bonus_cents)

    @property
    def beat_seconds(self) -> float:
        """How often the runner and the pages send heartbeats: several times per disconnect
        timeout, so an open page is never taken for a silent one (--disconnect-timeout 2)."""
        return min(self.heartbeat_seconds, self.disconnect_timeout / 3)
