"""model_evaluator: a retrieval bot answers a prompt and the worker rates the reply 0-10."""
from __future__ import annotations

import pytest

from runner.tasks import load_task
from runner.worlds import DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE
from tests.fakes.openai_server import FakeOpenAI
from tests.unit.tasks.simulated import SimulatedHuman, build_world, run_world

TASK = "model_evaluator"
worlds = load_task(TASK).worlds


def test_model_retrieves_the_canned_reply_sharing_most_keywords_with_the_prompt():
    assert worlds.retrieve_reply("Will it rain in Lisbon this spring?").startswith("Spring is usually")
    assert worlds.retrieve_reply("what eggs recipe for dinner") == worlds.retrieve_reply(
        "What should I cook for dinner tonight if I only have rice and eggs?")
    assert worlds.retrieve_reply("Tell me about quantum gravity.") == worlds.FALLBACK_REPLY


def test_every_prompt_gets_a_canned_reply_rather_than_the_fallback():
    replies = {worlds.retrieve_reply(prompt) for prompt in worlds.PROMPTS}
    assert worlds.FALLBACK_REPLY not in replies
    assert len(replies) == len(worlds.PROMPTS)


@pytest.mark.parametrize(("text", "rating"), [
    ("7", 7), (" 0 ", 0), ("10", 10), ("8/10", 8),
    ("11", None), ("-1", None), ("seven", None), ("7.5", None), ("", None),
])
def test_a_rating_is_a_whole_number_from_0_to_10(text, rating):
    assert worlds.parse_rating(text) == rating


def test_worker_sees_prompt_and_model_reply_and_their_rating_is_kept():
    worker = SimulatedHuman("Worker", ["8"])
    world = build_world(TASK, [worker])

    saved, parleys = run_world(world, [worker])

    data = saved["custom_data"]
    assert parleys == 1
    assert data["prompt"] in worlds.PROMPTS
    assert data["reply"] == worlds.retrieve_reply(data["prompt"])
    assert data["rating"] == 8
    assert data["outcome"] == "rated"
    senders = [act["id"] for act in worker.observed]
    assert senders[:3] == ["System", worlds.MODEL_ID, "System"]
    assert worker.observed[0]["task_data"] == {"prompt": data["prompt"]}
    assert worker.observed[1]["text"] == data["reply"]
    assert "0" in worker.texts()[2] and "10" in worker.texts()[2]


def test_prompt_is_chosen_by_conversation_id():
    def prompt_for(conversation_id: str) -> str:
        return build_world(TASK, [SimulatedHuman("Worker")], conversation_id=conversation_id).prompt

    assert prompt_for("c_3") == prompt_for("c_3")
    assert len({prompt_for(f"c_{n}") for n in range(30)}) > 3


def test_invalid_rating_gets_a_polite_re_ask_then_a_valid_one_is_kept():
    worker = SimulatedHuman("Worker", ["great!", "42", "6"])
    saved, parleys = run_world(build_world(TASK, [worker]), [worker])

    data = saved["custom_data"]
    assert data["rating"] == 6
    assert data["attempts"] == ["great!", "42", "6"]
    re_asks = [text for text in worker.texts() if text.startswith("Sorry")]
    assert len(re_asks) == 2
    assert "'great!'" in re_asks[0] and "0 to 10" in re_asks[0]
    assert parleys == 3


def test_three_invalid_ratings_end_the_task_without_a_rating():
    worker = SimulatedHuman("Worker", ["good", "very good", "excellent", "never asked"])
    saved, parleys = run_world(build_world(TASK, [worker]), [worker])

    assert parleys == worlds.MAX_TRIES == 3
    assert saved["custom_data"]["rating"] is None
    assert saved["custom_data"]["outcome"] == "no_valid_rating"
    assert worker.script == ["never asked"]
    assert "submit" in worker.texts()[-1]


@pytest.mark.parametrize("leave", [DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE],
                         ids=lambda m: m["leave"])
def test_worker_leaving_after_an_invalid_rating_ends_the_world(leave):
    worker = SimulatedHuman("Worker", ["meh"], leave_at=1, leave=leave)
    saved, parleys = run_world(build_world(TASK, [worker]), [worker], max_parleys=2)

    data = saved["custom_data"]
    assert data["rating"] is None
    assert data["reply"] is not None
    assert data["outcome"] == leave["leave"]


# The model: a server's, or the built-in responder -------------------------------------------

def test_without_model_options_the_built_in_responder_answers_and_custom_data_says_so():
    worker = SimulatedHuman("Worker", ["5"])
    world = build_world(TASK, [worker], model_url=None, model_name=None)  # whatever PARLEY_MODEL_* say
    data = run_world(world, [worker])[0]["custom_data"]
    assert (data["model"], data["model_url"], data["model_error"]) == ("built-in responder", None, None)


def test_with_a_model_url_and_name_the_servers_reply_is_shown_and_rated():
    with FakeOpenAI(reply=lambda messages: "Egg fried rice, from the server.") as fake:
        worker = SimulatedHuman("Worker", ["9"])
        world = build_world(TASK, [worker], model_url=fake.url, model_name="tiny", system_prompt="Be kind.")
        data = run_world(world, [worker])[0]["custom_data"]
        sent = fake.sent_messages
    assert worker.observed[1] == {"id": "Model", "text": "Egg fried rice, from the server.", "episode_done": False}
    assert sent == [[{"role": "system", "content": "Be kind."}, {"role": "user", "content": data["prompt"]}]]
    assert (data["reply"], data["rating"], data["outcome"]) == ("Egg fried rice, from the server.", 9, "rated")
    assert (data["model"], data["model_url"], data["model_error"]) == ("tiny", fake.url, None)


def test_a_failing_server_gives_the_worker_the_failure_line_and_the_rating_is_still_kept():
    with FakeOpenAI() as fake:
        fake.fail_next(status=500, times=3)
        worker = SimulatedHuman("Worker", ["0"])
        data = run_world(build_world(TASK, [worker], model_url=fake.url, model_name="tiny"), [worker])[0]["custom_data"]
    line = "[The model could not answer: the server said 500 Internal Server Error.]"
    assert worker.texts()[1] == line
    assert (data["reply"], data["rating"], data["outcome"], data["model_error"]) == (line, 0, "rated", "status_500")


def test_the_model_options_default_to_parley_model_url_and_name(monkeypatch):
    monkeypatch.setenv("PARLEY_MODEL_URL", "http://models.internal:8000/v1")
    monkeypatch.setenv("PARLEY_MODEL_NAME", "llama-3-8b")
    assert load_task(TASK).option_values == {"model_url": "http://models.internal:8000/v1",
                                             "model_name": "llama-3-8b", "system_prompt": None}
    monkeypatch.delenv("PARLEY_MODEL_URL")
    monkeypatch.delenv("PARLEY_MODEL_NAME")
    assert load_task(TASK).option_values == {"model_url": None, "model_name": None, "system_prompt": None}
