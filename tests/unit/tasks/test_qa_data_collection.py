"""qa_data_collection: a paragraph from a SQuAD-format file, a question, an answer."""
from __future__ import annotations

import json

import pytest

from runner.tasks import TaskError, load_task, prepare_run
from runner.worlds import DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE
from tests.unit.tasks.simulated import SimulatedHuman, build_world, run_world

TASK = "qa_data_collection"
worlds = load_task(TASK).worlds


def paragraphs() -> list[dict[str, str]]:
    return worlds.load_squad(load_task(TASK).path / "squad_sample.json")


def test_task_ships_a_squad_v2_sample_of_about_twenty_distinct_paragraphs_with_titles():
    sample = json.loads((load_task(TASK).path / "squad_sample.json").read_text(encoding="utf-8"))
    assert sample["version"] == "v2.0"
    assert any(qa["is_impossible"] for a in sample["data"] for p in a["paragraphs"] for qa in p["qas"])
    for article in sample["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                for answer in qa["answers"]:  # each answer is where it says it is
                    start = answer["answer_start"]
                    assert paragraph["context"][start:start + len(answer["text"])] == answer["text"]
    shipped = paragraphs()
    assert len(shipped) >= 20
    assert len({p["text"] for p in shipped}) == len(shipped)
    assert all(p["title"].strip() and len(p["text"]) > 100 for p in shipped)


V1_1 = {"version": "1.1", "data": [
    {"title": "Kites", "paragraphs": [
        {"context": "Kites were flown in China more than two thousand years ago.",
         "qas": [{"id": "k1", "question": "Where were kites flown?",
                  "answers": [{"text": "China", "answer_start": 21}]}]},
        {"context": "A kite stays up because the wind pushes on its tilted face.", "qas": []}]},
    {"title": "Tides", "paragraphs": [
        {"context": "Tides rise and fall twice a day, pulled by the Moon.", "qas": []}]}]}
V2_0 = {"version": "v2.0", "data": [
    {"title": "Glass", "paragraphs": [
        {"context": "Glass is made by melting sand with soda and lime.",
         "qas": [{"id": "g1", "question": "What is glass made from?", "is_impossible": False,
                  "answers": [{"text": "sand", "answer_start": 27}]},
                 {"id": "g2", "question": "Who invented glass?", "is_impossible": True, "answers": [],
                  "plausible_answers": [{"text": "soda", "answer_start": 37}]}]}]}]}


def write(tmp_path, content) -> str:
    path = tmp_path / "squad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("squad", "expected"), [
    (V1_1, [("Kites", "Kites were flown"), ("Kites", "A kite stays up"), ("Tides", "Tides rise")]),
    (V2_0, [("Glass", "Glass is made")]),
], ids=["v1.1", "v2.0"])
def test_squad_v1_1_and_v2_0_files_load_every_paragraph_with_its_articles_title(tmp_path, squad, expected):
    task = load_task(TASK)
    task.option_values = {"squad_path": write(tmp_path, squad)}
    loaded = prepare_run(task)["paragraphs"]
    assert [(p["title"], p["text"][:len(start)]) for p, (_, start) in zip(loaded, expected)] == expected
    assert len(loaded) == len(expected)


def test_the_world_shows_a_paragraph_from_the_file_it_was_given(tmp_path):
    task = load_task(TASK)
    task.option_values = {"squad_path": write(tmp_path, V2_0)}
    worker = SimulatedHuman("Worker", ["What is glass made from?", "Sand."])
    world = build_world(TASK, [worker], **prepare_run(task))
    saved, _ = run_world(world, [worker])
    assert worker.observed[0]["task_data"] == {"title": "Glass",
                                               "paragraph": "Glass is made by melting sand with soda and lime."}
    assert saved["custom_data"]["paragraph"] == "Glass is made by melting sand with soda and lime."


def test_the_task_configs_squad_path_is_read_relative_to_the_task_folder(tmp_path):
    task = load_task(TASK)
    (tmp_path / "mine.json").write_text(json.dumps(V1_1), encoding="utf-8")
    task.path = tmp_path
    task.config = {**task.config, "squad_path": "mine.json"}
    assert [p["title"] for p in prepare_run(task)["paragraphs"]] == ["Kites", "Kites", "Tides"]


@pytest.mark.parametrize(("content", "says"), [
    ("{not json", "is not JSON (Expecting property name enclosed in double quotes at line 1, column 2)"),
    ([1, 2], 'is not in SQuAD\'s format: it must be an object whose "data" is a list of articles'),
    ({"data": []}, "it has no paragraphs"),
    ({"data": [{"paragraphs": [{"context": "x", "qas": []}]}]}, 'data[0] has no "title" text'),
    ({"data": [{"title": "T", "paragraphs": [{"context": "x", "qas": []}, {"qas": []}]}]},
     'data[0].paragraphs[1] has no "context" text'),
    ({"data": [{"title": "T", "paragraphs": [{"context": "x", "qas": [{"id": "q", "answers": []}]}]}]},
     'data[0].paragraphs[0].qas[0] has no "question" text'),
    ({"data": [{"title": "T", "paragraphs": [{"context": "x", "qas": [
        {"id": "q", "question": "?", "answers": [{"text": "x", "answer_start": "0"}]}]}]}]},
     'data[0].paragraphs[0].qas[0].answers[0] must have "text" and a whole-number "answer_start"'),
    ({"data": [{"title": "T", "paragraphs": [{"context": "x", "qas": [
        {"id": "q", "question": "?", "answers": [], "is_impossible": "yes"}]}]}]},
     '"is_impossible" must be true or false'),
], ids=["not-json", "a-list", "no-paragraphs", "no-title", "no-context", "no-question", "bad-offset",
        "bad-impossible"])
def test_a_file_not_in_squads_shape_is_refused_at_launch_with_a_sentence(tmp_path, content, says):
    task = load_task(TASK)
    task.option_values = {"squad_path": write(tmp_path, content)}
    with pytest.raises(TaskError) as refused:
        prepare_run(task)
    assert str(refused.value).startswith(f"task {TASK}: {tmp_path / 'squad.json'}")
    assert says in str(refused.value)


def test_a_missing_file_is_refused_with_a_sentence(tmp_path):
    task = load_task(TASK)
    task.option_values = {"squad_path": str(tmp_path / "dev-v2.0.json")}
    with pytest.raises(TaskError, match=f"task {TASK}: there is no SQuAD file at {tmp_path}/dev-v2.0.json"):
        prepare_run(task)


def test_worker_sees_paragraph_then_gives_question_and_answer_which_are_kept():
    worker = SimulatedHuman("Worker", ["Why are reefs shallow?", "The algae need sunlight."])
    world = build_world(TASK, [worker])

    saved, parleys = run_world(world, [worker])

    data = saved["custom_data"]
    assert parleys == 2
    assert data["question"] == "Why are reefs shallow?"
    assert data["answer"] == "The algae need sunlight."
    assert data["outcome"] == "completed"
    assert {"title": data["title"], "text": data["paragraph"]} in paragraphs()
    first = worker.observed[0]
    assert first["id"] == "System"
    assert first["task_data"] == {"title": data["title"], "paragraph": data["paragraph"]}
    assert "question" in first["text"] and "answer" in worker.texts()[1]
    assert "submit" in worker.texts()[-1]


def test_paragraph_is_the_same_for_a_conversation_id_and_varies_across_ids():
    def paragraph_for(conversation_id: str) -> str:
        worker = SimulatedHuman("Worker", ["q", "a"])
        return build_world(TASK, [worker], conversation_id=conversation_id).paragraph["text"]

    assert paragraph_for("conv_7") == paragraph_for("conv_7")
    assert len({paragraph_for(f"conv_{n}") for n in range(30)}) > 5


def test_empty_message_is_asked_for_again_without_using_up_the_turn():
    worker = SimulatedHuman("Worker", ["  ", "What is a tun?", "", "A dormant state."])
    saved, parleys = run_world(build_world(TASK, [worker]), [worker])

    assert saved["custom_data"]["question"] == "What is a tun?"
    assert saved["custom_data"]["answer"] == "A dormant state."
    assert sum("Please type your question" in text for text in worker.texts()) == 1
    assert sum("Please type your answer" in text for text in worker.texts()) == 1
    assert parleys == 4


@pytest.mark.parametrize("leave", [DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE],
                         ids=lambda m: m["leave"])
def test_worker_leaving_after_the_question_ends_the_world_keeping_the_question(leave):
    worker = SimulatedHuman("Worker", ["What is a tun?"], leave_at=1, leave=leave)
    saved, parleys = run_world(build_world(TASK, [worker]), [worker], max_parleys=3)

    assert saved["custom_data"]["question"] == "What is a tun?"
    assert saved["custom_data"]["answer"] is None
    assert saved["custom_data"]["outcome"] == leave["leave"]


def test_disconnect_before_anything_is_typed_ends_the_world_at_once():
    worker = SimulatedHuman("Worker", leave_at=0)
    saved, parleys = run_world(build_world(TASK, [worker]), [worker], max_parleys=1)

    assert parleys == 1
    assert saved["custom_data"]["question"] is None
    assert saved["custom_data"]["outcome"] == "disconnect"
