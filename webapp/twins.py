"""Every page has a `.json` twin answering the same data: one view serves both, so the
dashboard and a script can never disagree. The rule, with no exception: a page's twin is its
path plus `.json` (`/runs/R` -> `/runs/R.json`, the runs list `/` -> `/.json`). `/index.json`
still answers for the runs list too, for the scripts written before `/.json` did."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for

LEGACY_HOME_TWIN = "/index.json"


def twin_path(path: str) -> str:
    """The JSON twin of the page at `path`: the path plus .json."""
    return path + ".json"


def wants_json() -> bool:
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


def page(bp: Blueprint, rule: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view at `rule` and at `rule.json` (and the home page's at /index.json)."""
    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(rule, view.__name__, view, **options)
        bp.add_url_rule(twin_path(rule), view.__name__ + "_json", view, **options)
        if rule == "/":
            bp.add_url_rule(LEGACY_HOME_TWIN, view.__name__ + "_json", view, **options)
        return view

    return register


def respond(template: str, data: dict[str, Any], **page_only: Any) -> Any:
    """The JSON twin answers `data`; the page renders `template` with `data` and `page_only`."""
    if request.path.endswith(".json"):
        return jsonify(data)
    return render_template(template, **data, **page_only)


def url_with(**changes: Any) -> str:
    """This page's URL with some query arguments changed (None drops one): pagers, filters."""
    args = {**request.args.to_dict(), **changes}
    args = {k: v for k, v in args.items() if v is not None}
    return url_for(request.endpoint or "runs.index", **(request.view_args or {}), **args)
