"""ParlAI-MTurk's `MTurkManager`, on Parley's own runner: `setup_server()` opens the store,
the provider (`--provider`, local by default) and the chat server; `start_task()` starts a
TaskManager run of an in-memory task whose worlds call the run.py's functions
(parlai_compat/mturk/core/task_worlds.py) and waits for its conversations. Every money,
verdict, block and qualification call goes through the review service (crowd/review.py):
audited, idempotent and race-safe, as a reviewer's on the dashboard.

What Parley cannot do for a ParlAI task (a React `custom.jsx` frontend, flags that do not
go together) ends the run.py with one sentence on stderr and exit status 2."""
from __future__ import annotations

import argparse
import logging
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, NoReturn

from crowd import registry
from crowd.base import Launch, Refused
from crowd.review import ReviewRefused, ReviewResult, ReviewService, rejection_request
from datastore import DatastoreError, MTurkDataHandler
from parlai_compat.mturk.core.agents import BLOCK_QUALIFICATION, MTurkAgent
from parlai_compat.mturk.core.task_worlds import set_onboarding, worlds_for
from runner.agents import Agent
from runner.cli import build_parser, options_from
from runner.live import HumanAgent, WorkerSession
from runner.manager import TaskManager
from runner.server import RunnerServer, create_runner_app
from runner.tasks import DEFAULT_CONFIG, Task, TaskError
from runner.usage import UsageError

log = logging.getLogger("parley.parlai_compat")

ACTOR = "run.py"
"""Who the audit log says asked for what the manager's methods do."""
REACT_FRONTEND = Path("frontend") / "components" / "custom.jsx"
SUPPORTED_FRONTEND_VERSION = 1
"""ParlAI's task_config['frontend_version']: 1 is its standard chat frontend, which Parley's
chat page stands for; 0, its legacy HTML templates, Parley does not have."""
FLAGS = {  # Parley's run option ← ParlAI's opt key
    "num_conversations": "num_conversations", "unique": "unique_worker", "unique_qual_name": "unique_qual_name",
    "allowed_conversations": "allowed_conversations", "count_complete": "count_complete",
    "max_connections": "max_connections", "max_time": "max_time", "max_time_qual": "max_time_qual",
    "disconnect_qualification": "disconnect_qualification", "hard_block": "hard_block",
    "block_qualification": "block_qualification", "auto_approve_delay": "auto_approve_delay",
    "provider": "provider", "db": "db", "public_url": "public_url", "budget": "budget",
}


class NotSupported(SystemExit):
    """Something of a ParlAI task Parley cannot run; `sentence` says what (and what to do)."""

    def __init__(self, sentence: str) -> None:
        super().__init__(2)
        self.sentence = sentence

    def __str__(self) -> str:
        return self.sentence


def refuse(sentence: str) -> NoReturn:
    """End the run.py with `sentence` on stderr and exit status 2, not a traceback."""
    print(f"parley: error: {sentence}", file=sys.stderr, flush=True)
    raise NotSupported(sentence)


EligibilityFunction = Callable[..., Any] | dict[str, Any]
READY_SECONDS = 30.0
"""How long ready_to_accept_workers() waits for the chat server by default."""
READY_PATH = "/task/ready-check"
"""What ready_to_accept_workers() asks for: any answer (this one is a 404 page) will do."""


def server_answers(url: str, timeout: float) -> bool:
    """True once an HTTP GET of `url` gets any answer, tried until `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            with urllib.request.urlopen(url, timeout=left):
                return True
        except urllib.error.HTTPError:
            return True  # an error page is an answer
        except (OSError, ValueError):
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    return False


class MTurkManager:
    serving: ClassVar[MTurkManager | None] = None
    """The manager whose server is up: what ParlAI's module-level mturk_utils calls act
    through (their signatures name no manager)."""

    def __init__(self, opt: dict[str, Any], mturk_agent_ids: list[str], use_db: bool = True) -> None:
        """Parley always keeps everything in its store: `use_db=False` is refused with a
        sentence. The task folder is `opt['task_dir']`, else the folder of the file making the
        manager (the task's run.py)."""
        if not use_db:
            refuse("use_db=False asks for a run whose data is not stored, which Parley does not do: "
                   "every message and answer goes into its store. Pass use_db=True or leave it out.")
        self.opt = opt
        self.mturk_agent_ids = list(mturk_agent_ids)
        caller = Path(sys._getframe(1).f_code.co_filename).resolve().parent
        self.task_dir = Path(opt.get("task_dir") or caller)
        self.onboard_function: Callable[[MTurkAgent], Any] | None = None
        self.task_function: Callable[[MTurkManager, dict[str, Any], list[MTurkAgent]], Any] | None = None
        self.eligibility_function: EligibilityFunction | None = None
        self.assign_role_function: Callable[[list[MTurkAgent]], Any] | None = None
        self.worlds: ModuleType | None = None
        """The in-memory task's worlds module (setup_server makes it)."""
        self.task_manager: TaskManager | None = None
        self.server: RunnerServer | None = None
        self._agents: dict[str, MTurkAgent] = {}
        self.qualification_names: dict[str, str] = {}
        """A qualification's id on the run's marketplace → its name (find_or_create_qualification)."""

    # Setting up ---------------------------------------------------------------------------

    def setup_server(self, task_directory_path: str | None = None) -> None:
        """Open the store, the provider and the chat server (on a free local port)."""
        if task_directory_path is not None:
            self.task_dir = Path(task_directory_path)
        if (self.task_dir / REACT_FRONTEND).is_file():
            refuse(f"{self.task_dir / REACT_FRONTEND} is a React component, which Parley cannot build: "
                   "its chat page is plain JavaScript. Rewrite it as frontend/custom.js, which overrides "
                   "named components of the page (tasks/README.md, 'Custom frontends').")
        version = self.opt.get("frontend_version", SUPPORTED_FRONTEND_VERSION)
        if version != SUPPORTED_FRONTEND_VERSION:
            refuse(f"task_config['frontend_version'] = {version!r} asks for ParlAI's legacy HTML frontend, "
                   f"which Parley does not have: its chat page stands for ParlAI's version "
                   f"{SUPPORTED_FRONTEND_VERSION} frontend. Set frontend_version to "
                   f"{SUPPORTED_FRONTEND_VERSION} (or leave it out) and put page changes in frontend/custom.js.")
        name = self.opt.get("task") or self.task_dir.name
        self.worlds = worlds_for(self, name)
        task = Task(name, self.task_dir, self._config(), self.worlds, self._custom_js())
        args = self._run_args(task)
        try:
            options = options_from(args, task)
            handler = MTurkDataHandler(db_url=args.db)
            provider = registry.provider_for_launch(args.provider, Launch(args, task, options, handler))
            self.task_manager = TaskManager(task, handler, provider, options)
        except (UsageError, TaskError, DatastoreError, Refused) as exc:
            refuse(str(exc))
        self.task_manager.announce = print
        self.task_manager.choose_group = self._choose_group
        self.server = RunnerServer(create_runner_app(self.task_manager))
        self.task_manager.base_url = args.public_url or self.server.url
        self.server.start()
        MTurkManager.serving = self
        print(f"Chat server for {name} at {self.server.url}", flush=True)

    def _config(self) -> dict[str, Any]:
        """The task config: the keys of ParlAI's task_config Parley shares (hit_title,
        hit_description, hit_keywords, task_description, ...) from opt, and the roles."""
        config = {key: self.opt.get(key, default) for key, default in DEFAULT_CONFIG.items()}
        config["agent_ids"] = self.mturk_agent_ids
        return config

    def _custom_js(self) -> Path | None:
        custom = self.task_dir / "frontend" / "custom.js"
        return custom if custom.is_file() else None

    def _run_args(self, task: Task) -> argparse.Namespace:
        """`python -m runner run`'s flags with their defaults, set from the opt: what Parley's
        own launch checks and the provider reads."""
        parser, _ = build_parser(task)
        args = parser.parse_args(["run", str(self.task_dir)])
        for flag, key in FLAGS.items():
            if key in self.opt:
                setattr(args, flag, self.opt[key])
        if "reward" in self.opt:
            args.reward = str(self.opt["reward"])
        if "is_sandbox" in self.opt:
            args.live = not self.opt["is_sandbox"]
        return args

    def set_onboard_function(self, onboard_function: Callable[[MTurkAgent], Any] | None) -> None:
        """Workers go through `onboard_function(mturk_agent)` first (None: no onboarding)."""
        self.onboard_function = onboard_function
        if self.worlds is None:
            refuse("call mturk_manager.setup_server() before set_onboard_function().")
        set_onboarding(self.worlds, onboard_function is not None)

    def start_new_run(self) -> None:
        """Parley's run starts, and its HITs are made, in start_task: nobody can be paired
        before the task function is known."""
        self._manager()

    def ready_to_accept_workers(self, timeout_seconds: float | None = None) -> None:
        """Wait, up to `timeout_seconds` (default READY_SECONDS), until the chat server
        answers a request; one that does not by then ends the run.py with a sentence."""
        self._manager()
        assert self.server is not None
        url = self.server.url
        limit = READY_SECONDS if timeout_seconds is None else float(timeout_seconds)
        if not server_answers(url + READY_PATH, limit):
            refuse(f"the chat server at {url} did not answer within {limit:g} s, so no worker could "
                   "reach the task; nothing was launched.")

    def create_hits(self, qualifications: list[Any] | None = None) -> str:
        """The HITs are made as the run starts (start_task), each carrying `qualifications`
        (MTurk's QualificationRequirements); answers the chat server's URL. On MTurk they are
        the HITs' own; the runner also turns away a worker who holds a `DoesNotExist`
        qualification made by find_or_create_qualification, which is all a provider with no
        marketplace can check: any other requirement there is refused with a sentence."""
        manager = self._manager()
        if qualifications:
            self._require(manager, qualifications)
        assert self.server is not None
        return self.server.url

    def _require(self, manager: TaskManager, requirements: list[Any]) -> None:
        """Check every requirement before anything changes; then the provider adds those its
        marketplace checks, and the runner turns away holders of the DoesNotExist ones it knows."""
        if manager.run_id:
            refuse("create_hits(qualifications=...) comes before start_task: the run's HITs are made as it starts.")
        for requirement in requirements:
            if not (isinstance(requirement, dict) and isinstance(requirement.get("QualificationTypeId"), str)
                    and isinstance(requirement.get("Comparator"), str)):
                refuse(f"create_hits(qualifications=...) takes MTurk QualificationRequirements, dicts with a "
                       f"'QualificationTypeId' and a 'Comparator', not {requirement!r}.")
        names = {r["QualificationTypeId"]: self.qualification_names.get(r["QualificationTypeId"])
                 for r in requirements if r["Comparator"] == "DoesNotExist"}
        try:
            unchecked = manager.provider.add_hit_requirements(requirements)
        except Refused as exc:
            refuse(str(exc))
        unknown = [r["QualificationTypeId"] for r in unchecked if names.get(r["QualificationTypeId"]) is None]
        if unknown:
            refuse(f"qualification {unknown[0]!r} was not made by mturk_utils.find_or_create_qualification, so "
                   f"Parley cannot tell who holds it (the {manager.provider.name} provider has no marketplace "
                   "to check it): make it with that call and require the id it answers.")
        config = manager.task.config  # a new list: the default one is shared
        config["blocking_qualifications"] = list(dict.fromkeys(
            [*config["blocking_qualifications"], *(name for name in names.values() if name)]))

    def find_or_create_qualification(self, name: str, description: str) -> str:
        """The id of the qualification `name` on the run's marketplace (made there, with
        `description`, and in the store if new), which create_hits' requirements and
        mturk_utils.give_worker_qualification name it by."""
        manager = self._manager()
        try:
            found = manager.provider.qualification_type(name, description)
            manager.handler.ensure_qualification(name, manager.provider.is_sandbox, description=description,
                                                 provider_qual_id=None if found == name else found)
        except (Refused, DatastoreError) as exc:
            refuse(f"the qualification {name!r} could not be found or made: {exc}")
        self.qualification_names[found] = name
        return found

    def qualification_named(self, qualification_id: str) -> str:
        """The name of the qualification find_or_create_qualification answered `qualification_id` for."""
        name = self.qualification_names.get(qualification_id)
        if name is None:
            raise ReviewRefused(f"{qualification_id!r} is not the id of a qualification this run made: "
                                "mturk_utils.find_or_create_qualification answers one")
        return name

    def start_task(self, eligibility_function: EligibilityFunction,
                   assign_role_function: Callable[[list[MTurkAgent]], Any],
                   task_function: Callable[[MTurkManager, dict[str, Any], list[MTurkAgent]], Any]) -> None:
        """Run until the run has its conversations: each group of eligible waiting workers,
        their roles assigned, is handed to `task_function(manager, opt, workers)`."""
        manager = self._manager()
        self.eligibility_function = eligibility_function
        self.assign_role_function = assign_role_function
        self.task_function = task_function
        try:
            run_id = manager.start()
        except Refused as exc:
            refuse(str(exc))
        print(f"Run {run_id}: {manager.task.name}, {manager.options.num_conversations} conversation(s), "
              f"provider {manager.provider.name}.", flush=True)
        for line in manager.provider.launch_summary():
            print(f"  {line}", flush=True)
        while not manager.wait(1.0):
            pass

    def expire_all_unassigned_hits(self) -> None:
        """A run that has not ended (run.py's `finally` after an error) is stopped: its workers
        are told, and the provider expires its HITs as the run ends."""
        if self.task_manager is not None and self.task_manager.run_id and not self.task_manager.finished.is_set():
            self.task_manager.shutdown()

    def shutdown(self) -> None:
        self.expire_all_unassigned_hits()
        if self.server is not None:
            self.server.stop()
            self.server = None
        if MTurkManager.serving is self:
            MTurkManager.serving = None

    # Pairing ------------------------------------------------------------------------------

    def agent_for(self, agent: Agent) -> MTurkAgent:
        """The one MTurkAgent of a worker's assignment (the same in onboarding and task)."""
        assert isinstance(agent, HumanAgent)
        found = self._agents.get(agent.assignment_id)
        if found is None:
            found = self._agents[agent.assignment_id] = MTurkAgent(agent, agent.session.hit_id, self)
        return found

    def _choose_group(self, pool: list[WorkerSession], size: int) -> list[WorkerSession]:
        """The TaskManager's pairing hook: the first `size` eligible waiting workers whose
        roles the assign function gave; fewer (nobody is paired now) otherwise."""
        if self.task_function is None or self.assign_role_function is None:
            return []
        try:
            candidates = self._eligible([self.agent_for(s.agent) for s in pool])
            while True:
                if len(candidates) < size:
                    return []
                eligible = candidates[:size]
                self.assign_role_function(eligible)
                roles = [agent.take_role() for agent in eligible]
                if None not in roles:
                    break
                # Those given no role wait for a later group; the next eligible take their place.
                candidates = [a for a in candidates if a not in eligible or roles[eligible.index(a)] is not None]
        except Exception:
            log.exception("the eligibility or role function failed; nobody was paired now")
            return []
        if sorted(roles, key=str) != sorted(self.mturk_agent_ids):
            log.warning("the role function gave %s, not one each of %s: roles go in arrival order",
                        roles, self.mturk_agent_ids)
            roles = [None] * len(roles)
        for agent, role in zip(eligible, roles):
            agent.human.session.preferred_role = role
        return [agent.human.session for agent in eligible]

    def _eligible(self, workers: list[MTurkAgent]) -> list[MTurkAgent]:
        check = self.eligibility_function
        if check is None:
            return workers
        if isinstance(check, dict):
            if check.get("multiple"):
                return list(check["func"](workers))
            check = check["func"]
        return [worker for worker in workers if check(worker)]

    # Money, verdicts, blocks, qualifications, messages -------------------------------------

    def approve_work(self, assignment_id: str, override_rejection: bool = False) -> ReviewResult:
        """Approve once: asked again, it answers the first approval."""
        if override_rejection:
            return self._review().override_rejection(assignment_id, actor=ACTOR, reason="approved after review")
        return self._review().approve(assignment_id, actor=ACTOR)

    def reject_work(self, assignment_id: str, reason: str) -> ReviewResult:
        manager = self._manager()
        reason, category = rejection_request(manager.provider.name, reason, None)
        return self._review().reject(assignment_id, actor=ACTOR, reason=reason, category=category)

    def pay_bonus(self, worker_id: str, bonus_amount: float | str, assignment_id: str, reason: str,
                  unique_request_token: str | None = None) -> ReviewResult:
        """Pay a bonus for the assignment once (one bonus per assignment, as every bonus in
        Parley). With `unique_request_token`, as on MTurk, the token names the request: the
        same token again answers its payment; another token for an assignment already
        bonused, or the token reused for another bonus, is refused with a sentence. Without
        it, the same amount and reason again answer the first payment."""
        assignment = self._manager().handler.get_assignment_data(assignment_id)
        if assignment is None or assignment["worker_id"] != worker_id:
            raise ReviewRefused(f"assignment {assignment_id!r} is not one of worker {worker_id!r}'s")
        return self._review().bonus(assignment_id, bonus_amount, actor=ACTOR, reason=reason,
                                    token=unique_request_token)

    def block_worker(self, worker_id: str, reason: str) -> ReviewResult:
        """The marketplace's own (hard) block."""
        return self._review().hard_block(worker_id, run_id=self._run_id(), actor=ACTOR, reason=reason)

    def soft_block_worker(self, worker_id: str, qual: str = BLOCK_QUALIFICATION) -> ReviewResult:
        """Keep the worker out with the qualification `opt[qual]` (by default the run's block
        qualification, which its HITs require workers not to hold)."""
        return self._review().soft_block(worker_id, run_id=self._run_id(), actor=ACTOR,
                                         reason="soft-blocked by the task's run.py",
                                         qualification_name=self.qualification_for(qual))

    def un_soft_block_worker(self, worker_id: str, qual: str = BLOCK_QUALIFICATION) -> ReviewResult:
        """Lift the soft block on the qualification `opt[qual]` (by default the run's block
        qualification), as soft_block_worker names it; a hard block stays."""
        return self._review().unblock(worker_id, run_id=self._run_id(), actor=ACTOR,
                                      reason="unblocked by the task's run.py",
                                      qualification_name=self.qualification_for(qual))

    def give_worker_qualification(self, worker_id: str, qual_name: str, qual_value: int | None = None) -> ReviewResult:
        return self._review().grant_qualification(worker_id, qual_name, 1 if qual_value is None else qual_value,
                                                  run_id=self._run_id(), actor=ACTOR,
                                                  reason="granted by the task's run.py")

    def remove_worker_qualification(self, worker_id: str, qual_name: str, reason: str = "") -> ReviewResult:
        return self._review().revoke_qualification(worker_id, qual_name, run_id=self._run_id(), actor=ACTOR,
                                                   reason=reason or "removed by the task's run.py")

    def get_agent_work_status(self, assignment_id: str) -> str | None:
        """The assignment's status in the store (completed, approved, rejected, ...)."""
        assignment = self._manager().handler.get_assignment_data(assignment_id)
        return None if assignment is None else str(assignment["status"])

    def email_worker(self, worker_id: str, subject: str, message_text: str) -> dict[str, str]:
        """Send the worker a message on the marketplace, once per run and message."""
        [result] = self._review().notify([worker_id], subject, message_text, actor=ACTOR, run_id=self._run_id())
        if result.succeeded:
            return {"success": "True"}
        return {"failure": str(result.action["error"] or result.outcome)}

    def qualification_for(self, qual: str) -> str:
        """The qualification a ParlAI call names by opt key (`block_qualification`): the opt's
        value, the run's block qualification by default, or `qual` itself as a name."""
        named = self.opt.get(qual)
        if named:
            return str(named)
        return self._manager().block_qualification if qual == BLOCK_QUALIFICATION else qual

    def _manager(self) -> TaskManager:
        if self.task_manager is None:
            refuse("call mturk_manager.setup_server() first: it opens the store and the chat server.")
        return self.task_manager

    def _review(self) -> ReviewService:
        return self._manager().review

    def _run_id(self) -> str:
        manager = self._manager()
        if not manager.run_id:
            raise ReviewRefused("the run has not started yet (start_task starts it)")
        return manager.run_id
