"""Find and load a task: a folder (under tasks/, or any path) holding

- `task_config.py` with a `task_config` dict (HIT title, description, keywords, the task
  description HTML shown to workers, `agent_ids`: the roles of the humans in one
  conversation, in pairing order; `blocking_qualifications`: names of qualifications the
  task soft-blocks with or grants itself, whose holders the runner refuses; the live
  channel's budget per worker, `messages_per_second`, `message_burst`,
  `messages_per_assignment` and `bytes_per_assignment`, see runner/budget.py; `free_chat`:
  True lets workers send whenever they like instead of only when the world waits on them;
  `roles`: how the page shows each agent, `{agent id: {"label": ..., "color": "#rrggbb"}}`;
  `task_options`: the task's own flags, see runner/task_options.py;
  `paste_policy` ("allow", "flag", the default, or "refuse"), `paste_refused_text` and
  `composition_notice`: how a chat message's composition is treated and what the page says
  of it, see runner/authenticity.py; `text_detector` ("module:function", a scorer of
  workers' messages) and `detector_threshold`, see runner/text_detector.py;
  whom a marketplace lets take the task, `qualification_requirements`, `participant_filters`
  and `device_compatibility`, see tasks/README.md),
- `worlds.py` with `TaskWorld(opt, agents)`, optionally `OnboardingWorld(opt, agent)`, and
  optionally `prepare_run(opt)`: asked once as a run is launched (see `prepare_run` below),
  unless the task is a form (`"kind": "form"`: fields and items, see runner/forms/; the
  runner plays its built-in FormWorld, and OnboardingFormWorld for its `onboarding`),
- optionally `frontend/custom.js`, which overrides named components of the chat page.
"""
from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from runner.authenticity import (
    DEFAULT_COMPOSITION_NOTICE,
    DEFAULT_PASTE_REFUSED_TEXT,
    PASTE_POLICIES,
)
from runner.budget import BUDGET_KEYS, DEFAULT_BUDGET, budget_problem
from runner.forms import FormConfigError, FormTask, check_form_config
from runner.forms.config import FORM_KEYS
from runner.task_options import RESERVED, OptionError, TaskOption, defaults, parse_task_options
from runner.text_detector import DEFAULT_THRESHOLD, threshold_problem

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_LABEL_CHARS = 60

TASKS_DIR = Path(__file__).resolve().parent.parent / "tasks"

CHAT, FORM = "chat", "form"
KINDS = (CHAT, FORM)

DEFAULT_CONFIG: dict[str, Any] = {
    "kind": CHAT,
    "hit_title": "Chat task",
    "hit_description": "Take part in a short chat.",
    "hit_keywords": "chat,dialog",
    "task_description": "",
    "preview_description": None,
    "agent_ids": ["Worker"],
    "blocking_qualifications": [],
    # For marketplaces: their own qualification requirements (passed on as given), and how
    # long a worker and a HIT have.
    "qualification_requirements": [],
    "assignment_duration_in_seconds": 3600,
    "lifetime_in_seconds": 3 * 24 * 3600,
    "frame_height": 0,
    "free_chat": False,
    "roles": {},
    # For marketplaces that screen participants by filters and devices: their own filter
    # objects (passed on as given, once the provider checked their shape) and the devices
    # participants may use (desktop, tablet, mobile). See tasks/README.md.
    "participant_filters": [],
    "device_compatibility": ["desktop"],
    # The task's own flags, and what refuses values of them that do not go together
    # (runner/task_options.py).
    "task_options": {},
    "check_options": None,
    # How a chat message's composition is treated (runner/authenticity.py): pasting allowed,
    # flagged or refused (the page and the runner then say `paste_refused_text`), and what
    # the page tells workers it records.
    "paste_policy": "flag",
    "paste_refused_text": DEFAULT_PASTE_REFUSED_TEXT,
    "composition_notice": DEFAULT_COMPOSITION_NOTICE,
    # A researcher's scorer of workers' messages and the score that flags one
    # (runner/text_detector.py); None: no detector (`runner run --text-detector` may name one).
    "text_detector": None,
    "detector_threshold": DEFAULT_THRESHOLD,
    **DEFAULT_BUDGET.as_config(),
}


class TaskError(Exception):
    """The task folder is missing something or its code does not load; the message says what."""


@dataclass
class Task:
    name: str
    path: Path
    config: dict[str, Any]
    worlds: ModuleType | None
    """The task's worlds.py; None for a form task, which the runner's FormWorld plays."""
    custom_js: Path | None = field(default=None)
    form: FormTask | None = field(default=None)
    """A form task's checked fields and items; None for a chat task."""
    options: dict[str, TaskOption] = field(default_factory=dict)
    """The task's own flags, as its config declares them."""
    option_values: dict[str, Any] = field(default_factory=dict)
    """What each of them is for this run (the defaults until the CLI sets them); every
    world gets them in its `opt`."""

    @property
    def is_form(self) -> bool:
        return self.form is not None

    @property
    def agent_ids(self) -> list[str]:
        return list(self.config["agent_ids"])

    @property
    def humans_per_conversation(self) -> int:
        return len(self.config["agent_ids"])

    def default_conversations(self) -> int:
        """The conversations a run collects when not told (-nc): one for a chat task; for a
        form task, enough assignments to answer every item N times."""
        return self.form.conversations_needed() if self.form is not None else 1

    @property
    def has_onboarding(self) -> bool:
        """Whether workers go through onboarding first: a chat task's OnboardingWorld, or a
        form task's `onboarding` gold test (played by the runner's OnboardingFormWorld)."""
        if self.form is not None:
            return self.form.onboarding is not None
        return self.worlds is not None and hasattr(self.worlds, "OnboardingWorld")


def available_tasks(directory: Path = TASKS_DIR) -> list[str]:
    """The task folders in `directory` (default: the repository's tasks/): each has a
    task_config.py (a chat task's worlds.py is checked when it loads)."""
    return sorted(p.name for p in directory.iterdir() if (p / "task_config.py").is_file())


def load_task(name_or_path: str | Path) -> Task:
    path = Path(name_or_path)
    if not path.is_dir():
        path = TASKS_DIR / str(name_or_path)
    if not path.is_dir():
        known = ", ".join(available_tasks()) or "none"
        raise TaskError(f"there is no task {str(name_or_path)!r} (tasks here: {known})")
    path = path.resolve()
    if not (path / "task_config.py").is_file():
        raise TaskError(f"the task folder {path} has no task_config.py")
    config_module = _load_module(path / "task_config.py", f"parley_task_{path.name}_config")
    config = {**DEFAULT_CONFIG, **getattr(config_module, "task_config", {})}
    if config["kind"] not in KINDS:
        raise TaskError(f"task {path.name}: kind must be one of {', '.join(KINDS)}")
    if not config["agent_ids"] or len(set(config["agent_ids"])) != len(config["agent_ids"]):
        raise TaskError(f"task {path.name}: agent_ids must be a list of distinct role names")
    for key in BUDGET_KEYS:
        if problem := budget_problem(key, config[key]):
            raise TaskError(f"task {path.name}: {key} {problem}")
    if not isinstance(config["free_chat"], bool):
        raise TaskError(f"task {path.name}: free_chat must be True or False")
    if problem := roles_problem(config["roles"]):
        raise TaskError(f"task {path.name}: roles {problem}")
    if problem := composition_problem(config):
        raise TaskError(f"task {path.name}: {problem}")
    try:
        options = parse_task_options(config["task_options"])
        if config["check_options"] is not None and not callable(config["check_options"]):
            raise OptionError("check_options must be a function of the option values")
    except OptionError as exc:
        raise TaskError(f"task {path.name}: {exc}") from None
    custom_js = path / "frontend" / "custom.js"
    custom = custom_js if custom_js.is_file() else None
    if config["kind"] == FORM:
        return Task(path.name, path, config, None, custom, form=_load_form(path, config),
                    options=options, option_values=defaults(options))
    if given := [key for key in FORM_KEYS if key in config]:
        raise TaskError(f"task {path.name}: {', '.join(given)} {'is' if len(given) == 1 else 'are'} for "
                        f'form tasks ("kind": "form")')
    if not (path / "worlds.py").is_file():
        raise TaskError(f"the task folder {path} has no worlds.py (a chat task needs one)")
    worlds = _load_module(path / "worlds.py", f"parley_task_{path.name}_worlds")
    if not hasattr(worlds, "TaskWorld"):
        raise TaskError(f"task {path.name}: worlds.py defines no TaskWorld")
    return Task(path.name, path, config, worlds, custom, options=options, option_values=defaults(options))


def _load_form(path: Path, config: dict[str, Any]) -> FormTask:
    """A form task's fields and items, checked; one worker per form, so one role."""
    if len(config["agent_ids"]) != 1:
        raise TaskError(f"task {path.name}: a form task has one worker per assignment, so one agent id")
    if (path / "worlds.py").is_file():
        raise TaskError(f"task {path.name}: a form task runs the built-in form world, so it has no worlds.py")
    try:
        form = check_form_config(config, path)
    except FormConfigError as exc:
        raise TaskError(f"task {path.name}: {exc}") from None
    config["fields"] = form.fields
    return form


def prepare_run(task: Task) -> dict[str, Any]:
    """What the task's `prepare_run(opt)` in worlds.py (if it has one) adds to the opt of every
    world of a run: asked once, as the run is launched, with the task's option values,
    `task_dir` and `task_config` in `opt`. It refuses the launch by raising TaskError with a
    sentence (a file it needs is missing, an option's value is unusable), so a bad run never
    starts rather than failing in its first conversation."""
    prepare = getattr(task.worlds, "prepare_run", None)
    if prepare is None:
        return {}
    try:
        data = prepare({**task.option_values, "task_dir": str(task.path), "task_config": task.config})
    except TaskError as exc:
        raise TaskError(f"task {task.name}: {exc}") from None
    if not isinstance(data, dict):
        raise TaskError(f"task {task.name}: prepare_run must answer a dict of what its worlds get in opt")
    if clash := sorted(set(data) & (RESERVED | set(task.options))):
        raise TaskError(f"task {task.name}: prepare_run may not set {', '.join(clash)}: "
                        "the runner or the task's options set them")
    return data


def composition_problem(config: dict[str, Any]) -> str | None:
    """What is wrong with a task's paste policy, the words its page shows about it, or its
    text detector's settings."""
    if config["paste_policy"] not in PASTE_POLICIES:
        return f"paste_policy must be one of {', '.join(PASTE_POLICIES)}"
    for key in ("paste_refused_text", "composition_notice"):
        if not isinstance(config[key], str) or not config[key].strip():
            return f"{key} must be a sentence (a non-empty string)"
    if config["text_detector"] is not None and not isinstance(config["text_detector"], str):
        return "text_detector must name a function as \"module:function\""
    return threshold_problem(config["detector_threshold"])


def roles_problem(roles: Any) -> str | None:
    """What is wrong with a task config's `roles`, or None."""
    if not isinstance(roles, dict):
        return "must map agent ids to {\"label\": ..., \"color\": \"#rrggbb\"}"
    for agent_id, shown in roles.items():
        if not isinstance(shown, dict) or set(shown) - {"label", "color"}:
            return f"of {agent_id!r} may give only a label and a color"
        label, colour = shown.get("label", agent_id), shown.get("color", "#444444")
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_CHARS:
            return f"of {agent_id!r}: the label must be text of 1 to {MAX_LABEL_CHARS} characters"
        if not isinstance(colour, str) or not COLOUR.fullmatch(colour):
            return f"of {agent_id!r}: the color must look like #1f6feb"
    return None


def _load_module(file: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise TaskError(f"{file} failed to load: {type(exc).__name__}: {exc}") from exc
    return module
