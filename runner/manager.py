"""The TaskManager: every worker's way through a run, and the run's way to its end.

accept → (onboarding world) → waiting pool → paired into a conversation → task world in
its own thread → done / left. Every step is written through the handler as it happens,
so the store always says where each worker is.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from crowd import auto_approve
from crowd.base import OutcomeUnknown, Provider, Refused
from crowd.context import TaskContext
from crowd.disconnects import enforce_disconnect_cap
from crowd.options import RunOptions, block_qualification_name
from crowd.processes import this_host
from crowd.review import ReviewRefused, ReviewService
from datastore import DatastoreError, IllegalTransition, MTurkDataHandler
from datastore.states import LIVE, REVIEWED, AssignmentStatus, RunStatus, StopCause
from runner.authenticity import answer_flags, flags_for, paste_refused
from runner.budget import CUT_OFF_TEXT, MessageMeter, OverBudget, Refusal, budget_for
from runner.duplicates import DuplicateFlagger, StoredText
from runner.forms.onboarding import OnboardingDesk, OnboardingFormWorld
from runner.forms.world import NO_ITEMS, AnswerComposition, FormDesk, FormWorld
from runner.live import TASK_PREFIX, LiveConversation, WorkerSession, clean_act
from runner.local_human import LOCAL_HUMAN_WORKER, LocalDesk, LocalHumans
from runner.presence import PresenceReporter
from runner.protocol import WorkerIdentity, encode
from runner.tasks import Task, TaskError, prepare_run
from runner.text_detector import DetectorError, detector_for
from runner.worlds import system_message

log = logging.getLogger("parley.runner")

SUBMIT_GRACE_SECONDS = 30.0
"""At the end of a run, how long to wait for workers whose task ended to press Done."""
MAX_PARLEYS_AFTER_LEAVE = 50
"""A world that ignores leave messages is stopped after this many more turns."""
WORLD_END_SECONDS = 10.0
"""How long a stopped run waits for its worlds to hear that their workers left and end."""

LEFT_TEXT = {
    "disconnect": "You were disconnected for too long, so this task has ended for you.",
    "returned": "You returned this task. Thank you for your time.",
    "timeout": "You took too long to answer, so this task has ended for you.",
}
DONE_TEXT = "The conversation is over. Press Done to submit your work."
FORM_DONE_TEXT = "Every item is answered. Press Done to submit your work."
NO_ITEMS_TEXT = ("There are no more items for you in this task, so there is nothing to answer. "
                 "Press Done to end it.")
PARTNER_LEFT_TEXT = ("Your partner left the conversation, so it has ended. "
                     "Your work so far is saved: press Done to submit it.")
RELEASED_TEXT = ("Nobody else joined in time, so you do not need to wait any longer. "
                 "Press Done to submit this task; you will be paid for your time.")
SUBMITTED_TEXT = "Your work is submitted. You can close this tab."
FULL_TEXT = "This task has all the conversations it needs now. Thank you; please return it."
NOT_ABLE = "You are not able to work on this task. Thank you for your interest."
"""What a blocked worker, or one holding a qualification the task keeps out, is told."""
SUBMITTABLE = ("done", "partner_disconnect", "released")
"""Page states in which pressing Done submits the worker's assignment."""
HANDED_IN = frozenset({AssignmentStatus.SUBMITTED, *REVIEWED})
"""Work the marketplace has as submitted (and maybe reviewed there already)."""
ANSWERING = ("onboarding", "in_task")
"""Page states in which a worker's messages and form answers are taken."""
STOPPED_TEXT = ("This task was stopped before your conversation ended. "
                "Your work so far is saved: press Done to submit it.")
CONTROL_POLL_SECONDS = 1.0
"""How often a runner looks in the store for a stop asked from elsewhere (the dashboard,
crowd/run_control.py), and a test run checks whether it has been idle too long."""
POLICY_VIOLATION = 1008
"""The websocket close code for a page cut off for what it sent (RFC 6455, 7.4.1)."""


def runner_identity() -> dict[str, Any]:
    """Which process runs a run: lets a later runner tell a live run from an orphan."""
    return {"host": this_host(), "pid": os.getpid(), "started": time.time()}


class TaskManager:
    def __init__(self, task: Task, handler: MTurkDataHandler, provider: Provider,
                 options: RunOptions, *, base_url: str = "http://127.0.0.1") -> None:
        self.task, self.handler, self.provider, self.options = task, handler, provider, options
        self.run_data = prepare_run(task)
        """What the task's prepare_run gave its worlds (TaskError, raised here, refuses the launch)."""
        try:
            self.detector = detector_for(options.text_detector or task.config["text_detector"],
                                         task.config["detector_threshold"], task.path)
            """The run's text detector, if the run or its task names one."""
        except DetectorError as exc:
            raise TaskError(f"task {task.name}: {exc}") from None
        self.duplicates = DuplicateFlagger(handler, lambda: self.run_id)
        """Flags the run's near-identical worker messages as they are stored."""
        self.base_url = base_url
        self.announce: Callable[[str], None] = log.info
        """Says where a local human is wanted (the CLI prints it)."""
        self.local_humans = LocalDesk(lambda: f"{self.base_url.rstrip('/')}/local/{self.run_id}",
                                      lambda line: self.announce(line))
        """The people at the runner who play agents of its worlds (runner/local_human.py)."""
        self.budget = budget_for(task.config, options.as_config())
        """What each worker may send: the flags' values, else the task config's."""
        self.review = ReviewService(handler, lambda run: provider)
        self.run_id = ""
        self.context: TaskContext | None = None
        """What worlds may do to their workers (made once the run exists)."""
        self.sessions: dict[str, WorkerSession] = {}
        self.finished = threading.Event()
        """Set once the run has ended and its end is in the store (what `wait()` waits for)."""
        self._closing = threading.Event()
        """Set as the run starts to end: from then on nobody is let in or paired."""
        self._stopping = threading.Event()
        """Set by shutdown(): the end of the run waits for nobody."""
        self._lock = threading.RLock()
        self._pool: list[WorkerSession] = []
        self.released: list[WorkerSession] = []
        """Workers let go after waiting --max-wait for a partner, in the order they were."""
        self._awaiting_submission: list[WorkerSession] | None = []
        """Workers whose task ended on a marketplace where they submit on its own page: the
        verdicts and bonuses their world asked for wait until the submission is recorded.
        None once the run's end has dealt with them (a world ending later is dealt with at once)."""
        self._started = 0
        self._completed_ok = 0
        self._active = 0
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self.stopped_by: StopCause | None = None
        """Why the run was stopped through the store (a reviewer, or idleness); None otherwise."""
        self.presence: PresenceReporter | None = None
        """Writes the workers' presence for the live monitor, from launch to the run's end."""
        self.choose_group: Callable[[list[WorkerSession], int], list[WorkerSession]] | None = None
        """Who of the waiting pool (in the order they came) make the next conversation: `size`
        of them, or fewer to pair nobody now. None takes the first `size`; parlai_compat's
        manager applies a ported task's eligibility and role functions here."""

    # Starting and ending ---------------------------------------------------------------

    def start(self) -> str:
        self.run_id = self.handler.log_new_run(
            self.options.num_conversations, self.task.name, provider=self.provider.name,
            is_sandbox=self.provider.is_sandbox, is_test=self.options.is_test,
            reward=self.options.reward,
            config={"task_dir": str(self.task.path), "runner": runner_identity(), **self.options.as_config(),
                    **self.budget.as_config(),
                    **({"form": self.task.form.as_run_config()} if self.task.form is not None else {})},
        )
        self.provider.bind(self.handler, self.run_id, self.base_url)
        if self.task.form is not None:
            self.handler.register_form_items(self.run_id, self.task.form.items)
        self.context = TaskContext(self.review, self.handler, self.run_id, self.provider.is_sandbox,
                                   self.block_qualification)
        try:
            self.provider.launch(self.provider.hits_for(self.options.num_conversations,
                                                        self.task.humans_per_conversation))
        except Refused as exc:
            self._abandon_launch(keep=isinstance(exc, OutcomeUnknown))
            raise
        self._spawn(self._monitor, "monitor")
        self._spawn(self._watch_control, "control")
        self.presence = PresenceReporter(self.handler, self.run_id, lambda: self.sessions.values(),
                                         self.options.presence_seconds, self.options.stuck_seconds)
        self.presence.start()
        if self.provider.departures_poll_seconds is not None:
            self._spawn(self._watch_departures, "departures")
        if self._sweeps_approvals:
            self._spawn(self._auto_approve, "auto-approve")
        if self.options.num_conversations == 0:
            self._finish_run()
        return self.run_id

    def _abandon_launch(self, *, keep: bool) -> None:
        """The provider refused the launch: release what it made on the marketplace, then
        remove the run, which nobody saw start. A run that still holds something there (a
        HIT the marketplace would not take back), or whose launch may have acted though its
        answer was lost (`keep`: the run's id is how to find what it made), is kept, ended as
        failed, for the record."""
        self._closing.set()
        try:
            self.provider.cleanup()
        except Refused as exc:
            log.warning("cleanup on the provider after the refused launch failed: %s", exc)
        why = "the launch may have acted on the marketplace though its answer was lost"
        if not keep:
            try:
                self.handler.discard_unlaunched_run(self.run_id)
                why = ""
            except IllegalTransition as exc:
                why = str(exc)
        if why:
            log.warning("the refused run %s is kept: %s", self.run_id, why)
            self._write(self.handler.log_end_run, self.run_id, RunStatus.FAILED)
        self.finished.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    def shutdown(self) -> None:
        """Stop the run now (Ctrl-C): tell live workers, end the run as stopped."""
        self._stopping.set()
        self._finish_run(status="stopped")

    def _finish_run(self, status: str = "completed") -> None:
        with self._lock:
            if self._closing.is_set():
                return
            self._closing.set()
            leftovers = [s for s in self.sessions.values() if s.state in ("accepted", "onboarding", "waiting")]
            mid_task = [s for s in self.sessions.values() if s.state == "in_task" and not s.left]
            self._pool.clear()
        try:
            for session in leftovers:
                self._write(self.handler.log_expire_assignment, session.worker_id, session.assignment_id)
                session.left = "expired"
                session.wake()
                session.set_state("expired", FULL_TEXT)
            # Only when stopped (a run that ends by itself has none). All are marked first:
            # a world woken by its first worker's interruption ends its conversation, and
            # would otherwise record a partner not yet interrupted as having finished.
            for session in mid_task:
                session.left = "interrupted"
            for session in mid_task:
                self._interrupt(session)
            self.local_humans.interrupt()
            if status == "completed":
                self._wait_for_submissions()
            try:
                self.provider.cleanup()
            except Refused as exc:
                log.warning("cleanup on the provider failed: %s", exc)
            if not self.provider.submits_on_done():
                self._pay_submitted_waiting_bonuses()
                self._review_submitted_work()
            if self._sweeps_approvals:  # the last submissions may be due already
                self._approve_due()
            self._write(self.handler.log_end_run, self.run_id, status)
            self._stop.set()
            if self.presence is not None:
                self.presence.stop()
            self._join_worlds()
        finally:
            self.finished.set()

    def _join_worlds(self) -> None:
        """Let the worlds still running end (a stopped run woke their workers' agents) and
        save their data, for up to WORLD_END_SECONDS, before the run counts as finished."""
        deadline = time.monotonic() + WORLD_END_SECONDS
        for thread in list(self._threads):
            if thread.name.startswith("world-") and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    log.warning("%s had not ended %g s after the run did", thread.name, WORLD_END_SECONDS)

    def _interrupt(self, session: WorkerSession) -> None:
        """The run stops with this worker mid-task: their work so far is kept for review
        (`interrupted`, as when a runner dies), and their page lets them submit it, which
        the provider's cleanup, or a later reconcile, records."""
        self._write(self.handler.log_interrupt_assignment, session.worker_id, session.assignment_id)
        self._add_working_time(session)
        session.set_state("done", STOPPED_TEXT)
        session.left = "interrupted"  # the world hears they left, and its conversation ends
        session.wake()

    def _wait_for_submissions(self) -> None:
        """The last conversation has ended, but its workers press Done a moment later: a run
        that ended at once would leave them nothing to submit to. Wait, up to
        SUBMIT_GRACE_SECONDS, while any worker whose task ended is still on their page, unless
        the run is being stopped (Ctrl-C)."""
        deadline = time.monotonic() + SUBMIT_GRACE_SECONDS
        while time.monotonic() < deadline and any(
                self._may_still_submit(s) for s in list(self.sessions.values())):
            if self._stopping.wait(0.05):
                return

    def _may_still_submit(self, session: WorkerSession) -> bool:
        away = time.monotonic() - session.last_seen
        return session.state in SUBMITTABLE and (
            session.connected or away < self.options.disconnect_timeout)

    # Accepting a worker ----------------------------------------------------------------

    def accept(self, hit_id: str, assignment_id: str, worker_id: str,
               preferred_role: str | None = None) -> WorkerSession:
        """Let a worker in, or raise Refused with a sentence for their page. A
        `preferred_role` (task testing) is given to this worker when they are paired."""
        existing = self.sessions.get(assignment_id)
        if existing is not None:
            if existing.worker_id != worker_id:
                raise Refused("this assignment belongs to another worker")
            return existing
        if self._closing.is_set():
            raise Refused(FULL_TEXT)
        self.provider.check_assignment(hit_id, assignment_id, worker_id)
        with self._lock:
            self._check_worker_may_start(worker_id)
            who = WorkerIdentity(self.run_id, assignment_id, worker_id)
            session = WorkerSession(who, hit_id, MessageMeter(self.budget))
            session.preferred_role = preferred_role if preferred_role in self.task.agent_ids else None
            session.agent.on_timeout = lambda s: self.worker_left(s, "timeout")
            session.agent.context = self._task_context().worker(
                worker_id, assignment_id, lambda text: session.agent.observe(system_message(text)))
            try:
                self.handler.log_worker_accept_assignment(worker_id, assignment_id, hit_id, self.run_id)
            except DatastoreError as exc:
                raise Refused(str(exc)) from None
            self.sessions[assignment_id] = session
        self._record_started(worker_id)
        if self.task.has_onboarding:
            self._spawn(lambda: self._onboard(session), f"onboard-{assignment_id}")
        else:
            self._write(self.handler.log_waiting, worker_id, assignment_id)
            self._enter_waiting(session)
        return session

    def _record_started(self, worker_id: str) -> None:
        """The marketplace grants its qualifications (`--unique`); the store keeps
        `--unique-qual-name` too, which is what keeps the worker out of the next run that
        names it on a provider with no marketplace."""
        name, sandbox = self.options.unique_qual_name, self.provider.is_sandbox
        if name:
            self.handler.ensure_qualification(name, sandbox, description="worked on a task that allows one each")
            self.handler.grant_qualification(worker_id, name, sandbox)
        try:
            self.provider.worker_started(worker_id)
        except Refused as exc:
            log.warning("the provider could not mark %s as started: %s", worker_id, exc)

    def _check_worker_may_start(self, worker_id: str) -> None:
        options, sandbox = self.options, self.provider.is_sandbox
        for block in self.handler.get_blocks_for_worker(worker_id):
            if block["is_sandbox"] == sandbox and (
                    block["kind"] == "hard" or block["qualification_id"] in self._blocking_qual_ids()):
                raise Refused(NOT_ABLE)
        if self._holds_refused_qualification(worker_id):
            raise Refused(NOT_ABLE)
        if options.unique and any(
                a["run_id"] == self.run_id for a in self.handler.get_all_assignments_for_worker(worker_id)):
            raise Refused("You have already worked on this task; each worker may do it only once.")
        if options.unique_qual_name and any(
                q["name"] == options.unique_qual_name and q["is_sandbox"] == sandbox
                for q in self.handler.get_worker_qualifications(worker_id)):
            raise Refused("You have already done a task of this kind; each worker may do it only once.")
        if options.allowed_conversations or options.max_connections:
            # Only with a limit to check: a scan of every session per arrival costs the whole
            # run's other threads their turn when a thousand are live (bench/load.py).
            live = [s for s in self.sessions.values() if s.state in LIVE and not s.left]
            mine = sum(1 for s in live if s.worker_id == worker_id)
            if options.allowed_conversations and mine >= options.allowed_conversations:
                raise Refused(f"You already have {mine} of these tasks open; finish "
                              f"{'it' if mine == 1 else 'one'} before starting another.")
            if options.max_connections and len(live) >= options.max_connections:
                raise Refused("Too many workers are on this task right now. Please try again in a few minutes.")
        if options.max_time and self.handler.get_working_time(worker_id) >= options.max_time:
            raise Refused("You have reached today's time limit for this task. Thank you; "
                          "please come back tomorrow.")

    def _holds_refused_qualification(self, worker_id: str) -> bool:
        """Whether the worker holds (was granted) one of the task's blocking qualifications:
        what a marketplace's `DoesNotExist` requirement keeps out, checked here where no
        marketplace checks it."""
        names = set(self.task.config["blocking_qualifications"])
        return bool(names) and any(q["name"] in names and bool(q["is_sandbox"]) == self.provider.is_sandbox
                                   for q in self.handler.get_worker_qualifications(worker_id))

    def _blocking_qual_ids(self) -> set[int]:
        names = {self.block_qualification, self.options.disconnect_qualification,
                 *self.task.config["blocking_qualifications"]}
        found = (self.handler.get_qualification(n, self.provider.is_sandbox) for n in names if n)
        return {q["id"] for q in found if q is not None}

    @property
    def block_qualification(self) -> str:
        return block_qualification_name(self.options.block_qualification, self.task.name)

    def session_for(self, who: WorkerIdentity) -> WorkerSession | None:
        """The session a page's token names: a worker's, or a local human's."""
        session = (self.local_humans.find(who.assignment_id) if who.worker_id == LOCAL_HUMAN_WORKER
                   else self.sessions.get(who.assignment_id))
        if session is None or session.who != who:
            return None
        return session

    # Onboarding, waiting, pairing ------------------------------------------------------

    def _onboard(self, session: WorkerSession) -> None:
        conversation = LiveConversation(self.handler, self.run_id, f"o_{session.assignment_id}",
                                        turn_taking=not self.task.config["free_chat"])
        conversation.sessions = [session]
        session.conversation = conversation
        self._write(self.handler.log_start_onboard, session.worker_id, session.assignment_id,
                    conversation.conversation_id)
        session.set_state("onboarding", "Please complete this short introduction first.")
        world = self._onboarding_world(session, conversation)
        try:
            self._run_world(world, conversation)
        except Exception:
            log.exception("onboarding world of %s failed", session.assignment_id)
        finally:
            world.shutdown()
        if session.left:
            return
        saved = world.prep_save_data([session.agent]) or {}
        passed = getattr(world, "passed", True)
        self._write(self.handler.log_finish_onboard, session.worker_id, session.assignment_id,
                    passed=passed, answers=saved.get("custom_data"))
        session.conversation, session.form = None, None
        if passed is False:
            self._soft_block(session.worker_id, "did not pass the onboarding")
            self._task_work_ended(session)
            self._write(self.handler.log_expire_assignment, session.worker_id, session.assignment_id)
            session.left = "expired"
            self._add_working_time(session)
            session.set_state("expired", "Thank you for trying. You did not qualify for this task, "
                                         "so you cannot continue; please return it.")
            self._hit_done(session)
            return
        self._enter_waiting(session)

    def _onboarding_world(self, session: WorkerSession, conversation: LiveConversation) -> Any:
        """The worker's onboarding world: the task's OnboardingWorld, or for a form task the
        built-in OnboardingFormWorld over its onboarding gold items."""
        opt = self._opt(conversation.conversation_id)
        if self.task.form is not None:
            session.form = OnboardingDesk(self.task.form, session,
                                          keep=lambda act: self._log_own(session, conversation, act))
            return OnboardingFormWorld(opt, session.form)
        assert self.task.worlds is not None  # has_onboarding: a chat task's worlds.py
        return self.task.worlds.OnboardingWorld(opt, session.agent)

    def _log_own(self, session: WorkerSession, conversation: LiveConversation, act: dict[str, Any]) -> None:
        """Store an act of the worker's, which their page does not send as a message (their
        onboarding answers), in its place in the conversation."""
        with conversation.storing:
            self.handler.log_message(self.run_id, conversation.conversation_id, session.agent.id, act,
                                     worker_id=session.worker_id, assignment_id=session.assignment_id,
                                     turn_index=conversation.next_turn())

    def _soft_block(self, worker_id: str, reason: str) -> None:
        result = self.review.soft_block(worker_id, run_id=self.run_id, actor="runner", reason=reason,
                                        qualification_name=self.block_qualification)
        if not result.succeeded:
            log.warning("soft block of %s failed: %s", worker_id, result.action["error"])

    def _enforce_disconnect_cap(self, worker_id: str) -> None:
        try:
            results = enforce_disconnect_cap(self.review, self.options, worker_id, self.run_id)
        except (ReviewRefused, DatastoreError) as exc:
            log.warning("the disconnect cap could not be applied to %s: %s", worker_id, exc)
            return
        for result in results:
            if not result.succeeded:
                log.warning("%s of %s at the disconnect cap: %s", result.action["action"], worker_id,
                            result.action["error"])

    def _enter_waiting(self, session: WorkerSession) -> None:
        with self._lock:
            if session.left or self._closing.is_set():
                return
            session.waiting_since = time.monotonic()
            session.set_state("waiting", "Waiting for a partner to join…")
            self._pool.append(session)
        self._try_pairing()

    def _conversations_needed(self) -> int:
        target = self.options.num_conversations
        if self.task.form is not None:  # a form run is over once every item has its N answers
            if self._form_complete():
                return 0
            return target - self._completed_ok - self._active
        if self.options.count_complete:
            return target - self._completed_ok - self._active
        return target - self._started

    def _form_complete(self) -> bool:
        assert self.task.form is not None
        progress = self.handler.form_progress(self.run_id, self.task.form.annotations_per_item)
        return bool(progress["complete"] >= progress["items"])

    def _try_pairing(self) -> None:
        size = self.task.humans_per_conversation
        while True:
            with self._lock:
                self._pool = [s for s in self._pool if not s.left]
                if self._closing.is_set() or len(self._pool) < size or self._conversations_needed() <= 0:
                    return
                if self.choose_group is None:
                    group, self._pool = self._pool[:size], self._pool[size:]
                else:
                    group = self.choose_group(list(self._pool), size)
                    if len(group) != size:
                        return
                    self._pool = [s for s in self._pool if s not in group]
                self._started += 1
                self._active += 1
                conversation = LiveConversation(self.handler, self.run_id, f"{TASK_PREFIX}{self._started}",
                                                turn_taking=not self.task.config["free_chat"])
            group = self._by_role(group)
            conversation.sessions = group
            for session, agent_id in zip(group, self.task.agent_ids):
                session.agent.id = agent_id
                session.conversation = conversation
                self._write(self.handler.log_start_task, session.worker_id, session.assignment_id,
                            conversation.conversation_id, agent_id=agent_id)
                session.set_state("in_task", "")
            self._spawn(lambda c=conversation: self._run_conversation(c), f"world-{conversation.conversation_id}")

    def _by_role(self, group: list[WorkerSession]) -> list[WorkerSession]:
        """Order a group so that workers who asked for a role get it; the rest fill the
        remaining roles in the order they arrived."""
        roles = self.task.agent_ids
        placed: dict[str, WorkerSession] = {}
        for session in group:
            if session.preferred_role and session.preferred_role not in placed:
                placed[session.preferred_role] = session
        rest = iter(s for s in group if s not in placed.values())
        return [placed.get(role) or next(rest) for role in roles[:len(group)]]

    # The task world --------------------------------------------------------------------

    def _run_conversation(self, conversation: LiveConversation) -> None:
        sessions = conversation.sessions
        agents = [s.agent for s in sessions]
        world = None
        crashed = False
        try:
            world = self._task_world(conversation)
            self._run_world(world, conversation)
        except Exception:
            log.exception("task world %s failed", conversation.conversation_id)
            crashed = True
        self.local_humans.end(conversation)
        ok = not crashed and not conversation.partner_left.is_set() and not any(s.left for s in sessions)
        no_items = isinstance(world, FormWorld) and world.outcome == NO_ITEMS
        approve_time = (time.time() + self.options.auto_approve_delay
                        if self.options.auto_approve_delay is not None else None)
        for session in sessions:
            self._end_task_for(session, conversation, approve_time, self._done_text(world))
            self._task_work_ended(session)
        if world is not None:
            try:
                world.shutdown()
                self.handler.save_world_data(world.prep_save_data(agents) or {}, self.run_id,
                                             conversation.conversation_id)
                world.review_work()
            except Exception:
                log.exception("saving world %s failed", conversation.conversation_id)
        self._write(self.handler.log_end_conversation, self.run_id, conversation.conversation_id)
        with self._lock:
            self._active -= 1
            self._completed_ok += ok and not no_items
            # A form run counts only assignments that answered (their items may go to others).
            relaunch = (self.options.count_complete or self.task.is_form) and not ok and not self._closing.is_set()
        if relaunch:
            self._launch_more(self.task.humans_per_conversation, f"for conversation {conversation.conversation_id}")
        self._try_pairing()
        with self._lock:
            last = self._conversations_needed() <= 0 and self._active == 0
        if last:  # not under the lock: the end of a run waits for its last workers to submit
            self._finish_run()

    def _task_world(self, conversation: LiveConversation) -> Any:
        """The conversation's world: the task's TaskWorld, or for a form task the built-in
        FormWorld over its one worker's items."""
        opt = self._opt(conversation.conversation_id)
        if self.task.form is not None:
            session = conversation.sessions[0]
            session.form = FormDesk(self.handler, self.run_id, self.task.form, session,
                                    soft_block=session.agent.soft_block_worker)
            return FormWorld(opt, session.form)
        assert self.task.worlds is not None
        opt["local_humans"] = LocalHumans(self.local_humans, conversation)
        return self.task.worlds.TaskWorld(opt, [s.agent for s in conversation.sessions])

    @staticmethod
    def _done_text(world: Any) -> str:
        if not isinstance(world, FormWorld):
            return DONE_TEXT
        return NO_ITEMS_TEXT if world.outcome == NO_ITEMS else FORM_DONE_TEXT

    def _run_world(self, world: Any, conversation: LiveConversation) -> None:
        extra_turns = 0
        while not world.episode_done() and not self._stop.is_set():
            world.parley()
            if conversation.partner_left.is_set() or all(s.left for s in conversation.sessions):
                extra_turns += 1
                if extra_turns > MAX_PARLEYS_AFTER_LEAVE:
                    log.warning("world %s ignores leave messages; stopping it", conversation.conversation_id)
                    return

    def _end_task_for(self, session: WorkerSession, conversation: LiveConversation,
                      approve_time: float | None, done_text: str) -> None:
        if session.left:
            return
        kind = "partner_disconnect" if conversation.partner_left.is_set() else "completed"
        self._write(self.handler.log_complete_assignment, session.worker_id, session.assignment_id,
                    approve_time, kind)
        self._add_working_time(session)
        session.set_state("partner_disconnect" if kind == "partner_disconnect" else "done",
                          PARTNER_LEFT_TEXT if kind == "partner_disconnect" else done_text)

    # What the worker's page says -------------------------------------------------------

    def store_worker_message(self, session: WorkerSession, cid: str, act: dict[str, Any]) -> tuple[int, int | None]:
        """Store a worker's message, hand it to their agent, answer the stored row's id and
        the message's position in the conversation. Raises Refused when the worker cannot
        talk now (not in a conversation, or not their turn), OverBudget when the message is
        past the run's budget; DatastoreError / DB errors propagate so the socket can ask the
        page to retry."""
        conversation = session.conversation
        if conversation is None or session.state not in ANSWERING or session.left:
            raise Refused("you cannot send messages right now")
        signals, paste_policy = act.get("signals"), self.task.config["paste_policy"]
        if paste_refused(signals, paste_policy):
            raise Refused(self.task.config["paste_refused_text"])
        flags = flags_for(act.get("text", ""), signals, paste_policy)
        earlier = conversation.position_of(session.agent.id, cid)
        if earlier is not None:  # sent again after a reconnect: it is stored, with its place
            logged = self.handler.log_message(
                self.run_id, conversation.conversation_id, session.agent.id, clean_act(session.agent.id, act),
                worker_id=session.worker_id, assignment_id=session.assignment_id, client_msg_id=cid,
                signals=signals, flags=flags)
            return logged.id, earlier
        score = self.detector.score(act.get("text", "")) if self.detector else None
        if self.detector and (flag := self.detector.flag(score)):
            flags.append(flag)
        agent_id = session.agent.id
        conversation.claim_turn(agent_id)
        clean = clean_act(agent_id, act)
        size = len(encode(clean).encode())
        refusal = session.meter.charge(size)
        if refusal is not None:
            conversation.give_back_turn(agent_id)
            raise OverBudget(refusal)
        try:
            with conversation.storing:
                position = conversation.next_turn()
                logged = self.handler.log_message(
                    self.run_id, conversation.conversation_id, agent_id, clean,
                    worker_id=session.worker_id, assignment_id=session.assignment_id, client_msg_id=cid,
                    turn_index=position, signals=signals, flags=flags, detector_score=score)
        except Exception:
            session.meter.refund(size)
            conversation.give_back_turn(agent_id)
            raise
        if logged.created:
            self.duplicates.message_stored(
                StoredText(logged.id, session.worker_id, conversation.conversation_id), act.get("text", ""))
            clean["message_id"] = cid
            conversation.mark_stored(agent_id, cid, position)
            session.deliver_to_agent(clean)
        else:
            session.meter.refund(size)
            conversation.give_back_turn(agent_id)
        return logged.id, position if logged.created else None

    def store_form_answer(self, session: WorkerSession, item_id: str, answers: dict[str, Any],
                          signals: dict[str, Any] | None = None) -> None:
        """Check and store a worker's answers to one of their form items, with how each
        free-text answer was composed (`signals` by field) and what the checks found in it
        (then the socket acks them). Raises AnswersRefused (the fields' sentences), Refused
        when the worker cannot answer now, the item is not theirs, signals name a field that
        is not free text or say a paste the task refuses; OverBudget past the run's budget;
        DatastoreError / DB errors propagate so the socket can ask the page to retry."""
        desk = session.form
        if desk is None or session.state not in ANSWERING or session.left:
            raise Refused("You cannot answer right now.")
        signals = signals or {}
        text_fields = desk.form.text_fields()
        if stray := sorted(set(signals) - set(text_fields)):
            raise Refused(f"Signals are kept for free-text answers only, not for {', '.join(stray)}.")
        paste_policy = self.task.config["paste_policy"]
        if any(paste_refused(field_signals, paste_policy) for field_signals in signals.values()):
            raise Refused(self.task.config["paste_refused_text"])
        composition = AnswerComposition(signals, answer_flags(answers, signals, text_fields, paste_policy))
        size = len(encode(answers).encode())
        refusal = session.meter.charge(size)
        if refusal is not None:
            raise OverBudget(refusal)
        try:
            new = desk.store_answer(item_id, answers, composition)
        except Exception:
            session.meter.refund(size)
            raise
        if not new:
            session.meter.refund(size)

    def cut_off(self, session: WorkerSession, refusal: Refusal) -> None:
        """The worker kept sending past the run's budget: end their assignment as a
        disconnect, say why in their pairing's notes, and close their socket for good."""
        session.cut_off = True
        note = (f"disconnected by the runner: kept sending messages past the budget of "
                f"{self.budget.describe(refusal.part)}")
        self.worker_left(session, "disconnect", text=CUT_OFF_TEXT, note=note)
        session.close(POLICY_VIOLATION, "over the message budget")

    def worker_done(self, session: WorkerSession) -> None:
        if session.state not in SUBMITTABLE:
            raise Refused("the task is not over yet")
        released = session.state == "released"
        if self.provider.submits_on_done():
            self._write(self.handler.log_submit_assignment, session.worker_id, session.assignment_id)
            if released:
                self._pay_waiting_bonus(session)
        session.set_state("submitted", SUBMITTED_TEXT)
        if not released:  # a released worker's HIT was given back when they were released
            self._hit_done(session)

    # Releasing a worker nobody was paired with -------------------------------------------

    def _release_if_waited_too_long(self, session: WorkerSession, now: float) -> None:
        """Let a worker go who has waited --max-wait for a partner: their page says so and
        lets them submit, their HIT is replaced so the run can still fill its conversations,
        and once they submit they are paid the waiting bonus."""
        max_wait = self.options.max_wait
        if not max_wait or session.state != "waiting" or now - session.waiting_since < max_wait:
            return
        with self._lock:
            if session.left or session not in self._pool or self._closing.is_set():
                return  # paired, gone or the run is ending: not ours to release
            self._pool.remove(session)
            self.released.append(session)
        self._write(self.handler.log_release_assignment, session.worker_id, session.assignment_id)
        self._add_working_time(session)
        self._hit_done(session)
        self._launch_more(1, f"in place of released {session.assignment_id}")
        session.set_state("released", RELEASED_TEXT)

    def _pay_waiting_bonus(self, session: WorkerSession) -> None:
        """Pay a released worker's waiting bonus through the review service: idempotent (the
        same bonus asked again answers the first) and audited like every other payment."""
        cents = self.options.waiting_bonus_cents
        if not cents:
            return
        minutes = max(1, round(self.options.max_wait / 60))
        reason = (f"Thank you for waiting {minutes} minute{'s' if minutes != 1 else ''} for a partner "
                  "who did not come.")
        try:
            result = self.review.bonus(session.assignment_id, self.options.waiting_bonus_dollars(),
                                       actor="runner", reason=reason)
        except Exception:
            log.exception("the waiting bonus of %s could not be paid", session.assignment_id)
            return
        if not result.succeeded:
            log.warning("the waiting bonus of %s is %s: %s", session.assignment_id, result.outcome,
                        result.action["error"])

    def _pay_submitted_waiting_bonuses(self) -> None:
        """At the end of a run on a marketplace, where a released worker submits on the
        marketplace's page: pay those whose submission the provider's cleanup recorded."""
        for session in list(self.released):
            assignment = self.handler.get_assignment_data(session.assignment_id)
            if assignment is not None and assignment["status"] == AssignmentStatus.SUBMITTED:
                self._pay_waiting_bonus(session)

    def worker_left(self, session: WorkerSession, kind: str, *, text: str | None = None,
                    note: str | None = None) -> None:
        """The worker disconnected, returned the task or timed out: record it (with `note`
        in their pairing's notes, if given), tell their page (`text`, or what `kind` says),
        wake the world, and let their partners' worlds end."""
        with self._lock:
            if session.left or session.state not in LIVE:
                return
            session.left = kind
            if session in self._pool:
                self._pool.remove(session)
        if note is not None:
            self._write(self.handler.log_worker_note, session.worker_id, session.assignment_id, note)
        if kind == "returned":
            self._write(self.handler.log_return_assignment, session.worker_id, session.assignment_id)
        else:
            self._write(self.handler.log_disconnect_assignment, session.worker_id,
                        session.assignment_id, None, kind)
        self._add_working_time(session)
        session.set_state(kind, text or LEFT_TEXT[kind])
        self._hit_done(session)
        conversation = session.conversation
        if conversation is not None and conversation.is_task:
            conversation.partner_left.set()
            for other in conversation.everyone:
                other.wake()
        session.wake()
        if kind == "disconnect":  # last: its calls to the marketplace must not hold up the partners
            self._enforce_disconnect_cap(session.worker_id)

    # Background work -------------------------------------------------------------------

    def _monitor(self) -> None:
        """Turn silence into disconnects, and send a heartbeat to each page that has heard
        nothing from us for a beat, so pages know we are here. Beats go out per page, not
        to every page at once: a thousand sends in one burst stall every other frame."""
        while not self._stop.wait(0.25):
            now = time.monotonic()
            for session in list(self.sessions.values()):
                if session.state not in LIVE or session.left:
                    continue
                self._release_if_waited_too_long(session, now)
                if now - session.last_seen > self.options.disconnect_timeout:
                    self.worker_left(session, "disconnect")
                elif now - session.last_sent >= self.options.beat_seconds:
                    session.send({"type": "heartbeat"})

    def _watch_control(self) -> None:
        """Stop the run, as Ctrl-C does, once the store says someone asked (the dashboard, from
        any process or machine), or once a test run has been idle past `test_idle_minutes`."""
        while not self._stop.wait(CONTROL_POLL_SECONDS):
            try:
                cause = self.handler.stop_requested(self.run_id)
                if cause is None and self._idle_too_long():
                    self.handler.request_run_stop(self.run_id, StopCause.IDLE)
                    cause = StopCause.IDLE
            except Exception:  # a store that cannot answer now: look again at the next poll
                log.exception("could not look for a stop request of run %s", self.run_id)
                continue
            if cause is not None:
                log.warning("run %s: stopping, as asked through the store (%s)", self.run_id, cause)
                self.stopped_by = StopCause(cause)
                self.shutdown()
                return

    def _idle_too_long(self) -> bool:
        minutes = self.options.test_idle_minutes
        if not (self.options.is_test and minutes > 0):
            return False
        return time.time() - self.handler.run_last_activity(self.run_id) >= minutes * 60

    def _watch_departures(self) -> None:
        """Workers who return the task or run out of time on the marketplace's own pages
        leave the run as if they had left from ours: recorded, and their partners' worlds end."""
        assert self.provider.departures_poll_seconds is not None
        while not self._stop.wait(self.provider.departures_poll_seconds):
            try:
                departed = self.provider.departures()
            except Refused as exc:
                log.warning("could not ask the marketplace who left: %s", exc)
                continue
            for assignment_id, kind in departed.items():
                session = self.sessions.get(assignment_id)
                if session is not None:
                    self.worker_left(session, kind)

    @property
    def _sweeps_approvals(self) -> bool:
        """--auto-approve-delay with a provider that does not approve by itself: we do."""
        return self.options.auto_approve_delay is not None and not self.provider.approves_by_itself

    def _auto_approve(self) -> None:
        while not self._stop.wait(auto_approve.SWEEP_SECONDS):
            self._approve_due()

    def _approve_due(self) -> None:
        try:
            auto_approve.approve_due(self.review, self.run_id)
        except DatastoreError as exc:
            log.warning("auto-approval failed this time: %s", exc)

    def progress(self) -> dict[str, int]:
        with self._lock:
            live = [s for s in self.sessions.values() if not s.left]
            return {
                "target": self.options.num_conversations,
                "started": self._started,
                "completed": self._completed_ok,
                "onboarding": sum(s.state == "onboarding" for s in live),
                "waiting": sum(s.state == "waiting" for s in live),
                "in_task": sum(s.state == "in_task" for s in live),
            }

    def _opt(self, conversation_id: str) -> dict[str, Any]:
        """What a world is made with: never the store, only the task context."""
        return {**self.task.option_values, **self.run_data, "task_dir": str(self.task.path), "run_id": self.run_id,
                "conversation_id": conversation_id, "context": self._task_context(),
                "is_sandbox": self.provider.is_sandbox, "provider": self.provider.name,
                "task_config": self.task.config}

    def _task_context(self) -> TaskContext:
        if self.context is None:
            raise Refused("this run has not started")
        return self.context

    @staticmethod
    def _work_ended(session: WorkerSession) -> None:
        """Carry out the verdicts and bonuses a world asked for while the worker worked."""
        if session.agent.context is not None:
            session.agent.context.work_ended()

    def _task_work_ended(self, session: WorkerSession) -> None:
        """The worker's task ended. Where pressing done is the submission, their work is
        finished now; on a marketplace whose page they submit on, the marketplace accepts a
        verdict or a bonus only once they have, so those wait (with the world's review_work
        calls) for the run's end, where the provider's cleanup records the submissions."""
        if self.provider.submits_on_done():
            self._work_ended(session)
            return
        with self._lock:
            if self._awaiting_submission is not None:
                self._awaiting_submission.append(session)
                return
        self._review_submitted(session)  # the run has ended already (a world stopped late)

    def _review_submitted_work(self) -> None:
        """At the end of a run on a marketplace, once the provider's cleanup has recorded the
        submissions: deal with the work whose verdicts and bonuses waited for them."""
        with self._lock:
            sessions, self._awaiting_submission = self._awaiting_submission or [], None
        for session in sessions:
            self._review_submitted(session)

    def _review_submitted(self, session: WorkerSession) -> None:
        """Carry out what the world asked for work the marketplace has as submitted (already
        reviewed there, too: a bonus may still be paid, and a second verdict is refused and
        logged); drop it, with a warning, for work never submitted, which it would refuse."""
        context = session.agent.context
        if context is None:
            return
        assignment = self.handler.get_assignment_data(session.assignment_id)
        if assignment is not None and assignment["status"] in HANDED_IN:
            context.work_ended()
        else:
            context.discard_held("the worker did not submit it on the marketplace")

    def _launch_more(self, count: int, why: str) -> None:
        """Ask the provider for `count` more HITs; one it refuses (over the budget, the
        marketplace said no) is logged: the run goes on with what it has."""
        try:
            self.provider.launch(count)
        except Refused as exc:
            log.warning("no HIT could be launched %s: %s", why, exc)

    def _hit_done(self, session: WorkerSession) -> None:
        """Tell the provider the worker is done with their HIT (it may open room for another),
        unless the run is ending: it lets nobody new in, so it needs no room."""
        if self._closing.is_set():
            return
        try:
            self.provider.assignment_ended(session.hit_id, session.assignment_id)
        except Refused as exc:
            log.warning("the provider could not act on the end of HIT %s: %s", session.hit_id, exc)

    def _add_working_time(self, session: WorkerSession) -> None:
        """Count the worker's time today; one who reaches `--max-time` is granted
        `--max-time-qual` (through the review service, once), which the marketplace's HITs
        of the run require them not to hold."""
        total = self.handler.add_working_time(session.worker_id, time.time() - session.accepted_at)
        options = self.options
        if options.max_time and options.max_time_qual and total >= options.max_time:
            try:
                self.review.grant_qualification(session.worker_id, options.max_time_qual, 1, run_id=self.run_id,
                                                actor="runner", reason="reached today's time limit (--max-time)")
            except ReviewRefused as exc:
                log.warning("could not grant %s to %s: %s", options.max_time_qual, session.worker_id, exc)

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    @staticmethod
    def _write(writer: Any, *args: Any, **kwargs: Any) -> None:
        """A status write from the runner's own bookkeeping: a transition that lost a race
        (the worker left as the world ended) is logged, never fatal to the run."""
        try:
            writer(*args, **kwargs)
        except IllegalTransition as exc:
            log.info("skipped: %s", exc)
