"""ParlAI's `parlai.core.agents` as a task's run.py uses it: `create_agent(opt)` makes the
model agent `opt['model']` names. Parley runs no ParlAI models, so it refuses with a
sentence that says what Parley offers instead."""
from __future__ import annotations

from typing import Any, NoReturn

from parlai_compat.mturk.core.mturk_manager import refuse

MODEL_BOT = (
    "Parley does not run ParlAI models, so create_agent(opt) cannot make the agent "
    "opt['model']={model!r} names. Serve the model behind an OpenAI-compatible server and "
    "let Parley's model bot (runner.model_agent.ModelAgent) talk to it: see "
    "tasks/model_evaluator, whose --model-url and --model-name say where and which.")


def create_agent(opt: dict[str, Any], requireModelExists: bool = False) -> NoReturn:
    """Refused with a sentence (exit status 2), whatever the opt."""
    refuse(MODEL_BOT.format(model=opt.get("model") or opt.get("model_file")))
