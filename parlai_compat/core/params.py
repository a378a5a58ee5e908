"""ParlAI's argument parser as a task's run.py uses it: `ParlaiParser(add_parlai_args,
add_model_args)` (ParlAI's general and model flags a task reads), `add_parlai_data_path()`,
`add_mturk_args()` (the guide's flags, under ParlAI's names in `opt`, plus Parley's
`--provider` and `--db`), and `parse_args()` answering the opt dict."""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crowd import registry


class ParlaiParser(argparse.ArgumentParser):
    def __init__(self, add_parlai_args: bool = True, add_model_args: bool = False,
                 description: str = "Run a ParlAI-MTurk task on Parley.") -> None:
        """As ParlAI's: `add_parlai_args` adds its general flags, `add_model_args` its model
        flags, each landing in opt under ParlAI's name for the task's own code to read."""
        super().__init__(description=description)
        if add_parlai_args:
            self.add_parlai_args()
        if add_model_args:
            self.add_model_args()

    def add_parlai_args(self) -> None:
        """ParlAI's general flags a crowd task reads. `--task` names the run's task (and
        its runs); the others are the task's own (a world reading `opt['datatype']`)."""
        parlai = self.add_argument_group("Main ParlAI Arguments")
        parlai.add_argument("-t", "--task", default=None,
                            help="the task's name (opt['task']; default: its folder's name)")
        parlai.add_argument("-dt", "--datatype", default="train",
                            help="which split of its data the task reads (opt['datatype'], default train)")
        self.add_parlai_data_path()

    def add_model_args(self) -> None:
        """ParlAI's model flags, for a run.py that reads them (`opt['model']`). Parley does
        not run ParlAI models: `parlai_compat.core.agents.create_agent(opt)` says what to do
        instead."""
        model = self.add_argument_group("ParlAI Model Arguments")
        model.add_argument("-m", "--model", default=None, help="the model the task talks to (opt['model'])")
        model.add_argument("-mf", "--model-file", default=None,
                           help="the model's file (opt['model_file'])")

    def add_parlai_data_path(self) -> None:
        """`-dp/--datapath`; asked again (a run.py calling it after `add_parlai_args`), the
        flag is already there and nothing changes."""
        if any("--datapath" in action.option_strings for action in self._actions):
            return
        self.add_argument("-dp", "--datapath", default=str(Path.cwd() / "data"),
                          help="where a task keeps its data files (opt['datapath'])")

    def add_mturk_args(self) -> None:
        """The guide's MTurk flags; MTurkManager maps each onto Parley's run options."""
        mturk = self.add_argument_group("MTurk")
        mturk.add_argument("-nc", "--num-conversations", type=int, default=1,
                           help="conversations to collect")
        mturk.add_argument("-r", "--reward", type=float, default=0.05, help="reward per assignment, in dollars")
        where = mturk.add_mutually_exclusive_group()
        where.add_argument("--sandbox", dest="is_sandbox", action="store_true",
                           help="the marketplace's sandbox (default), where nobody is paid")
        where.add_argument("--live", dest="is_sandbox", action="store_false",
                           help="the live marketplace: real workers, real money")
        mturk.set_defaults(is_sandbox=True)
        mturk.add_argument("--unique", dest="unique_worker", action="store_true",
                           help="one assignment per worker")
        mturk.add_argument("--unique-qual-name", default=None,
                           help="one assignment per worker across the tasks that use this name")
        mturk.add_argument("--allowed-conversations", type=int, default=0,
                           help="conversations a worker may have open at once (0: unlimited)")
        mturk.add_argument("--count-complete", action="store_true",
                           help="count only conversations nobody left toward -nc")
        mturk.add_argument("--max-connections", type=int, default=30,
                           help="workers live at once (0: unlimited)")
        mturk.add_argument("--max-time", type=int, default=0,
                           help="seconds a worker may work on this task per day (0: unlimited)")
        mturk.add_argument("--max-time-qual", default=None,
                           help="qualification granted to a worker who reaches --max-time")
        mturk.add_argument("--disconnect-qualification", default=None,
                           help="soft-block qualification for workers who disconnect too often")
        mturk.add_argument("--hard-block", action="store_true",
                           help="hard-block workers who disconnect too often")
        mturk.add_argument("--block-qualification", default=None,
                           help="soft-block qualification (soft_block_worker, failed onboarding)")
        mturk.add_argument("--auto-approve-delay", type=int, default=None,
                           help="seconds after which finished work is approved")
        mturk.add_argument("--local", action="store_true",
                           help=f"no marketplace: the {registry.TESTING} provider, whose HITs are worker links "
                                "(refused with --provider naming a marketplace)")
        mturk.add_argument("--public-url", default=None,
                           help="the address workers reach this machine at (a marketplace; https for --live)")
        mturk.add_argument("--budget", default=None,
                           help="with --live, refuse a launch whose rewards and fees would cost more (dollars)")
        # No default here: parse_args tells an explicit --provider from none, for --local.
        mturk.add_argument("--provider", choices=registry.names(), default=None,
                           help=f"the marketplace (default {registry.DEFAULT}: worker links, no marketplace)")
        mturk.add_argument("--db", metavar="URL", default=None,
                           help="store URL (default PARLEY_DATABASE_URL or ./data/parley.db)")

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: Any = None) -> dict[str, Any]:
        """The opt dict, as ParlAI's parse_args answers it. `--local` means no marketplace:
        the provider is the local one, and a marketplace asked for with it is an error
        (exit status 2, one sentence)."""
        opt = dict(vars(super().parse_args(args, namespace)))
        if "provider" not in opt:  # add_mturk_args was not called
            return opt
        if opt["local"]:
            if opt["provider"] not in (None, registry.TESTING):
                self.error(f"--local runs the task with no marketplace (the {registry.TESTING} provider), so it "
                           f"cannot go with --provider {opt['provider']}; leave out one of the two.")
            opt["provider"] = registry.TESTING
        elif opt["provider"] is None:
            opt["provider"] = registry.DEFAULT
        return opt
