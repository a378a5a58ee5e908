"""A task's own flags: `task_options` in its task_config declares them, and `python run.py`
(`python -m runner run TASK`) accepts them after the runner's own.

    "task_options": {
        "model_url": {"help": "the model server's base URL", "default": None},
        "turns": {"type": "int", "default": 3, "help": "turns before the end"},
        "local_human": {"choices": ["link", "terminal"], "default": None},
    }

`model_url` becomes `--model-url`; its value (the flag's, else the default) reaches every
world of the run as `opt["model_url"]`. Types: "text" (the default), "int", "float" and
"flag" (present or not; default False). Task testing in the webapp runs with the defaults.

A task_config's `check_options` (a function of the values, answering a sentence or None)
refuses values that do not go together before anything is launched: the CLI exits 2 with
the sentence, task testing answers 422.
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import Any

OPTION_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
TYPES: dict[str, type] = {"text": str, "int": int, "float": float, "flag": bool}
SPEC_KEYS = frozenset({"help", "default", "type", "choices"})
RESERVED = frozenset({"task_dir", "run_id", "conversation_id", "context", "is_sandbox", "provider", "task_config",
                      "local_humans"})
"""What the runner itself puts in a world's `opt`: a task option may not shadow it."""


class OptionError(Exception):
    """A task's `task_options` declares something the runner cannot offer; says what."""


@dataclass(frozen=True)
class TaskOption:
    name: str
    kind: str
    default: Any
    help: str
    choices: tuple[Any, ...] | None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def parse_task_options(declared: Any) -> dict[str, TaskOption]:
    """The options a task_config's `task_options` declares; OptionError says what is wrong."""
    if not isinstance(declared, dict):
        raise OptionError("task_options must map option names to {\"help\": ..., \"default\": ...}")
    options: dict[str, TaskOption] = {}
    for name, spec in declared.items():
        if not isinstance(name, str) or not OPTION_NAME.fullmatch(name):
            raise OptionError(f"task option {name!r}: a name is 1-40 lower-case letters, digits or _")
        if name in RESERVED:
            raise OptionError(f"task option {name!r} would hide the runner's own opt[{name!r}]")
        if not isinstance(spec, dict) or set(spec) - SPEC_KEYS:
            raise OptionError(f"task option {name!r} may give only {', '.join(sorted(SPEC_KEYS))}")
        kind = spec.get("type", "text")
        if kind not in TYPES:
            raise OptionError(f"task option {name!r}: type must be one of {', '.join(TYPES)}")
        default = spec.get("default", False if kind == "flag" else None)
        if default is not None and not _is_of(kind, default):
            raise OptionError(f"task option {name!r}: the default {default!r} is not of type {kind}")
        choices = spec.get("choices")
        if choices is not None:
            if kind == "flag" or not isinstance(choices, list | tuple) or not choices \
                    or not all(_is_of(kind, c) for c in choices):
                raise OptionError(f"task option {name!r}: choices must be a list of {kind} values")
            if default is not None and default not in choices:
                raise OptionError(f"task option {name!r}: the default {default!r} is not one of its choices")
            choices = tuple(choices)
        options[name] = TaskOption(name, kind, default, str(spec.get("help", "")), choices)
    return options


def _is_of(kind: str, value: Any) -> bool:
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, TYPES[kind]) and (kind == "flag" or not isinstance(value, bool))


def defaults(options: dict[str, TaskOption]) -> dict[str, Any]:
    return {name: option.default for name, option in options.items()}


def add_task_arguments(parser: argparse.ArgumentParser, task_name: str, options: dict[str, TaskOption]) -> None:
    """The task's options as flags of `run`, in a group of their own in --help."""
    if not options:
        return
    group = parser.add_argument_group(f"options of the task {task_name}")
    for option in options.values():
        shown = "" if option.default in (None, False) else f" (default {option.default})"
        if option.kind == "flag":
            group.add_argument(option.flag, dest=f"task_option_{option.name}", action="store_true",
                               help=option.help)
            continue
        group.add_argument(option.flag, dest=f"task_option_{option.name}", type=TYPES[option.kind],
                           metavar=None if option.choices else option.name.upper(),
                           choices=option.choices, default=option.default, help=option.help + shown)


def options_problem(check: Any, values: dict[str, Any]) -> str | None:
    """What the task's `check_options` says of these values (None: nothing, or no check)."""
    if check is None:
        return None
    problem = check(dict(values))
    return None if problem is None else str(problem)


def values_from(args: argparse.Namespace, options: dict[str, TaskOption]) -> dict[str, Any]:
    """What the run's worlds get: each option's flag value, else its default."""
    return {name: getattr(args, f"task_option_{name}", option.default) for name, option in options.items()}
