"""The MTurk side of `python -m runner`: checks and the cost estimate before a launch, the
offer to clean up after runners that died, and the `hits` command. Usage errors are
`Refused` with a sentence (the runner prints it and exits 2)."""
from __future__ import annotations

import argparse
import sys

from crowd.base import Launch, Refused
from crowd.mturk.provider import (
    MIN_REWARD_CENTS,
    HitSettings,
    MTurkProvider,
    estimate_cost_cents,
    hits_needed,
)
from crowd.mturk.reconcile import reconcile_run
from crowd.options import block_qualification_name, budget_in_cents
from crowd.orphans import orphaned_runs
from crowd.registry import provider_for_run
from datastore import MTurkDataHandler
from datastore.money import to_cents, to_dollars
from datastore.records import Record
from datastore.states import HitStatus


def mturk_provider(launch: Launch) -> MTurkProvider:
    """Check the flags, show (and for --live, cap) the cost, then make the provider. Nothing
    is sent to MTurk before the budget check passes. Earlier runs whose runner died are
    offered for cleanup first."""
    args, task, options = launch.args, launch.task, launch.options
    public_url = args.public_url or ""
    if not public_url:
        raise Refused("--public-url is required with --provider mturk: the address where "
                         "workers' browsers reach this runner")
    if args.live and not public_url.startswith("https://"):
        raise Refused("--public-url must start with https:// for --live (MTurk shows tasks in an https frame)")
    if to_cents(options.reward) < MIN_REWARD_CENTS:
        raise Refused(f"--reward must be at least ${to_dollars(MIN_REWARD_CENTS)} on MTurk "
                      f"(it was ${to_dollars(to_cents(options.reward))})")
    budget_cents = budget_in_cents(args.budget)
    config = task.config
    settings = HitSettings(
        title=config["hit_title"], description=config["hit_description"], keywords=config["hit_keywords"],
        reward_cents=to_cents(options.reward), public_url=public_url,
        assignment_seconds=int(config["assignment_duration_in_seconds"]),
        lifetime_seconds=int(config["lifetime_in_seconds"]),
        auto_approve_seconds=options.auto_approve_delay if options.auto_approve_delay is not None else 3 * 24 * 3600,
        frame_height=int(config["frame_height"]),
        qualification_requirements=list(config["qualification_requirements"]),
        block_qualification=block_qualification_name(options.block_qualification, task.name),
        unique_qual_name=options.unique_qual_name, unique=options.unique, max_time_qual=options.max_time_qual,
        disconnect_qualification=options.disconnect_qualification, max_open_hits=options.max_connections)
    hits = hits_needed(options.num_conversations, task.humans_per_conversation)
    estimate = estimate_cost_cents(settings, hits)
    print(f"Cost estimate: ${to_dollars(estimate)} for {hits} HIT(s) at ${to_dollars(settings.reward_cents)} "
          f"plus MTurk's 20% fee, before bonuses ({'LIVE' if args.live else 'sandbox'}).", flush=True)
    if args.live:
        if args.budget is None:
            raise Refused("--budget is required with --live: the most this run may cost, in dollars")
        if budget_cents is not None and estimate > budget_cents:
            raise Refused(f"the estimate ${to_dollars(estimate)} is over the budget ${args.budget}; "
                             "nothing was launched")
    provider = MTurkProvider(is_sandbox=not args.live, settings=settings)
    balance = provider.balance_cents()
    if balance < estimate:
        raise Refused(f"your MTurk balance ${to_dollars(balance)} is less than the estimate "
                         f"${to_dollars(estimate)}; nothing was launched")
    offer_orphan_cleanup(launch.handler, provider, assume_yes=args.expire_orphans)
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
            raise Refused(f"there is no run {args.run!r}")
        runs = [run]
    else:
        runs = handler.get_all_run_data(provider="mturk", is_sandbox=not args.live)
    failed = False
    for run in runs:
        hits = handler.get_hits_for_run(run["run_id"])
        if args.action == "list":
            for hit in hits:
                print(f"{hit['hit_id']}\t{run['run_id']}\t{hit['hit_status']}\t{hit['assignments_available']}")
            continue
        if run["provider"] != "mturk":
            raise Refused(f"run {run['run_id']} is not on MTurk; its HITs are local links")
        provider = provider_for_run(handler, run)
        assert isinstance(provider, MTurkProvider)
        if args.action == "expire":
            done = reconcile_run(handler, provider, run["run_id"])
            print(f"{run['run_id']}: expired {done.expired_hits} HIT(s); recorded {done.submitted} "
                  f"submitted assignment(s)")
        else:
            failed |= not _delete(provider, run["run_id"], hits)
    return 1 if failed else 0


def _delete(provider: MTurkProvider, run_id: str, hits: list[Record]) -> bool:
    """Delete the run's HITs not yet deleted, saying how many; False if any could not be."""
    left = [h["hit_id"] for h in hits if h["hit_status"] != HitStatus.DISPOSED]
    if not left:
        print(f"{run_id}: every HIT is already deleted; nothing to do")
        return True
    problems = provider.delete_hits(left)
    print(f"{run_id}: deleted {len(left) - len(problems)} HIT(s)")
    for problem in problems:
        print(f"  could not delete {problem}", file=sys.stderr)
    return not problems
