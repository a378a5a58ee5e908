"""qa_data_collection: a paragraph, a question, an answer."""
from __future__ import annotations

import json

import pytest

from runner.tasks import load_task
from runner.worlds import DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE
from tests.unit.tasks.simulated import SimulatedHuman, build_world, run_world

TASK = "qa_data_collection"


def paragraphs() -> list[dict[str, str]]:
    return json.loads((load_task(TASK).path / "paragraphs.json").read_text(encoding="utf-8"))


def test_task_ships_about_twenty_distinct_paragraphs_with_titles():
    shipped = paragraphs()
    assert len(shipped) >= 20
    assert len({p["text"] for p in shipped}) == len(shipped)
    assert all(p["title"].strip() and len(p["text"]) > 100 for p in shipped)


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
