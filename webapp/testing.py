"""Task testing with no marketplace: start a run of any task in `tasks/` inside this
process (local provider, marked as a test) and open one chat page per role in its own tab."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, url_for

from crowd import registry
from crowd.options import RunOptions
from runner.manager import TaskManager
from runner.task_options import options_problem
from runner.tasks import Task, TaskError, available_tasks, load_task
from webapp.services import services
from webapp.twins import page, respond

testing = Blueprint("testing", __name__, url_prefix="/app")


def _tasks_dir() -> Path:
    return Path(current_app.config["TASKS_DIR"])


def _task_names() -> list[str]:
    return available_tasks(_tasks_dir())


def _load(task_name: str) -> Task:
    if task_name not in _task_names():
        abort(404, description=f"There is no task {task_name!r}.")
    try:
        return load_task(_tasks_dir() / task_name)
    except TaskError as exc:
        abort(422, description=f"The task {task_name!r} cannot be loaded: {exc}")


def _links(manager: TaskManager) -> list[dict[str, str]]:
    """One link per role of the task's first conversation, each its own test worker, then
    one per local human its world has asked for."""
    provider = manager.provider
    roles = manager.task.agent_ids
    links = []
    for n, (hit_id, role) in enumerate(zip(provider.hit_ids, roles), 1):
        url = provider.link(hit_id, f"tester-{n}-{role}", f"{hit_id}-A") + "&" + f"role={role}"
        links.append({"role": role, "url": url})
    # A person at the runner plays these (runner/local_human.py): their links exist once
    # their conversation has begun.
    links += [{"role": local["role"], "url": local["url"]} for local in manager.local_humans.links()]
    return links


def _run_view(manager: TaskManager) -> dict[str, Any]:
    return {"run_id": manager.run_id, "task": manager.task.name, "finished": manager.finished.is_set(),
            "progress": manager.progress(), "links": _links(manager)}


@page(testing, "/tasks")
def index() -> Any:
    runs = [_run_view(m) for m in services().test_runs()]
    return respond("tasks.html", {"tasks": _task_names(), "test_runs": runs})


@page(testing, "/tasks/<task_name>")
def task(task_name: str) -> Any:
    loaded = _load(task_name)
    runs = [_run_view(m) for m in services().test_runs() if m.task.name == task_name]
    data = {"task": task_name, "agent_ids": loaded.agent_ids, "title": loaded.config["hit_title"],
            "has_onboarding": loaded.has_onboarding, "test_runs": runs}
    return respond("task.html", data, description_html=loaded.config["task_description"])


@testing.post("/tasks/<task_name>/start")
def start(task_name: str) -> Any:
    loaded = _load(task_name)
    if problem := options_problem(loaded.config["check_options"], loaded.option_values):
        abort(422, description=f"The task {task_name!r} cannot start with its options' defaults: {problem}")
    svc = services()
    try:
        manager = TaskManager(loaded, svc.handler, registry.testing_provider(),
                              RunOptions(num_conversations=loaded.default_conversations(), is_test=True,
                                         max_connections=0, disconnect_timeout=120.0,
                                         test_idle_minutes=current_app.config["TEST_RUN_IDLE_MINUTES"]),
                              base_url=request.host_url)
    except TaskError as exc:  # its prepare_run refused (a data file it needs is missing or bad)
        abort(422, description=f"The task {task_name!r} cannot start: {exc}")
    svc.hub.add(manager)
    run_id = manager.start()
    if request.is_json or request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return {"run_id": run_id, **_run_view(manager)}, 201
    return redirect(url_for("testing.task", task_name=task_name, run=run_id), code=303)
