"""`python -m runner run TASK -nc N ...`: run a task until it has its conversations.

With the local provider it prints one link per HIT; open them in browser tabs to work.
On a terminal a progress line updates in place; otherwise progress is logged as lines.
"""
from __future__ import annotations

import argparse
import gc
import logging
import math
import signal
import sys
import time
from collections.abc import Sequence
from typing import NoReturn

from crowd import registry
from crowd.base import CommandHandler, Launch, Refused
from crowd.options import (
    DEFAULT_DISCONNECT_CAP,
    DEFAULT_MAX_WAIT,
    DEFAULT_PRESENCE_SECONDS,
    DEFAULT_STUCK_SECONDS,
    FAIR_HOURLY_CENTS,
    RunOptions,
    add_marketplace_arguments,
)
from crowd.orphans import end_orphaned_runs
from crowd.review import ReviewRefused, ReviewService
from crowd.run_control import RunControlRefused, stop_run
from datastore import DatastoreError, InvalidValue, MTurkDataHandler
from datastore.money import to_cents, to_dollars
from datastore.records import Record
from datastore.states import ReviewAction, ReviewOutcome
from runner.budget import BUDGET_KEYS, DEFAULT_BUDGET, budget_problem
from runner.http_server import ServerLimits
from runner.manager import TaskManager
from runner.server import RunnerServer, create_runner_app
from runner.task_options import add_task_arguments, options_problem, values_from
from runner.tasks import Task, TaskError, available_tasks, load_task
from runner.usage import UsageError

PROG = "python -m runner"
MAX_PORT = 65535


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser(task: Task | None = None) -> tuple[argparse.ArgumentParser, dict[str, CommandHandler]]:
    """The parser, and the handlers of the commands the providers add; with `task`, `run`
    also takes that task's own flags."""
    parser = _Parser(prog=PROG, description="Run Parley tasks.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("tasks", help="list the tasks in tasks/")
    run = commands.add_parser("run", help="run a task", description="Run a task until it has its conversations.")
    run.add_argument("task", help="a folder under tasks/, or a path to a task folder")
    run.add_argument("-nc", "--num-conversations", type=int,
                     help="conversations to collect (default 1; for a form task, enough assignments to "
                          "answer every item annotations_per_item times)")
    run.add_argument("-r", "--reward", default="0", help="reward per assignment, in dollars")
    run.add_argument("--provider", choices=registry.names(), default=registry.DEFAULT)
    run.add_argument("--host", default="127.0.0.1", help="address the chat server listens on")
    run.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    run.add_argument("--db", metavar="URL", help="store URL (default PARLEY_DATABASE_URL or ./data/parley.db)")
    run.add_argument("--unique", action="store_true", help="one assignment per worker")
    run.add_argument("--unique-qual-name", metavar="NAME", help="one assignment per worker across tasks using NAME")
    run.add_argument("--allowed-conversations", type=int, default=0, metavar="N",
                     help="conversations a worker may have open at once (0: unlimited)")
    run.add_argument("--count-complete", action="store_true",
                     help="count only conversations nobody left toward the target")
    run.add_argument("--max-connections", type=int, default=30, metavar="N",
                     help="workers live at once (default 30; 0: unlimited)")
    run.add_argument("--max-time", type=int, default=0, metavar="SECONDS",
                     help="seconds a worker may work on this task per day (0: unlimited)")
    run.add_argument("--max-time-qual", metavar="NAME", help="qualification granted to a worker who reaches --max-time")
    run.add_argument("--block-qualification", metavar="NAME", help="soft-block qualification (onboarding failures)")
    run.add_argument("--disconnect-qualification", metavar="NAME", help="soft-block qualification for disconnects")
    run.add_argument("--hard-block", action="store_true", help="hard-block workers who hit the disconnect cap")
    run.add_argument("--disconnect-cap", type=int, metavar="N",
                     help="disconnects (in any run of the store) after which --disconnect-qualification "
                          f"and --hard-block act (default {DEFAULT_DISCONNECT_CAP}; 0: never)")
    run.add_argument("--auto-approve-delay", type=int, metavar="SECONDS", help="auto-approve after this long")
    run.add_argument("--disconnect-timeout", type=float, default=30.0, metavar="SECONDS",
                     help="silence before a worker counts as disconnected (default 30)")
    run.add_argument("--max-wait", type=float, default=DEFAULT_MAX_WAIT, metavar="SECONDS",
                     help="seconds a worker waits for a partner before the run releases them, paid "
                          f"(default {DEFAULT_MAX_WAIT:g}; 0: wait forever)")
    run.add_argument("--waiting-bonus", metavar="DOLLARS",
                     help="bonus paid to a released worker once they submit (default: the wait at "
                          f"${FAIR_HOURLY_CENTS / 100:.2f}/hour, rounded up to the cent; 0: none)")
    run.add_argument("--presence-seconds", type=float, default=DEFAULT_PRESENCE_SECONDS, metavar="SECONDS",
                     help="how often the workers' presence is written for the live monitor "
                          f"(default {DEFAULT_PRESENCE_SECONDS:g})")
    run.add_argument("--stuck-seconds", type=float, default=DEFAULT_STUCK_SECONDS, metavar="SECONDS",
                     help="seconds on their turn without a message before the monitor shows a worker "
                          f"as stuck (default {DEFAULT_STUCK_SECONDS:g})")
    add_budget_arguments(run)
    run.add_argument("--text-detector", metavar="MODULE:FUNCTION",
                     help="score each worker message with this function of its text (0: written by a "
                          "person, 1: not), imported from the task folder or the Python path; "
                          "overrides the task's text_detector")
    run.add_argument("--header-timeout", type=float, default=ServerLimits.header_timeout, metavar="SECONDS",
                     help="seconds a connection has to send its request headers "
                          f"(default {ServerLimits.header_timeout:g})")
    run.add_argument("--max-http-connections", type=int, default=ServerLimits.max_connections, metavar="N",
                     help="connections the chat server serves at once, chat sockets included "
                          f"(default {ServerLimits.max_connections})")
    if task is not None:
        add_task_arguments(run, task.name, task.options)
    provider_commands: dict[str, CommandHandler] = {}
    if any(entry.marketplace_flags for entry in registry.entries()):
        add_marketplace_arguments(run)
    for entry in registry.entries():
        if entry.add_run_arguments is not None:
            entry.add_run_arguments(run)
        if entry.add_commands is not None:
            provider_commands.update(entry.add_commands(commands))
    bonus = commands.add_parser("bonus", help="pay a bonus for an assignment, or compensate a worker (once)")
    whom = bonus.add_mutually_exclusive_group(required=True)
    whom.add_argument("--assignment", help="the assignment the bonus is for")
    whom.add_argument("--worker", help="a worker no assignment in the store is for (a compensation)")
    bonus.add_argument("--amount", required=True, metavar="DOLLARS")
    bonus.add_argument("--reason", required=True)
    bonus.add_argument("--provider", choices=registry.names(),
                       help="with --worker: the marketplace to pay on (default: the one of the worker's "
                            "latest run in the store)")
    bonus.add_argument("--live", action="store_true", help="with --worker: the live marketplace (default: sandbox)")
    bonus.add_argument("--token", help="with --worker: this request's idempotency token (default: one derived "
                                       "from the worker, amount and reason)")
    bonus.add_argument("--db", metavar="URL")
    notify = commands.add_parser("notify", help="send a message to workers (once per run and message)")
    notify.add_argument("--worker", action="append", required=True, dest="workers", metavar="W",
                        help="a worker to message (repeat for more)")
    notify.add_argument("--subject", required=True)
    notify.add_argument("--message", required=True)
    notify.add_argument("--run", metavar="RUN_ID", help="the run the message is about: sent on its marketplace "
                                                         "(default: the marketplace of each worker's latest run)")
    notify.add_argument("--provider", choices=registry.names(), help="without --run: the marketplace to send on")
    notify.add_argument("--live", action="store_true", help="with --provider: the live marketplace (default: sandbox)")
    notify.add_argument("--db", metavar="URL")
    stop = commands.add_parser("stop", help="stop a run served by a runner anywhere (as the dashboard's Stop does)")
    stop.add_argument("run_id", metavar="RUN_ID")
    stop.add_argument("--db", metavar="URL")
    return parser, provider_commands


BUDGET_HELP = {
    "messages_per_second": "messages a worker may send per second, sustained",
    "message_burst": "messages a worker may send at once",
    "messages_per_assignment": "messages a worker may send in one assignment",
    "bytes_per_assignment": "bytes of messages a worker may send in one assignment",
}


def add_budget_arguments(run: argparse.ArgumentParser) -> None:
    """The live channel's budget per worker; each flag wins over the task config's key."""
    defaults = DEFAULT_BUDGET.as_config()
    for key in BUDGET_KEYS:
        default = defaults[key]
        shown = f"{default:g}" if isinstance(default, float) else f"{default:,}"
        run.add_argument(f"--{key.replace('_', '-')}", type=type(default), metavar="N",
                         help=f"{BUDGET_HELP[key]} (default: the task config's {key}, else {shown})")


def server_limits_from(args: argparse.Namespace) -> ServerLimits:
    if not 0 <= args.port <= MAX_PORT:
        raise UsageError(f"--port must be a port number from 0 (any free one) to {MAX_PORT}")
    if not 0 < args.header_timeout < math.inf:
        raise UsageError("--header-timeout must be a number of seconds more than 0")
    if args.max_http_connections < 1:
        raise UsageError("--max-http-connections must be 1 or more")
    return ServerLimits(header_timeout=args.header_timeout, max_connections=args.max_http_connections)


def options_from(args: argparse.Namespace, task: Task | None = None) -> RunOptions:
    """The run's options from its flags; -nc left out is `task`'s default (1 without a task)."""
    num_conversations = args.num_conversations
    if num_conversations is None:
        num_conversations = task.default_conversations() if task is not None else 1
    if num_conversations < 1:
        raise UsageError("--num-conversations must be 1 or more: the conversations this run collects")
    for name in ("allowed_conversations", "max_connections", "max_time"):
        if getattr(args, name) < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be 0 or more")
    if args.auto_approve_delay is not None and args.auto_approve_delay < 0:
        raise UsageError("--auto-approve-delay must be 0 or more seconds")
    if not 0 < args.disconnect_timeout < math.inf:
        raise UsageError("--disconnect-timeout must be more than 0 seconds")
    for flag in ("presence_seconds", "stuck_seconds"):
        if not 0 < getattr(args, flag) < math.inf:
            raise UsageError(f"--{flag.replace('_', '-')} must be a number of seconds more than 0")
    if not 0 <= args.max_wait < math.inf:
        raise UsageError("--max-wait must be a number of seconds, 0 (wait forever) or more")
    if args.waiting_bonus is not None:
        try:
            to_cents(args.waiting_bonus)
        except DatastoreError as exc:
            raise UsageError(f"--waiting-bonus: {exc}") from None
    budget = {key: getattr(args, key) for key in BUDGET_KEYS}
    for key, value in budget.items():
        if value is not None and (problem := budget_problem(key, value)):
            raise UsageError(f"--{key.replace('_', '-')} {problem}")
    try:
        to_cents(args.reward)
    except InvalidValue as exc:
        raise UsageError(f"--reward: {exc}") from None
    disconnect_cap = disconnect_cap_from(args)
    return RunOptions(
        num_conversations=num_conversations, reward=args.reward,
        count_complete=args.count_complete, max_connections=args.max_connections,
        allowed_conversations=args.allowed_conversations, unique=args.unique,
        unique_qual_name=args.unique_qual_name, max_time=args.max_time,
        max_time_qual=args.max_time_qual, block_qualification=args.block_qualification,
        disconnect_qualification=args.disconnect_qualification, hard_block=args.hard_block,
        disconnect_cap=disconnect_cap,
        auto_approve_delay=args.auto_approve_delay, disconnect_timeout=args.disconnect_timeout,
        max_wait=args.max_wait, waiting_bonus=args.waiting_bonus, presence_seconds=args.presence_seconds,
        stuck_seconds=args.stuck_seconds, text_detector=args.text_detector, **budget,
    )


def disconnect_cap_from(args: argparse.Namespace) -> int:
    """The cap, refusing one that could do nothing and consequences that could never happen."""
    cap = args.disconnect_cap
    consequences = bool(args.disconnect_qualification or args.hard_block)
    if cap is not None and cap < 0:
        raise UsageError("--disconnect-cap must be 0 or more")
    if cap is not None and cap > 0 and not consequences:
        raise UsageError("--disconnect-cap needs --disconnect-qualification NAME or --hard-block: "
                         "what happens to a worker who reaches it")
    if cap == 0 and consequences:
        raise UsageError("--disconnect-qualification and --hard-block act at the disconnect cap, "
                         "which --disconnect-cap 0 turns off")
    return DEFAULT_DISCONNECT_CAP if cap is None else cap


def main(argv: Sequence[str] | None = None) -> int:
    try:
        task = task_of_run(argv)
        parser, provider_commands = build_parser(task)
        args = parser.parse_args(argv)
        if args.command == "tasks":
            print("\n".join(available_tasks()))
            return 0
        if args.command in provider_commands:
            return provider_commands[args.command](args)
        if args.command == "bonus":
            return bonus_command(args)
        if args.command == "notify":
            return notify_command(args)
        if args.command == "stop":
            return stop_command(args)
        return run(args, task or load_task(args.task))
    except (UsageError, TaskError, DatastoreError, Refused) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


def task_of_run(argv: Sequence[str] | None) -> Task | None:
    """The task of `run TASK ...` (its flags then parse with the runner's own and show in
    --help), or None for other commands and when the task is not the word after `run`."""
    words = list(sys.argv[1:] if argv is None else argv)
    if len(words) < 2 or words[0] != "run" or words[1].startswith("-"):
        return None
    return load_task(words[1])


def run(args: argparse.Namespace, task: Task) -> int:
    limits = server_limits_from(args)
    options = options_from(args, task)
    task.option_values = values_from(args, task.options)
    if problem := options_problem(task.config.get("check_options"), task.option_values):
        raise UsageError(problem)
    handler = MTurkDataHandler(db_url=args.db)
    for ended in end_orphaned_runs(handler, noticed_by="runner"):
        print(ended, flush=True)
    provider = registry.provider_for_launch(args.provider, Launch(args, task, options, handler))
    manager = TaskManager(task, handler, provider, options)
    manager.announce = announce
    app = create_runner_app(manager)
    try:
        server = RunnerServer(app, args.host, args.port, limits)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    manager.base_url = args.public_url or server.url
    server.start()
    try:
        run_id = manager.start()
    except Refused:
        server.stop()  # the launch was refused: the run was removed (or ended) by start()
        raise
    # Everything alive now (modules, the app, the task) lives as long as the process: keep
    # it out of the collector's full passes, which otherwise pause every thread for 65-120 ms
    # at a thousand workers (bench/load.py) instead of 15-55 ms.
    gc.freeze()
    print(f"Run {run_id}: {task.name}, {options.num_conversations} conversation(s), "
          f"provider {provider.name}. Chat server at {server.url}", flush=True)
    for line in provider.launch_summary():
        print(f"  {line}", flush=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    report = ProgressReport(manager)
    while not manager.wait(1.0):
        report.show()
        if stopping:
            print("\nStopping: telling live workers and expiring the run's HITs…", flush=True)
            manager.shutdown()
    report.show(final=True)
    server.stop()
    if manager.stopped_by is not None:
        print(f"Run {run_id} was stopped through the store ({manager.stopped_by}) before it had all its "
              "conversations.", file=sys.stderr)
        return 1
    if stopping:
        print(f"Run {run_id} stopped before it had all its conversations.", file=sys.stderr)
        return 1
    return 0


def announce(line: str) -> None:
    """A line for the person running the run (where a local human is wanted): on a line of
    its own, below the progress line a terminal shows."""
    print(("\n" if sys.stdout.isatty() else "") + line, flush=True)


class ProgressReport:
    """A line that updates in place on a terminal, or a log line when something changed."""

    def __init__(self, manager: TaskManager) -> None:
        self.manager = manager
        self.started = time.monotonic()
        self.tty = sys.stdout.isatty()
        self.last = ""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    def show(self, final: bool = False) -> None:
        p = self.manager.progress()
        elapsed = int(time.monotonic() - self.started)
        line = (f"conversations {p['completed']}/{p['target']} done ({p['started']} started) · "
                f"onboarding {p['onboarding']} · waiting {p['waiting']} · in task {p['in_task']}")
        clock = f" · {elapsed // 3600:02d}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}"
        if self.tty:
            print(f"\r{line}{clock}\033[K", end="\n" if final else "", flush=True)
        elif line != self.last or final:
            logging.getLogger("parley.runner").info(line)
        self.last = line


def bonus_command(args: argparse.Namespace) -> int:
    handler = MTurkDataHandler(db_url=args.db)
    review = ReviewService(handler, lambda run: registry.provider_for_run(handler, run))
    if args.assignment is not None:
        for flag in ("provider", "token"):
            if getattr(args, flag) is not None:
                raise UsageError(f"--{flag} goes with --worker only: an assignment's bonus is paid by its run's "
                                 "provider under a token derived from the request")
        if args.live:
            raise UsageError("--live goes with --worker only: an assignment's bonus is paid where its run was")
    try:
        if args.assignment is not None:
            result = review.bonus(args.assignment, args.amount, actor="cli", reason=args.reason)
        else:
            provider = args.provider or str(_latest_run(handler, args.worker)["provider"])
            if args.live and not registry.entry(provider).has_sandbox:
                raise UsageError(f"--live: {registry.entry(provider).label} has no sandbox, so no live marketplace")
            result = review.compensate(args.worker, args.amount, provider_name=provider, is_sandbox=not args.live,
                                       actor="cli", reason=args.reason, token=args.token)
    except ReviewRefused as exc:
        raise UsageError(str(exc)) from None
    row = result.action
    if row["action"] == ReviewAction.COMPENSATE and row["outcome"] == ReviewOutcome.UNKNOWN:
        print(f"The marketplace did not answer this compensation (review action {row['id']}: {row['error']}), "
              "so it may or may not be paid, and Parley will not send it again. Look at the worker's bonus "
              "payments on the marketplace; to pay them after all, run the command with a new --token.",
              file=sys.stderr)
        return 1
    if result.repeated:
        print(f"This bonus was already {row['outcome']} (review action {row['id']}); nothing was paid now.")
    elif result.succeeded:
        print(f"Paid ${to_dollars(row['amount_cents'])} to {row['worker_id']}"
              f"{f' for {args.assignment}' if args.assignment else ''}.")
    elif result.outcome == ReviewOutcome.UNKNOWN:
        print(f"The marketplace did not answer ({row['error']}); the bonus may or may not be paid. Run the "
              "same command again later: Parley asks the marketplace before paying anything.", file=sys.stderr)
        return 1
    else:
        print(f"The bonus failed: {row['error']}", file=sys.stderr)
        return 1
    return 0


def stop_command(args: argparse.Namespace) -> int:
    """Ask the run's runner, through the store, to stop it; end it here if no runner serves it."""
    handler = MTurkDataHandler(db_url=args.db)
    run = handler.get_run_data(args.run_id)
    if run is None:
        raise UsageError(f"there is no run {args.run_id!r}")
    try:
        print(stop_run(handler, run).message)
    except RunControlRefused as exc:
        raise UsageError(str(exc)) from None
    return 0


def _latest_run(handler: MTurkDataHandler, worker_id: str) -> Record:
    """The worker's latest run in the store, for a compensation or message that names none."""
    assignments = handler.get_all_assignments_for_worker(worker_id)
    run = handler.get_run_data(assignments[-1]["run_id"]) if assignments else None
    if run is None:
        raise UsageError(f"worker {worker_id} has no run in this store; name the marketplace with "
                         f"--provider ({', '.join(registry.names())})")
    return run


def notify_command(args: argparse.Namespace) -> int:
    handler = MTurkDataHandler(db_url=args.db)
    review = ReviewService(handler, lambda run: registry.provider_for_run(handler, run))
    if args.run is not None and (args.provider is not None or args.live):
        raise UsageError("--provider and --live go without --run: a run's messages go on its own marketplace")
    if args.live and args.provider is None:
        raise UsageError("--live goes with --provider: without it, each message goes where the worker's run was")
    if args.live and not registry.entry(args.provider).has_sandbox:
        raise UsageError(f"--live: {registry.entry(args.provider).label} has no sandbox, so no live marketplace")
    try:
        if args.run is not None or args.provider is not None:
            results = review.notify(args.workers, args.subject, args.message, actor="cli", run_id=args.run,
                                    provider_name=args.provider, is_sandbox=not args.live)
        else:  # each worker's message is about their latest run, on its marketplace
            results = [result for worker in dict.fromkeys(args.workers) for result in review.notify(
                [worker], args.subject, args.message, actor="cli", run_id=str(_latest_run(handler, worker)["run_id"]))]
    except ReviewRefused as exc:
        raise UsageError(str(exc)) from None
    for result in results:
        row = result.action
        if result.repeated:
            print(f"{row['worker_id']}: this message was already {row['outcome']} (review action {row['id']}); "
                  "not sent again.")
        elif result.succeeded:
            print(f"{row['worker_id']}: sent.")
        else:
            print(f"{row['worker_id']}: not sent ({row['outcome']}): {row['error']}", file=sys.stderr)
    return 0 if all(r.succeeded for r in results) else 1
