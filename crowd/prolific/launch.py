"""The Prolific side of `python -m runner run --provider prolific`: check the flags, cap the
cost with --live, make the provider, and stop the studies of earlier runs whose runner died.
Usage errors are `Refused` with a sentence (the runner prints it and exits 2); nothing is
sent to Prolific before the flags and the budget pass."""
from __future__ import annotations

import sys

from crowd.base import Launch, Refused
from crowd.options import block_qualification_name, budget_in_cents
from crowd.orphans import orphaned_runs
from crowd.prolific.provider import (
    ProlificProvider,
    StudySettings,
    estimated_minutes,
    places_needed,
)
from crowd.prolific.study_config import task_devices, task_filters
from crowd.registry import provider_for_run
from datastore.money import to_cents, to_dollars


def prolific_provider(launch: Launch) -> ProlificProvider:
    args, task, options = launch.args, launch.task, launch.options
    public_url = args.public_url or ""
    if not public_url:
        raise Refused("--public-url is required with --provider prolific: the address where "
                      "participants' browsers reach this runner")
    if not public_url.startswith("https://") and args.live:
        raise Refused("--public-url must start with https:// for --live (Prolific sends participants to it)")
    reward_cents = to_cents(options.reward)
    if reward_cents < 1:
        raise Refused("--reward must be more than 0 on Prolific (the study's reward, in its currency)")
    filters, devices = task_filters(task.config), task_devices(task.config)
    places = places_needed(options.num_conversations, task.humans_per_conversation)
    budget_cents = budget_in_cents(args.budget)
    if args.live:
        if budget_cents is None:
            raise Refused("--budget is required with --live: the most this run may cost")
        if reward_cents * places > budget_cents:
            raise Refused(f"{places} place(s) at {to_dollars(reward_cents)} already cost "
                          f"{to_dollars(reward_cents * places)} before Prolific's fees, over the budget "
                          f"{to_dollars(budget_cents)}; nothing was launched")
    at_once = options.max_connections
    opening = f", {at_once} open at a time (--max-connections)" if at_once and at_once < places else ""
    print(f"Prolific study: {places} place(s) at {to_dollars(reward_cents)} each{opening} "
          f"({'published: LIVE' if args.live else 'a draft to preview, not published'}); Prolific adds its "
          "service fee and VAT, which the launch reads back from the draft study.", flush=True)
    config = task.config
    blocklist = [block_qualification_name(options.block_qualification, task.name)]
    blocklist += [name for name in (options.disconnect_qualification, options.max_time_qual,
                                    options.unique_qual_name) if name]
    settings = StudySettings(
        name=config["hit_title"], description=config["hit_description"], reward_cents=reward_cents,
        public_url=public_url, estimated_minutes=estimated_minutes(int(config["assignment_duration_in_seconds"])),
        publish=bool(args.live), blocklist_groups=blocklist, unique_group=options.unique_qual_name,
        filters=filters, device_compatibility=devices, max_open_places=options.max_connections,
        budget_cents=budget_cents if args.live else None)
    provider = ProlificProvider(is_sandbox=not args.live, settings=settings)
    stop_orphaned_studies(launch, provider, assume_yes=args.expire_orphans)
    return provider


def stop_orphaned_studies(launch: Launch, provider: ProlificProvider, *, assume_yes: bool) -> None:
    """Earlier Prolific runs whose runner died may still be recruiting: with --expire-orphans,
    stop their studies and record their submissions; without it, say how."""
    handler = launch.handler
    orphans = orphaned_runs(handler, provider=provider.name, is_sandbox=provider.is_sandbox)
    if not orphans:
        return
    names = ", ".join(r["run_id"] for r in orphans)
    if not assume_yes:
        print(f"Runs whose runner died may still be recruiting on Prolific: {names}. Run again with "
              "--expire-orphans to stop their studies.", file=sys.stderr, flush=True)
        return
    for run in orphans:
        orphan = provider_for_run(handler, run)
        orphan.cleanup()
        handler.log_end_run(run["run_id"], "stopped")
        print(f"  {run['run_id']}: stopped its study and recorded its submissions", flush=True)


