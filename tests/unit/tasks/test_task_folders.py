"""Every task folder follows the convention in tasks/README.md and loads."""
from __future__ import annotations

import runpy
import sys
import types

import pytest

from runner.forms.fields import FIELD_TYPES
from runner.tasks import available_tasks, load_task
from runner.worlds import World

TASKS = {
    "qa_data_collection": ["Worker"],
    "model_evaluator": ["Worker"],
    "multi_agent_dialog": ["Speaker1", "Speaker2"],
    "dealnodeal": ["Negotiator1", "Negotiator2"],
    "qualification_flow_example": ["Worker"],
    "custom_frontend_demo": ["Asker", "Answerer", "Evaluator"],
}
WITH_CUSTOM_FRONTEND = {"dealnodeal", "custom_frontend_demo"}


def test_all_six_tasks_are_available():
    assert set(TASKS) <= set(available_tasks())


@pytest.mark.parametrize("name", TASKS)
def test_task_loads_with_its_roles_hit_texts_and_a_task_world(name):
    task = load_task(name)
    assert task.agent_ids == TASKS[name]
    for key in ("hit_title", "hit_description", "hit_keywords", "task_description"):
        assert task.config[key].strip(), key
    assert "<" in task.config["task_description"]
    assert issubclass(task.worlds.TaskWorld, World)
    assert not task.has_onboarding
    assert (task.custom_js is not None) == (name in WITH_CUSTOM_FRONTEND)
    assert (task.path / "README.md").read_text(encoding="utf-8").startswith(f"# {name}\n")


@pytest.mark.parametrize("name", [*TASKS, "dialog_rating", "pairwise_dialog_eval"])
def test_run_py_hands_its_own_folder_and_the_flags_to_the_runner_cli(name, monkeypatch):
    calls = []
    cli = types.ModuleType("runner.cli")
    cli.main = lambda argv: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "runner.cli", cli)
    monkeypatch.setattr(sys, "argv", ["run.py", "--provider", "local"])
    task = load_task(name)

    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(task.path / "run.py"), run_name="__main__")

    assert exit_.value.code == 0
    assert calls == [["run", str(task.path), "--provider", "local"]]


def test_dialog_rating_is_a_form_task_with_every_field_type_and_two_golds():
    task = load_task("dialog_rating")
    assert "dialog_rating" in available_tasks()
    assert task.is_form and task.worlds is None and task.agent_ids == ["Worker"]
    assert sorted(f["type"] for f in task.config["fields"]) == sorted(FIELD_TYPES)
    assert sum(item["gold"] is not None for item in task.form.items) == 2 and len(task.form.items) == 10
    assert (task.form.items_per_assignment, task.form.annotations_per_item) == (2, 2)
    assert (task.path / "README.md").read_text(encoding="utf-8").startswith("# dialog_rating\n")
    assert "`dialog_rating`" in (task.path.parent / "README.md").read_text(encoding="utf-8")


def test_pairwise_dialog_eval_compares_the_two_bots_of_its_pairs_with_a_required_reason():
    task = load_task("pairwise_dialog_eval")
    assert task.is_form and task.form.comparison is not None
    assert [(f["name"], f["type"], f["required"]) for f in task.config["fields"]] == [
        ("winner", "single_choice", True), ("reason", "long_text", True)]
    assert {item["data"]["a"]["model"] for item in task.form.items} == {"curious bot"}
    assert {item["data"]["b"]["model"] for item in task.form.items} == {"terse bot"}
    assert (task.path / "README.md").read_text(encoding="utf-8").startswith("# pairwise_dialog_eval\n")
    assert "`pairwise_dialog_eval`" in (task.path.parent / "README.md").read_text(encoding="utf-8")
