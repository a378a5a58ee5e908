"""An item as the HTML the worker's page shows: the task's own Jinja template, or a built-in
one. Templates are written by task authors, so they run in Jinja's immutable sandbox with
autoescaping on: an item's text can never become markup, and a template cannot reach into
Python objects."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

BUILT_IN_TEMPLATE = """\
<div class="parley-item">
{%- for key, value in item.items() if key != "dialog" and value is string %}
  <p class="parley-item__text"><span class="parley-item__key">{{ key }}</span> {{ value }}</p>
{%- endfor %}
{%- if item.dialog is sequence and item.dialog is not string %}
  <ol class="parley-item__dialog">
  {%- for turn in item.dialog %}
    {%- if turn is mapping %}
    <li class="parley-item__turn"><span class="parley-item__speaker">{{ turn.speaker or turn.id or "" }}</span> {{ turn.text }}</li>
    {%- else %}
    <li class="parley-item__turn">{{ turn }}</li>
    {%- endif %}
  {%- endfor %}
  </ol>
{%- endif %}
</div>"""


class RenderError(ValueError):
    """The template cannot be loaded or fails on an item; the message says where."""


class ItemRenderer:
    def __init__(self, task_dir: Path, template_name: str | None) -> None:
        env = ImmutableSandboxedEnvironment(autoescape=True, loader=FileSystemLoader(str(task_dir)))
        try:
            self._template = (env.get_template(template_name) if template_name
                              else env.from_string(BUILT_IN_TEMPLATE))
        except TemplateError as exc:
            raise RenderError(f"the template {template_name} does not load: {exc}") from None

    def render(self, item_id: str, data: dict[str, Any], sides: list[str] | None = None) -> str:
        """`sides`: a comparison's sides in the order this page shows them (else None)."""
        try:
            return self._template.render(item=data, item_id=item_id, sides=sides)
        except TemplateError as exc:
            raise RenderError(f"the template fails on item {item_id!r}: {exc}") from None
