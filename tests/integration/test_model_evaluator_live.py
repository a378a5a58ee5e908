"""model_evaluator run from the command line against a fake OpenAI-compatible server: its
flags make the Model ask that server, the worker reads the server's reply (or, when the
server fails, a line saying so) and rates it, and the store keeps both, never the key."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from datastore import MTurkDataHandler
from runner.cli import main
from runner.model_agent import API_KEY_ENV
from tests.fakes.openai_server import FakeOpenAI
from tests.integration.test_runner_process import RunnerProcess
from tests.support.live_runner import Worker

TASK = "tasks/model_evaluator"
KEY = "sk-live-run-key-0123456789"
HOW_GOOD = "How good is the model's reply? Send a whole number from 0 (useless) to 10 (perfect)."


@pytest.fixture
def fake(monkeypatch) -> Iterator[FakeOpenAI]:
    """The fake server, needing KEY, which the runner's environment holds."""
    monkeypatch.setenv(API_KEY_ENV, KEY)
    with FakeOpenAI(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def runner_process():
    started: list[RunnerProcess] = []
    yield lambda *args: started.append(RunnerProcess(*args, links=1)) or started[-1]
    for process in started:
        process.kill()


def rate(worker: Worker, rating: str) -> str:
    """Wait for the Model's message and the question, send the rating, submit; answer the
    Model's text."""
    model_said = worker.wait_for(lambda f: f["type"] == "message" and f["act"]["id"] == "Model")["act"]["text"]
    worker.wait_for(lambda f: f["type"] == "message" and f["act"].get("text") == HOW_GOOD)
    worker.say(rating)
    worker.wait_state("done")
    worker.send_frame({"type": "done"})
    worker.wait_state("submitted")
    return model_said


def stored(store_url: str, run_id: str) -> dict:
    full = MTurkDataHandler(db_url=store_url).get_full_conversation_data(run_id, "t_1", False)
    assert full is not None
    return full


def test_the_model_flags_make_the_worker_rate_the_servers_reply(store_url, fake, runner_process):
    fake.reply = lambda messages: f"The server's answer to: {messages[-1]['content']}"
    runner = runner_process(store_url, TASK, "-nc", "1", "--model-url", fake.url, "--model-name", "tiny-chat",
                            "--system-prompt", "Answer in one sentence.")
    worker = runner.join(0)
    model_said = rate(worker, "7")
    code, out, err = runner.finish()
    assert code == 0, err

    [[system, prompt]] = fake.sent_messages
    assert system == {"role": "system", "content": "Answer in one sentence."}
    assert model_said == f"The server's answer to: {prompt['content']}"
    assert fake.requests[0].body["model"] == "tiny-chat"
    assert fake.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    full = stored(store_url, runner.run_id)
    assert ("Model", model_said) in [(m["id"], m["text"]) for m in full["messages"]]
    data = full["custom_data"]
    assert (data["reply"], data["rating"], data["outcome"]) == (model_said, 7, "rated")
    assert (data["model"], data["model_url"], data["model_error"]) == ("tiny-chat", fake.url, None)
    assert f"the Model is tiny-chat at {fake.url}" in err
    assert KEY not in out + err + json.dumps(full, default=str)


def test_a_server_error_gives_the_worker_a_line_and_the_run_still_ends_with_the_rating(store_url, fake,
                                                                                       runner_process):
    fake.fail_next(status=500, times=3)  # the first try and the client's two retries
    runner = runner_process(store_url, TASK, "-nc", "1", "--model-url", fake.url, "--model-name", "tiny-chat")
    worker = runner.join(0)
    line = "[The model could not answer: the server said 500 Internal Server Error.]"
    assert rate(worker, "0") == line
    code, out, err = runner.finish()
    assert code == 0, err

    assert len(fake.requests) == 3
    data = stored(store_url, runner.run_id)["custom_data"]
    assert (data["reply"], data["rating"], data["outcome"], data["model_error"]) == (line, 0, "rated", "status_500")
    assert "could not answer: the server said 500 Internal Server Error" in err
    assert KEY not in out + err


def test_help_lists_the_model_flags_and_says_what_answers_without_them(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["run", TASK, "--help"])
    assert exited.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--model-url MODEL_URL" in out and "--model-name MODEL_NAME" in out and "--system-prompt" in out
    assert "the built-in keyword responder" in out and "$PARLEY_MODEL_API_KEY" in out
