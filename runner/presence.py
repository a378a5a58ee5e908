"""The runner's heartbeat into the store: every few seconds (`--presence-seconds`) one short
transaction rewrites a presence row for each worker this process serves, so the live monitor
of any process sharing the store sees them, and sees who is stuck (`--stuck-seconds` on their
turn with no message). It runs on its own thread: the socket and world threads never wait
for it."""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from sqlalchemy.exc import SQLAlchemyError

from crowd.processes import this_host
from datastore import DatastoreError, MTurkDataHandler
from datastore.presence import Presence, PresenceBeat, RunnerProcess
from datastore.states import AssignmentStatus as S
from runner.live import WorkerSession

log = logging.getLogger("parley.runner")

STALE_BEATS = 3
"""Heartbeats a reader may miss before it takes the runner for gone."""
MIN_FRESH_SECONDS = 5.0
"""However short the heartbeat, a row stays fresh this long: a busy store may hold a beat up."""
CONVERSING_STATES = (S.ONBOARDING, S.IN_TASK)
"""A worker's states (their page's, as the store's) in which they are in a conversation."""


def presence_of(session: WorkerSession, stuck_seconds: float, now: float) -> PresenceBeat | None:
    """The worker as the monitor should see them now; None when they are no longer live here."""
    if session.left or session.state == S.SUBMITTED:  # the run holds no place for them any more
        return None
    conversation = session.conversation if session.state in CONVERSING_STATES else None
    turn_since = conversation.turn_waiting_on(session.agent.id) if conversation is not None else None
    if not session.connected:
        state = Presence.DISCONNECTED
    elif conversation is None:
        state = Presence.WAITING if session.state == S.WAITING else Presence.CONNECTED
    elif turn_since is not None and now - turn_since >= stuck_seconds:
        state = Presence.STUCK
    else:
        state = Presence.IN_CONVERSATION
    return PresenceBeat(session.assignment_id, session.worker_id, state,
                        conversation.conversation_id if conversation is not None else None,
                        session.agent.id if conversation is not None else None, turn_since)


class PresenceReporter:
    """Writes the presence of `sessions()` for `run_id` every `every` seconds until stopped;
    `stop()` removes the run's rows (the run has ended, nobody is present)."""

    def __init__(self, handler: MTurkDataHandler, run_id: str, sessions: Callable[[], Iterable[WorkerSession]],
                 every: float, stuck_seconds: float) -> None:
        self.handler, self.run_id, self.sessions = handler, run_id, sessions
        self.every, self.stuck_seconds = every, stuck_seconds
        self.process = RunnerProcess(this_host(), os.getpid(), max(STALE_BEATS * every, MIN_FRESH_SECONDS))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="presence", daemon=True)
        self._wrote_any = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._write(lambda: self.handler.clear_presence(self.run_id))

    def beat(self) -> None:
        """Write every live worker's presence now. While there is nobody, nothing is written
        once the store says so: an idle run costs the store nothing."""
        now = time.time()
        beats = [b for s in list(self.sessions()) if (b := presence_of(s, self.stuck_seconds, now)) is not None]
        if beats or self._wrote_any:
            self._write(lambda: self.handler.write_presence(self.run_id, self.process, beats))
            self._wrote_any = bool(beats)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.beat()

    @staticmethod
    def _write(work: Callable[[], None]) -> None:
        """A beat the store refused is logged; the next one tries again."""
        try:
            work()
        except (DatastoreError, SQLAlchemyError) as exc:
            log.warning("could not write the workers' presence: %s", exc)
