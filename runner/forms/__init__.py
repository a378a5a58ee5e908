"""Form tasks: a task whose workers answer fields about items instead of chatting.

`config` checks a form task's config and loads its items, `render` turns an item into the
HTML the page shows, `answers` checks what a worker sent against the fields, `world` is
the built-in FormWorld the runner plays for every form task, and `onboarding` the gold test
it plays first for a task that has one.
"""
from runner.forms.answers import REQUIRED_TEXT, validate_answers
from runner.forms.config import FormConfigError, FormTask, check_form_config

__all__ = ["REQUIRED_TEXT", "FormConfigError", "FormTask", "check_form_config", "validate_answers"]
