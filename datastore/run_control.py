"""Run control through the store: a request to stop a run, which the runner serving it polls
for from whatever process or machine it is on, when a run last did anything (how an idle
test run knows it is idle), and discarding an ended run from the dashboard's lists."""
from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from datastore.access import StoreAccess
from datastore.errors import IllegalTransition
from datastore.lifecycle import last_activity
from datastore.models import Run
from datastore.states import RunStatus, StopCause


class RunControl(StoreAccess):
    def request_run_stop(self, run_id: str, cause: str) -> bool:
        """Ask the run's runner to stop it (`cause`: a StopCause). Answers True when this call
        recorded the request, False when one was recorded before (the first is kept). Raises
        IllegalTransition when the run has ended, NotFound when there is no such run."""
        cause = StopCause(cause)

        def write(s: Session) -> bool:
            run = self._get_run(s, run_id)
            if run.status != RunStatus.RUNNING:
                raise IllegalTransition(f"run {run_id!r} already ended as {run.status!r}")
            if run.stop_requested_at is not None:
                return False
            run.stop_requested_at, run.stop_requested_by = time.time(), cause
            return True

        return self._write(write)

    def stop_requested(self, run_id: str) -> str | None:
        """Why the run was asked to stop (a StopCause), or None: what a runner polls, one
        primary-key read."""
        query = select(Run.stop_requested_by).where(Run.run_id == run_id)
        return self._read(lambda s: s.scalar(query))

    def run_last_activity(self, run_id: str) -> float:
        """The last time anything of the run was written: its launch, a worker's assignment
        or a HIT changing, a message."""
        return self._read(lambda s: last_activity(s, self._get_run(s, run_id)))

    def discard_run(self, run_id: str) -> bool:
        """Hide an ended run from the dashboard's lists; nothing of it is deleted. Answers True
        when this call discarded it, False when it was discarded before. Raises
        IllegalTransition while the run is running (stop it first). Which runs may be
        discarded at all (tests, sandbox, no marketplace) is the crowd layer's rule
        (crowd/run_control.py)."""

        def write(s: Session) -> bool:
            run = self._get_run(s, run_id)
            if run.status == RunStatus.RUNNING:
                raise IllegalTransition(f"run {run_id!r} is still running; stop it before discarding it")
            if run.discarded_at is not None:
                return False
            run.discarded_at = time.time()
            return True

        return self._write(write)
