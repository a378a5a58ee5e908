"""A task's own flags (`task_options` in its task_config): offered by `python -m runner run
TASK`, shown in its --help, checked, and given to its worlds."""
from __future__ import annotations

import json

import pytest

from datastore import MTurkDataHandler
from runner.cli import main
from runner.tasks import TaskError, load_task
from tests.support.live_runner import chat_pair_to_the_end

OPTIONED_CHAT = "tests/support/tasks/optioned_chat"


def _greetings(worker) -> str:
    return worker.wait_for(lambda f: f["type"] == "message" and f["act"]["id"] == "System")["act"]["text"]


def test_a_tasks_flags_reach_its_worlds(store_url, runner_process):
    runner = runner_process(store_url, OPTIONED_CHAT, "-nc", "1", "--greeting", "Bonjour", "--loud",
                            "--mood", "merry")
    alice, bob = runner.join(0), runner.join(1)
    assert _greetings(alice) == "BONJOUR, ALICE!"
    assert _greetings(bob) == "BONJOUR, BOB!"
    chat_pair_to_the_end(alice, bob, "hello")
    code, _, err = runner.finish()
    assert code == 0, err


def test_without_its_flags_a_task_gets_their_defaults(store_url, runner_process):
    runner = runner_process(store_url, OPTIONED_CHAT, "-nc", "1")
    alice, bob = runner.join(0), runner.join(1)
    assert (_greetings(alice), _greetings(bob)) == ("Hello, Alice.", "Hello, Bob.")


def test_help_lists_the_tasks_flags(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["run", OPTIONED_CHAT, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "options of the task optioned_chat" in out
    assert "--greeting GREETING" in out and "the word each worker is greeted with" in out
    assert "--loud" in out and "--mood {calm,merry}" in out


def test_a_value_outside_a_flags_choices_exits_2_with_a_sentence(capsys, store_url):
    assert main(["run", OPTIONED_CHAT, "--mood", "grumpy", "--db", store_url]) == 2
    assert "argument --mood: invalid choice: 'grumpy'" in capsys.readouterr().err


def test_another_tasks_flag_is_refused(capsys, store_url):
    assert main(["run", "tests/support/tasks/pair_chat", "--greeting", "Hi", "--db", store_url]) == 2
    assert "unrecognized arguments: --greeting Hi" in capsys.readouterr().err


@pytest.mark.parametrize(("declared", "says"), [
    ("not a dict", "task_options must map option names"),
    ({"Model-URL": {}}, "a name is 1-40 lower-case letters"),
    ({"run_id": {}}, "would hide the runner's own opt['run_id']"),
    ({"model_url": {"hlep": "typo"}}, "may give only choices, default, help, type"),
    ({"turns": {"type": "number"}}, "type must be one of text, int, float, flag"),
    ({"turns": {"type": "int", "default": "3"}}, "the default '3' is not of type int"),
    ({"turns": {"type": "int", "default": True}}, "the default True is not of type int"),
    ({"mood": {"choices": [], "default": None}}, "choices must be a list of text values"),
    ({"mood": {"choices": ["a"], "default": "b"}}, "the default 'b' is not one of its choices"),
])
def test_a_bad_task_options_declaration_is_refused_with_a_sentence(tmp_path, declared, says):
    task = tmp_path / "bad_options"
    task.mkdir()
    (task / "task_config.py").write_text(f"task_config = {{'task_options': {declared!r}}}\n")
    (task / "worlds.py").write_text("class TaskWorld:\n    pass\n")
    with pytest.raises(TaskError, match="task bad_options: ") as refused:
        load_task(task)
    assert says in str(refused.value)


@pytest.mark.parametrize(("given", "missing"), [(["--model-url", "http://127.0.0.1:9/v1"], "--model-name"),
                                                (["--model-name", "tiny"], "--model-url")])
def test_model_evaluator_refuses_half_a_model_before_launching_anything(capsys, store_url, monkeypatch, given,
                                                                        missing):
    """check_options: values that do not go together exit 2 with the task's sentence."""
    monkeypatch.delenv("PARLEY_MODEL_URL", raising=False)
    monkeypatch.delenv("PARLEY_MODEL_NAME", raising=False)
    assert main(["run", "tasks/model_evaluator", *given, "--db", store_url]) == 2
    assert f"a model needs both --model-url and --model-name: give {missing}" in capsys.readouterr().err
    assert MTurkDataHandler(db_url=store_url).get_all_run_data() == []


def test_check_options_that_is_not_a_function_is_refused(tmp_path):
    task = tmp_path / "bad_check"
    task.mkdir()
    (task / "task_config.py").write_text("task_config = {'check_options': 'model_url needs model_name'}\n")
    (task / "worlds.py").write_text("class TaskWorld:\n    pass\n")
    with pytest.raises(TaskError, match="task bad_check: check_options must be a function of the option values"):
        load_task(task)


def test_qa_data_collection_takes_its_paragraphs_from_the_squad_file_squad_path_names(store_url, runner_process,
                                                                                     tmp_path):
    squad = tmp_path / "dev.json"
    squad.write_text(json.dumps({"version": "1.1", "data": [{"title": "Kites", "paragraphs": [
        {"context": "Kites were flown in China long ago.", "qas": []}]}]}), encoding="utf-8")
    runner = runner_process(store_url, "tasks/qa_data_collection", "-nc", "1", "--squad-path", str(squad), links=1)
    worker = runner.join(0)
    prompt = worker.wait_for(lambda f: f["type"] == "message" and "task_data" in f["act"])["act"]
    assert prompt["task_data"] == {"title": "Kites", "paragraph": "Kites were flown in China long ago."}


@pytest.mark.parametrize(("content", "says"), [
    (None, "there is no SQuAD file at "),
    ('{"data": [{"title": "T", "paragraphs": [{"qas": []}]}]}',
     "is not in SQuAD's format: data[0].paragraphs[0] has no \"context\" text"),
])
def test_a_squad_path_that_is_missing_or_not_squad_refuses_the_launch_with_exit_2(capsys, store_url, tmp_path,
                                                                                  content, says):
    squad = tmp_path / "dev.json"
    if content is not None:
        squad.write_text(content, encoding="utf-8")
    assert main(["run", "qa_data_collection", "--squad-path", str(squad), "--db", store_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m runner: error: task qa_data_collection: ") and says in err
    assert str(squad) in err
    assert MTurkDataHandler(db_url=store_url).get_all_run_data() == []
