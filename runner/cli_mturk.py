"""The MTurk side of `python -m runner`: checks and the cost estimate before a launch, the
offer to clean up after runners that died, and the `hits` and `bonus` commands."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from datastore import MTurkDataHandler
from datastore.money import to_cents, to_dollars
from datastore.states import ReviewOutcome
from runner.options import RunOptions
from runner.providers import make_provider, provider_for_run
from runner.providers.mturk import HitSettings, MTurkProvider, estimate_cost_cents, hits_needed
from runner.reconcile import orphaned_runs, reconcile_run
from runner.review import ReviewRefused, ReviewService
from runner.tasks import Task
from runner.usage import UsageError


def add_mturk_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("--public-url", metavar="URL",
                     help="the address workers reach this runner at (MTurk; https for --live)")
    run.add_argument("--budget", metavar="DOLLARS",
                     help="refuse a launch whose rewards and fees would cost more (required with --live)")
    run.add_argument("--expire-orphans", action="store_true",
                     help="expire the HITs of earlier runs whose runner died, without asking")


def add_admin_commands(commands: Any) -> None:
    hits = commands.add_parser("hits", help="list, expire or delete a run's MTurk HITs")
    hits.add_argument("action", choices=("list", "expire", "delete"))
    which = hits.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", metavar="RUN_ID")
    which.add_argument("--all", action="store_true", help="every MTurk run (sandbox, or live with --live)")
    hits.add_argument("--live", action="store_true", help="the live marketplace's runs (default: sandbox)")
    hits.add_argument("--db", metavar="URL")
    bonus = commands.add_parser("bonus", help="pay a bonus for an assignment (once)")
    bonus.add_argument("--assignment", required=True)
    bonus.add_argument("--amount", required=True, metavar="DOLLARS")
    bonus.add_argument("--reason", required=True)
    bonus.add_argument("--db", metavar="URL")


def mturk_provider(args: argparse.Namespace, task: Task, options: RunOptions) -> MTurkProvider:
    """Check the flags, show (and for --live, cap) the cost, then make the provider. Nothing
    is sent to MTurk before the budget check passes."""
    public_url = args.public_url or ""
    if not public_url:
        raise UsageError("--public-url is required with --provider mturk: the address where "
                         "workers' browsers reach this runner")
    if args.live and not public_url.startswith("https://"):
        raise UsageError("--public-url must start with https:// for --live (MTurk shows tasks in an https frame)")
    config = task.config
    settings = HitSettings(
        title=config["hit_title"], description=config["hit_description"], keywords=config["hit_keywords"],
        reward_cents=to_cents(options.reward), public_url=public_url,
        assignment_seconds=int(config["assignment_duration_in_seconds"]),
        lifetime_seconds=int(config["lifetime_in_seconds"]),
        auto_approve_seconds=options.auto_approve_delay if options.auto_approve_delay is not None else 3 * 24 * 3600,
        frame_height=int(config["frame_height"]),
        qualification_requirements=list(config["qualification_requirements"]),
        block_qualification=options.block_qualification or f"parley_{task.name}_block",
        unique_qual_name=options.unique_qual_name, max_open_hits=options.max_connections)
    hits = hits_needed(options.num_conversations, task.humans_per_conversation)
    estimate = estimate_cost_cents(settings, hits)
    print(f"Cost estimate: ${to_dollars(estimate)} for {hits} HIT(s) at ${to_dollars(settings.reward_cents)} "
          f"plus MTurk's 20% fee, before bonuses ({'LIVE' if args.live else 'sandbox'}).", flush=True)
    if args.live:
        if args.budget is None:
            raise UsageError("--budget is required with --live: the most this run may cost, in dollars")
        if estimate > to_cents(args.budget):
            raise UsageError(f"the estimate ${to_dollars(estimate)} is over the budget ${args.budget}; "
                             "nothing was launched")
    provider = make_provider("mturk", is_sandbox=not args.live, settings=settings)
    assert isinstance(provider, MTurkProvider)
    balance = provider.balance_cents()
    if balance < estimate:
        raise UsageError(f"your MTurk balance ${to_dollars(balance)} is less than the estimate "
                         f"${to_dollars(estimate)}; nothing was launched")
    return provider


def offer_orphan_cleanup(handler: MTurkDataHandler, provider: MTurkProvider, *, assume_yes: bool) -> None:
    """Earlier runs whose runner died still have HITs up: offer to expire them and bring
    their submitted work into the store."""
    orphans = orphaned_runs(handler, provider=provider.name, is_sandbox=provider.is_sandbox)
    if not orphans:
        return
    names = ", ".join(r["run_id"] for r in orphans)
    if not assume_yes:
        if not sys.stdin.isatty():
            print(f"Runs whose runner died still hold HITs: {names}. Run again with --expire-orphans "
                  "(or `python -m runner hits expire --run RUN_ID`) to clean them up.", flush=True)
            return
        answer = input(f"Runs whose runner died still hold HITs: {names}. Expire them now? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            return
    for run in orphans:
        provider.bind(handler, run["run_id"], "")
        done = reconcile_run(handler, provider, run["run_id"])
        handler.log_end_run(run["run_id"], "stopped")
        print(f"  {run['run_id']}: expired {done.expired_hits} HIT(s), recorded {done.submitted} "
              f"submitted assignment(s)", flush=True)


def hits_command(args: argparse.Namespace) -> int:
    handler = MTurkDataHandler(db_url=args.db)
    if args.run:
        run = handler.get_run_data(args.run)
        if run is None:
            raise UsageError(f"there is no run {args.run!r}")
        runs = [run]
    else:
        runs = handler.get_all_run_data(provider="mturk", is_sandbox=not args.live)
    for run in runs:
        hits = handler.get_hits_for_run(run["run_id"])
        if args.action == "list":
            for hit in hits:
                print(f"{hit['hit_id']}\t{run['run_id']}\t{hit['hit_status']}\t{hit['assignments_available']}")
            continue
        if run["provider"] != "mturk":
            raise UsageError(f"run {run['run_id']} is not on MTurk; its HITs are local links")
        provider = provider_for_run(handler, run)
        assert isinstance(provider, MTurkProvider)
        if args.action == "expire":
            done = reconcile_run(handler, provider, run["run_id"])
            print(f"{run['run_id']}: expired {done.expired_hits} HIT(s); recorded {done.submitted} "
                  f"submitted assignment(s)")
        else:
            problems = provider.delete_hits([h["hit_id"] for h in hits if h["hit_status"] not in ("Disposed",)])
            for problem in problems:
                print(f"  could not delete {problem}", file=sys.stderr)
            if problems:
                return 1
    return 0


def bonus_command(args: argparse.Namespace) -> int:
    handler = MTurkDataHandler(db_url=args.db)
    review = ReviewService(handler, lambda run: provider_for_run(handler, run))
    try:
        result = review.bonus(args.assignment, args.amount, actor="cli", reason=args.reason)
    except ReviewRefused as exc:
        raise UsageError(str(exc)) from None
    row = result.action
    if result.repeated:
        print(f"This bonus was already {row['outcome']} (review action {row['id']}); nothing was paid now.")
    elif result.succeeded:
        print(f"Paid ${to_dollars(row['amount_cents'])} to {row['worker_id']} for {args.assignment}.")
    elif result.outcome == ReviewOutcome.UNKNOWN:
        print(f"MTurk did not answer ({row['error']}); the bonus may or may not be paid. Run the same "
              "command again later: Parley asks MTurk before paying anything.", file=sys.stderr)
        return 1
    else:
        print(f"The bonus failed: {row['error']}", file=sys.stderr)
        return 1
    return 0

