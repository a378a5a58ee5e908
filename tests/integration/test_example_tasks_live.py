"""Every example task in tasks/, run for real: a runner and its chat server, workers on real
websockets who wait for what the world says and answer it as a person would, the run
completing, and then the conversation read back from the store (messages in order, the
world's custom_data, each worker's status). Each runs on the local provider and on the fake
Prolific (a published study the participants take there and come back to with the page's
completion code).

A worker answers only once every message of the previous turn has reached everyone it was
sent to: the store keeps messages in the order they are written, so this is what makes the
stored order the one asserted here."""
from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runner.tasks import load_task
from tests.fakes.prolific_server import ActionRefused, FakeProlific
from tests.support.form_tasks import good_answers
from tests.support.live_runner import LiveRunner, Worker, fetch
from tests.support.prolific import come_back_with_code, published_study, take_part

TASKS = Path(__file__).resolve().parents[2] / "tasks"
DONE_TEXT = "The conversation is over. Press Done to submit your work."


class Local:
    """Workers open the local provider's links; pressing done is the submission."""

    def __init__(self, store_url: str) -> None:
        self.store_url = store_url

    def start(self, task: str, **options) -> LiveRunner:
        runner = LiveRunner(self.store_url, str(TASKS / task), **options)
        runner.market = self
        return runner

    def join(self, runner: LiveRunner, worker_id: str) -> Worker:
        return runner.join(worker_id)

    def hand_in(self, worker: Worker) -> None:
        pass


class OnProlific:
    """Participants take the run's published study on the fake Prolific, and once their page
    says submitted, come back to Prolific with its completion code."""

    def __init__(self, store_url: str, handler, fake: FakeProlific) -> None:
        self.store_url, self.handler, self.fake = store_url, handler, fake
        self.submissions: dict[int, str] = {}

    def start(self, task: str, **options) -> LiveRunner:
        provider = published_study(self.store_url, self.handler, str(TASKS / task), "-r", "1.00")
        runner = LiveRunner(self.store_url, str(TASKS / task), provider=provider, **{"reward": "1.00", **options})
        runner.market = self
        return runner

    def join(self, runner: LiveRunner, worker_id: str) -> Worker:
        submission_id, worker = take_part(runner, self.fake, worker_id)
        self.submissions[id(worker)] = submission_id
        return worker

    def hand_in(self, worker: Worker) -> None:
        come_back_with_code(self.fake, self.submissions[id(worker)], worker)


def runs_on(market) -> Iterator[Callable[..., LiveRunner]]:
    runners: list[LiveRunner] = []

    def make(task: str, **options) -> LiveRunner:
        runners.append(market.start(task, **options))
        return runners[-1]

    yield make
    for runner in runners:
        runner.stop()


@pytest.fixture(params=["local", "prolific"])
def start(request, store_url, handler):
    """Starts runs of an example task on the local provider, then (second) on the fake Prolific."""
    if request.param == "local":
        yield from runs_on(Local(store_url))
    else:
        yield from runs_on(OnProlific(store_url, handler, request.getfixturevalue("fake_prolific")))


@pytest.fixture
def start_local(store_url):
    """Runs in which one worker takes two assignments (Prolific gives a participant one
    submission of a study, so those flows run there across two runs)."""
    yield from runs_on(Local(store_url))


@pytest.fixture
def start_on_prolific(store_url, handler, fake_prolific):
    yield from runs_on(OnProlific(store_url, handler, fake_prolific))


def worlds_of(task: str):
    return load_task(TASKS / task).worlds


def hears(worker: Worker, text: str, sender: str | None = None) -> dict:
    """Wait until the worker's page shows a message with exactly this text (and sender)."""
    frame = worker.wait_for(lambda f: f["type"] == "message" and f["act"].get("text") == text
                            and (sender is None or f["act"].get("id") == sender))
    return frame["act"]


def hears_start(worker: Worker, start: str) -> dict:
    """Wait until the worker's page shows a message whose text starts with `start`."""
    frame = worker.wait_for(lambda f: f["type"] == "message"
                            and str(f["act"].get("text", "")).startswith(start))
    return frame["act"]


def joined(runner: LiveRunner, *roles: tuple[str, str]) -> list[Worker]:
    """Workers who open their links in this order, (worker_id, role) each, and whose pages
    then say they are in the task in that role."""
    workers = [runner.market.join(runner, worker_id) for worker_id, _ in roles]
    for worker, (_, role) in zip(workers, roles):
        assert worker.wait_state("in_task")["agent_id"] == role
    return workers


def submit(runner: LiveRunner, *workers: Worker) -> None:
    """Every worker sees the end of the task, presses Done and is told it is submitted;
    then the run (which needs no more conversations) ends."""
    for worker in workers:
        state = worker.wait_state("done")
        assert state["text"] == DONE_TEXT
        worker.send_frame({"type": "done"})
        worker.wait_state("submitted")
        runner.market.hand_in(worker)
    assert runner.manager.wait(15)
    assert runner.handler.get_run_data(runner.run_id)["status"] == "completed"


def stored(runner: LiveRunner, conversation_id: str = "t_1") -> dict:
    full = runner.handler.get_full_conversation_data(runner.run_id, conversation_id, False)
    assert full is not None, f"conversation {conversation_id} is not in the store"
    assert [m["turn_index"] for m in full["messages"]] == list(range(len(full["messages"])))
    return full


def lines(full: dict) -> list[tuple[str, str]]:
    return [(m["id"], m["text"]) for m in full["messages"]]


def workers_of(full: dict) -> list[tuple[str, str, str]]:
    return [(w["worker_id"], w["agent_id"], w["status"]) for w in full["workers"]]


# qa_data_collection -----------------------------------------------------------------------

def test_qa_data_collection_keeps_the_paragraph_question_and_answer(start):
    qa = worlds_of("qa_data_collection")
    paragraph = qa.pick_paragraph(qa.load_squad(TASKS / "qa_data_collection" / "squad_sample.json"), "t_1")
    (_, ask_question), (_, ask_answer) = qa.STEPS
    runner = start("qa_data_collection")
    [worker] = joined(runner, ("W1", "Worker"))

    prompt = hears(worker, ask_question, "System")
    assert prompt["task_data"] == {"title": paragraph["title"], "paragraph": paragraph["text"]}
    question_cid = worker.say("What does the first sentence of the paragraph describe?")
    hears(worker, ask_answer, "System")
    answer_cid = worker.say("It describes the paragraph's main subject.")
    hears(worker, "Thank you, that is all! You can submit the HIT now.", "System")
    submit(runner, worker)

    full = stored(runner)
    assert lines(full) == [
        ("System", ask_question),
        ("Worker", "What does the first sentence of the paragraph describe?"),
        ("System", ask_answer),
        ("Worker", "It describes the paragraph's main subject."),
        ("System", "Thank you, that is all! You can submit the HIT now."),
    ]
    assert full["messages"][0]["task_data"] == prompt["task_data"]
    assert [(m["message_id"], m["worker_id"]) for m in full["messages"] if m["id"] == "Worker"] == [
        (question_cid, "W1"), (answer_cid, "W1")]
    assert full["custom_data"] == {
        "paragraph": paragraph["text"], "title": paragraph["title"],
        "question": "What does the first sentence of the paragraph describe?",
        "answer": "It describes the paragraph's main subject.",
        "outcome": "completed",
    }
    assert workers_of(full) == [("W1", "Worker", "submitted")]


# model_evaluator --------------------------------------------------------------------------

def test_model_evaluator_re_asks_an_unreadable_rating_and_keeps_the_valid_one(start):
    evaluator = worlds_of("model_evaluator")
    prompt = random.Random("t_1").choice(evaluator.PROMPTS)
    reply = evaluator.retrieve_reply(prompt)
    assert reply != evaluator.FALLBACK_REPLY  # every prompt has a canned reply of its own
    how_good = "How good is the model's reply? Send a whole number from 0 (useless) to 10 (perfect)."
    re_ask = ("Sorry, 'pretty good' is not a rating we can use. Please send a whole number "
              "from 0 to 10 (try 2 of 3).")
    runner = start("model_evaluator")
    [worker] = joined(runner, ("W1", "Worker"))

    shown = hears(worker, f"The model was asked: {prompt}", "System")
    assert shown["task_data"] == {"prompt": prompt}
    hears(worker, reply, "Model")
    hears(worker, how_good, "System")
    worker.say("pretty good")
    hears(worker, re_ask, "System")
    worker.say("8/10")
    hears(worker, "Thank you for your rating! You can submit the HIT now.", "System")
    submit(runner, worker)

    full = stored(runner)
    assert lines(full) == [
        ("System", f"The model was asked: {prompt}"),
        ("Model", reply),
        ("System", how_good),
        ("Worker", "pretty good"),
        ("System", re_ask),
        ("Worker", "8/10"),
        ("System", "Thank you for your rating! You can submit the HIT now."),
    ]
    assert full["custom_data"] == {"prompt": prompt, "reply": reply, "rating": 8,
                                   "attempts": ["pretty good", "8/10"], "outcome": "rated",
                                   "model": "built-in responder", "model_url": None, "model_error": None}
    assert workers_of(full) == [("W1", "Worker", "submitted")]


# multi_agent_dialog -----------------------------------------------------------------------

def speakers(runner: LiveRunner) -> tuple[Worker, Worker]:
    one, two = joined(runner, ("W1", "Speaker1"), ("W2", "Speaker2"))
    return one, two


def test_multi_agent_dialog_waits_for_the_local_human_and_ends_after_the_workers_final_messages(start):
    final = worlds_of("multi_agent_dialog").FINAL_MESSAGE_TEXT
    runner = start("multi_agent_dialog")
    one, two = speakers(runner)
    host = runner.local_human()
    assert host.wait_state("in_task")["role"] == "LocalAgent"

    # The round robin begins with the local human: nobody else may speak before they do.
    for worker in (one, two):
        worker.wait_for(lambda f: f["type"] == "turn" and f["agent_id"] == "LocalAgent")
    early = one.say("Hello?", wait_ack=False)
    assert one.wait_for(lambda f: f.get("cid") == early)["error"] == "It is not your turn: wait for LocalAgent."

    rounds = [("Hello both! Where shall we picnic?", "The park by the river!", "Yes, the park."),
              ("What should each of us bring?", "Sandwiches.", "I'll bring fruit."),
              ("Lovely. See you there! [DONE]", "Bye, thanks!", "Bye all!")]
    expected = []
    for host_line, first, second in rounds:
        host.say(host_line)
        hears(one, host_line, "LocalAgent")
        hears(two, host_line, "LocalAgent")
        expected.append(("LocalAgent", host_line))
        if host_line.endswith("[DONE]"):
            hears(one, final, "System")
            hears(two, final, "System")
            expected.append(("System", final))
        one.say(first)
        hears(two, first, "Speaker1")
        hears(host, first, "Speaker1")
        two.say(second)
        hears(one, second, "Speaker2")
        hears(host, second, "Speaker2")
        expected += [("Speaker1", first), ("Speaker2", second)]
    assert host.wait_state("ended")["text"] == "The conversation is over. Thank you! You can close this page."
    submit(runner, one, two)

    full = stored(runner)
    assert lines(full) == expected
    assert lines(full)[-2:] == [("Speaker1", "Bye, thanks!"), ("Speaker2", "Bye all!")]
    assert [m["worker_id"] for m in full["messages"]] == [
        {"LocalAgent": None, "System": None, "Speaker1": "W1", "Speaker2": "W2"}[sender] for sender, _ in expected]
    # The local human's messages were shown to both workers; the final notice to the workers alone.
    assert {m["text"]: m.get("recipients") for m in full["messages"] if m["id"] in ("LocalAgent", "System")} == {
        **{line: ["Speaker1", "Speaker2"] for line, _, _ in rounds}, final: ["Speaker1", "Speaker2"]}
    assert full["custom_data"] == {"outcome": "done", "ended_by": "LocalAgent", "rounds": 3, "messages": 9}
    # The local human is no worker: two assignments, both submitted.
    assert workers_of(full) == [("W1", "Speaker1", "submitted"), ("W2", "Speaker2", "submitted")]
    assert len(runner.handler.get_assignments_for_run(runner.run_id)) == 2
    assert one.texts() == [m["text"] for m in full["messages"] if m["id"] != "Speaker1"]
    assert host.texts() == [m["text"] for m in full["messages"] if m["id"] in ("Speaker1", "Speaker2")]


def test_multi_agent_dialog_a_workers_done_does_not_end_the_chat_and_the_local_page_submits_nothing(start):
    runner = start("multi_agent_dialog")
    one, two = speakers(runner)
    host = runner.local_human()
    host.say("Shall we plan?")
    hears(one, "Shall we plan?", "LocalAgent")
    one.say("Sure. [DONE]")
    hears(two, "Sure. [DONE]", "Speaker1")
    two.wait_turn()
    assert runner.handler.get_run_data(runner.run_id)["status"] == "running"
    host.send_frame({"type": "return"})
    assert host.wait_for(lambda f: f["type"] == "error")["error"] == "A local human has no task to submit or give back."
    two.say("Fine.")
    host.say("Thank you both! [DONE]")
    one.say("Bye.")
    two.say("Bye!")
    submit(runner, one, two)
    assert lines(stored(runner))[-2:] == [("Speaker1", "Bye."), ("Speaker2", "Bye!")]


def test_multi_agent_dialog_a_local_human_link_with_a_wrong_key_is_refused(start):
    runner = start("multi_agent_dialog")
    speakers(runner)
    runner.local_human()
    page = fetch(f"{runner.server.url}/local/{runner.run_id}/not-the-key")
    assert page.status == 404 and "This link is not for a conversation running here." in page.html


# dealnodeal -------------------------------------------------------------------------------

def worth(allocation: dict[str, int], values: dict[str, int]) -> int:
    return sum(n * values[item] for item, n in allocation.items())


def test_dealnodeal_chat_reject_then_accept_scores_each_negotiator_by_their_own_values(start):
    deal = worlds_of("dealnodeal")
    describe, points_text = deal.describe, deal.points_text
    counts, (values1, values2) = deal.make_scenario(random.Random("t_1"))
    keep_books = {"book": counts["book"], "hat": 0, "ball": 0}
    give_books = {item: counts[item] - keep_books[item] for item in counts}
    keep_half = {item: n // 2 for item, n in counts.items()}
    give_half = {item: counts[item] - keep_half[item] for item in counts}
    points1, points2 = worth(keep_half, values1), worth(give_half, values2)
    runner = start("dealnodeal")
    one, two = joined(runner, ("W1", "Negotiator1"), ("W2", "Negotiator2"))

    # Each sees the items and only their own values.
    intro1 = hears_start(one, "Agree with your partner")
    intro2 = hears_start(two, "Agree with your partner")
    assert (intro1["task_data"]["items"], intro1["task_data"]["values"]) == (counts, values1)
    assert (intro2["task_data"]["items"], intro2["task_data"]["values"]) == (counts, values2)
    assert values1 != values2
    assert intro1["text"] == intro2["text"]

    one.say("I would really like the books.")
    hears(two, "I would really like the books.", "Negotiator1")
    two.say("I mostly care about hats.")
    hears(one, "I mostly care about hats.", "Negotiator2")

    first_offer = (f"Negotiator1 proposes to keep {describe(keep_books)}. If you accept, you get "
                   f"{describe(give_books)}: {points_text(worth(give_books, values2))} for you. "
                   "Accept, reject, or propose something else.")
    second_offer = (f"Negotiator1 proposes to keep {describe(keep_half)}. If you accept, you get "
                    f"{describe(give_half)}: {points_text(points2)} for you. "
                    "Accept, reject, or propose something else.")
    went = "Your proposal went to Negotiator2; they can accept or reject it."

    one.say("Here is my offer.", task_data={"proposal": keep_books})
    words = hears(two, "Here is my offer.", "Negotiator1")
    assert "task_data" not in words  # the proposal reaches the partner through the world only
    offer = hears(two, first_offer, "System")
    assert offer["task_data"]["pending_proposal"] == {
        "they_keep": keep_books, "you_get": give_books, "your_points": worth(give_books, values2)}
    assert hears(one, went, "System")["task_data"]["my_proposal"] == keep_books
    two.say("No thanks.", task_data={"response": "reject"})
    hears(one, "Negotiator2 rejected your proposal.", "System")
    hears(two, "You rejected the proposal.", "System")

    one.say("How about we split everything?", task_data={"proposal": keep_half})
    offer = hears(two, second_offer, "System")
    assert offer["task_data"]["pending_proposal"]["your_points"] == points2
    one.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == went
                 and f["act"]["task_data"]["my_proposal"] == keep_half)
    two.say("Deal.", task_data={"response": "accept"})
    end1 = f"Deal! You get {describe(keep_half)}, worth {points_text(points1)} to you. Thank you! You can submit now."
    end2 = f"Deal! You get {describe(give_half)}, worth {points_text(points2)} to you. Thank you! You can submit now."
    assert hears(one, end1, "System")["task_data"]["your_points"] == points1
    assert hears(two, end2, "System")["task_data"]["your_points"] == points2
    submit(runner, one, two)

    full = stored(runner)
    assert lines(full) == [
        ("System", intro1["text"]), ("System", intro2["text"]),
        ("Negotiator1", "I would really like the books."),
        ("Negotiator2", "I mostly care about hats."),
        ("Negotiator1", "Here is my offer."), ("System", first_offer), ("System", went),
        ("Negotiator2", "No thanks."),
        ("System", "Negotiator2 rejected your proposal."), ("System", "You rejected the proposal."),
        ("Negotiator1", "How about we split everything?"), ("System", second_offer), ("System", went),
        ("Negotiator2", "Deal."),
        ("System", end1), ("System", end2),
    ]
    # What each negotiator sent is stored as sent, structured act included.
    assert [(m["id"], m["worker_id"], m.get("task_data")) for m in full["messages"]
            if m["id"] != "System"] == [
        ("Negotiator1", "W1", None), ("Negotiator2", "W2", None),
        ("Negotiator1", "W1", {"proposal": keep_books}), ("Negotiator2", "W2", {"response": "reject"}),
        ("Negotiator1", "W1", {"proposal": keep_half}), ("Negotiator2", "W2", {"response": "accept"}),
    ]
    assert full["custom_data"] == {
        "items": counts,
        "values": {"Negotiator1": values1, "Negotiator2": values2},
        "outcome": "deal",
        "ended_by": "Negotiator2",
        "deal": {"Negotiator1": keep_half, "Negotiator2": give_half},
        "points": {"Negotiator1": points1, "Negotiator2": points2},
        "workers": {"Negotiator1": "W1", "Negotiator2": "W2"},
        "proposals": [{"by": "Negotiator1", "keep": keep_books, "response": "reject"},
                      {"by": "Negotiator1", "keep": keep_half, "response": "accept"}],
        "turns": 6,
    }
    assert [(w["worker_id"], w["agent_id"], w["status"], w["data"]) for w in full["workers"]] == [
        ("W1", "Negotiator1", "submitted", {"role": "Negotiator1", "points": points1}),
        ("W2", "Negotiator2", "submitted", {"role": "Negotiator2", "points": points2}),
    ]
    # Neither negotiator's page ever showed the other's values.
    assert all((f["act"].get("task_data") or {}).get("values") in (None, values2)
               for f in two.frames if f["type"] == "message")
    assert all((f["act"].get("task_data") or {}).get("values") in (None, values1)
               for f in one.frames if f["type"] == "message")


# qualification_flow_example ---------------------------------------------------------------

def test_qualification_flow_a_passed_test_then_real_sums_on_the_next_assignment(start_local):
    flow = worlds_of("qualification_flow_example")
    runner = start_local("qualification_flow_example", num_conversations=2)

    def do_assignment(problems, answers):
        [worker] = joined(runner, ("W1", "Worker"))
        for n, ((a, b), answer) in enumerate(zip(problems, answers), 1):
            asked = hears(worker, f"Problem {n} of 3: what is {a} + {b}? Answer with a number.")
            assert asked["task_data"] == {"problem": f"{a} + {b}"}
            worker.say(answer)
        return worker

    right = [str(a + b) for a, b in flow.TEST_PROBLEMS]
    first = do_assignment(flow.TEST_PROBLEMS, right)
    hears_start(first, "You passed the test.")
    first.wait_state("done")
    first.send_frame({"type": "done"})
    first.wait_state("submitted")
    assert not runner.manager.finished.is_set()  # one more conversation to go

    real = flow.real_problems("t_2")
    assert real != flow.TEST_PROBLEMS
    second = do_assignment(real, ["1", "2", "3"])
    hears(second, "Thank you! You can submit the HIT now.", "System")
    submit(runner, second)

    test, work = stored(runner, "t_1"), stored(runner, "t_2")
    assert test["custom_data"] == {
        "kind": "test", "problems": [list(p) for p in flow.TEST_PROBLEMS], "answers": right,
        "correct": [True, True, True], "passed": True, "outcome": "completed"}
    assert lines(test)[-1][1].startswith("You passed the test.")
    assert [text for sender, text in lines(test) if sender == "Worker"] == right
    assert work["custom_data"] == {
        "kind": "real", "problems": [list(p) for p in real], "answers": ["1", "2", "3"],
        "correct": [a + b == n for (a, b), n in zip(real, (1, 2, 3))], "passed": None,
        "outcome": "completed"}
    expected = []
    for n, ((a, b), answer) in enumerate(zip(real, ["1", "2", "3"]), 1):
        expected += [("System", f"Problem {n} of 3: what is {a} + {b}? Answer with a number."),
                     ("Worker", answer)]
    assert lines(work) == [*expected, ("System", "Thank you! You can submit the HIT now.")]
    assert workers_of(test) == [("W1", "Worker", "submitted")]
    assert workers_of(work) == [("W1", "Worker", "submitted")]
    h = runner.handler
    assert {q["name"] for q in h.get_worker_qualifications("W1")} == {flow.TESTED_QUALIFICATION}
    assert h.get_blocks_for_worker("W1") == []


def test_qualification_flow_a_failed_test_blocks_the_worker_from_the_next_assignment(start_local):
    flow = worlds_of("qualification_flow_example")
    runner = start_local("qualification_flow_example", num_conversations=2)
    h = runner.handler

    [failing] = joined(runner, ("W9", "Worker"))
    for n, ((a, b), answer) in enumerate(zip(flow.TEST_PROBLEMS, ["7", "41", "80"]), 1):
        hears(failing, f"Problem {n} of 3: what is {a} + {b}? Answer with a number.", "System")
        failing.say(answer)
    told = ("Some of your answers were wrong, so you cannot take more HITs of this task. "
            "You can still submit this one. Thank you for trying!")
    hears(failing, told, "System")
    failing.wait_state("done")
    failing.send_frame({"type": "done"})
    failing.wait_state("submitted")  # the failed test is still their work, and submitted

    [block] = h.get_blocks_for_worker("W9")
    assert block["kind"] == "soft" and block["run_id"] == runner.run_id
    assert block["qualification_id"] == h.get_qualification("parley_qualification_flow_example_block", False)["id"]
    assert {q["name"] for q in h.get_worker_qualifications("W9")} == {flow.TESTED_QUALIFICATION}
    assert [(r["action"], r["outcome"]) for r in h.get_review_actions(worker_id="W9")] == [
        ("grant_qualification", "succeeded"), ("soft_block", "succeeded")]

    # The run still wants a conversation, but not from W9: their next link is refused.
    assert not runner.manager.finished.is_set()
    page = fetch(runner.link("W9", assignment_id="A-W9-again"))
    assert page.status == 403
    assert "You are not able to work on this task. Thank you for your interest." in page.html
    assert 'id="parley-config"' not in page.html
    assert h.get_assignment_data("A-W9-again") is None
    [tested] = h.get_all_assignments_for_worker("W9")  # the refused link left nothing behind

    # Another worker is not affected: they take the test and the run completes.
    [other] = joined(runner, ("W2", "Worker"))
    for n, (a, b) in enumerate(flow.TEST_PROBLEMS, 1):
        hears(other, f"Problem {n} of 3: what is {a} + {b}? Answer with a number.", "System")
        other.say(str(a + b))
    hears_start(other, "You passed the test.")
    submit(runner, other)

    failed = stored(runner, "t_1")
    assert failed["custom_data"] == {
        "kind": "test", "problems": [list(p) for p in flow.TEST_PROBLEMS],
        "answers": ["7", "41", "80"], "correct": [True, True, False], "passed": False,
        "outcome": "completed"}
    assert lines(failed)[-1] == ("System", told)
    assert workers_of(failed) == [("W9", "Worker", "submitted")]
    assert failed["workers"][0]["assignment_id"] == tested["assignment_id"]
    passed = stored(runner, "t_2")
    assert passed["custom_data"]["passed"] is True
    assert workers_of(passed) == [("W2", "Worker", "submitted")]
    assert h.get_blocks_for_worker("W2") == []


def answer_the_test(worker: Worker, problems, answers) -> None:
    for n, ((a, b), answer) in enumerate(zip(problems, answers), 1):
        hears(worker, f"Problem {n} of 3: what is {a} + {b}? Answer with a number.", "System")
        worker.say(answer)


def hand_in(runner: LiveRunner, worker: Worker) -> None:
    worker.wait_state("done")
    worker.send_frame({"type": "done"})
    worker.wait_state("submitted")
    runner.market.hand_in(worker)


def test_qualification_flow_on_prolific_a_failed_test_keeps_them_out_of_later_studies_a_passed_one_lets_them_in(
        start_on_prolific, fake_prolific):
    flow = worlds_of("qualification_flow_example")
    first = start_on_prolific("qualification_flow_example", num_conversations=2)
    [passer] = joined(first, ("P1", "Worker"))
    answer_the_test(passer, flow.TEST_PROBLEMS, [str(a + b) for a, b in flow.TEST_PROBLEMS])
    hears_start(passer, "You passed the test.")
    hand_in(first, passer)
    [failer] = joined(first, ("P9", "Worker"))
    answer_the_test(failer, flow.TEST_PROBLEMS, ["7", "41", "80"])
    hears_start(failer, "Some of your answers were wrong")
    hand_in(first, failer)
    assert first.manager.wait(15)
    h = first.handler
    assert [(b["kind"], b["run_id"]) for b in h.get_blocks_for_worker("P9")] == [("soft", first.run_id)]
    assert h.get_blocks_for_worker("P1") == []

    second = start_on_prolific("qualification_flow_example", num_conversations=1)
    with pytest.raises(ActionRefused, match="blocklisted"):  # Prolific itself keeps them out
        fake_prolific.start_study(second.provider.hit_ids[0], "P9")
    [again] = joined(second, ("P1", "Worker"))
    real = flow.real_problems("t_1")
    answer_the_test(again, real, ["1", "2", "3"])
    hears(again, "Thank you! You can submit the HIT now.", "System")
    submit(second, again)
    work = stored(second)
    assert (work["custom_data"]["kind"], work["custom_data"]["answers"]) == ("real", ["1", "2", "3"])
    assert workers_of(work) == [("P1", "Worker", "submitted")]


# custom_frontend_demo ---------------------------------------------------------------------

QUESTIONS = ["How many legs has a spider?", "What is pi, roughly?", "Boiling point of water in C?"]


def test_custom_frontend_demo_three_roles_each_message_lands_with_its_role(start):
    runner = start("custom_frontend_demo")
    roles = {"Asker": "W1", "Answerer": "W2", "Evaluator": "W3"}
    asker, answerer, evaluator = joined(runner, *((w, role) for role, w in roles.items()))
    welcome = ("Welcome! The Asker asks 3 questions, the Answerer answers each with a number, "
               "and the Evaluator decides at the end.")
    re_ask = "Please answer with a number only, such as 42 or 3.5 ('eight' is not one)."
    last = ("That was the last question. Approve the conversation if the Answerer tried to "
            "answer every question sensibly; reject it otherwise.")
    verdict = "The Evaluator chose to approve this conversation. Thank you all! You can submit now."
    for worker in (asker, answerer, evaluator):
        hears(worker, welcome, "System")

    for question, answers in zip(QUESTIONS, [("eight", "8"), ("3.14",), ("100",)]):
        asker.say(question)
        hears(answerer, question, "Asker")
        hears(evaluator, question, "Asker")
        for answer in answers:
            answerer.say(answer)
            if answer == "eight":
                hears(answerer, re_ask, "System")
        hears(asker, answers[-1], "Answerer")
        hears(evaluator, answers[-1], "Answerer")
    asked = hears(evaluator, last, "System")
    assert asked["task_data"] == {"evaluate": True}
    evaluator.say("I approve this conversation.", task_data={"evaluation": "approve"})
    for worker in (asker, answerer, evaluator):
        assert hears(worker, verdict, "System")["task_data"] == {"evaluate": False}
    submit(runner, asker, answerer, evaluator)

    full = stored(runner)
    assert lines(full) == [
        ("System", welcome),
        ("Asker", QUESTIONS[0]), ("Answerer", "eight"), ("System", re_ask), ("Answerer", "8"),
        ("Asker", QUESTIONS[1]), ("Answerer", "3.14"),
        ("Asker", QUESTIONS[2]), ("Answerer", "100"),
        ("System", last),
        ("Evaluator", "I approve this conversation."),
        ("System", verdict),
    ]
    # Each role's messages are stored under that role and the worker who played it.
    for message in full["messages"]:
        assert message["worker_id"] == roles.get(message["id"]), message
    assert full["messages"][-2]["task_data"] == {"evaluation": "approve"}
    # Over the wire, too: each worker sees the others' messages under their roles, the
    # re-ask only goes to the Answerer, and nobody else sees the answer it refused.
    chat = {worker: [(f["act"]["id"], f["act"]["text"]) for f in worker.frames
                     if f["type"] == "message" and f["act"]["id"] != "System"]
            for worker in (asker, answerer, evaluator)}
    assert chat[asker] == [("Answerer", "8"), ("Answerer", "3.14"), ("Answerer", "100")]
    assert chat[answerer] == [("Asker", q) for q in QUESTIONS]
    assert chat[evaluator] == [("Asker", QUESTIONS[0]), ("Answerer", "8"), ("Asker", QUESTIONS[1]),
                               ("Answerer", "3.14"), ("Asker", QUESTIONS[2]), ("Answerer", "100")]
    assert re_ask not in asker.texts() + evaluator.texts()
    assert full["custom_data"] == {
        "rounds": [{"question": q, "answer": a} for q, a in zip(QUESTIONS, ["8", "3.14", "100"])],
        "evaluation": "approve", "outcome": "evaluated", "ended_by": "Evaluator"}
    assert workers_of(full) == [("W1", "Asker", "submitted"), ("W2", "Answerer", "submitted"),
                                ("W3", "Evaluator", "submitted")]


def test_dialog_rating_two_workers_each_answer_a_dialog_and_a_gold_and_every_answer_is_kept(start):
    runner = start("dialog_rating", num_conversations=load_task(TASKS / "dialog_rating").default_conversations())
    for worker_id in ("R1", "R2"):
        worker = runner.market.join(runner, worker_id)
        for item in worker.wait_for(lambda f: f["type"] == "form")["items"]:
            assert worker.answer(item["item_id"], good_answers(item))["type"] == "ack"
        worker.wait_state("done")
        worker.send_frame({"type": "done"})
        worker.wait_state("submitted")
        runner.market.hand_in(worker)
    rows = runner.handler.get_form_answers(runner.run_id)
    assert sorted((r["worker_id"], r["is_gold"]) for r in rows) == [
        ("R1", False), ("R1", True), ("R2", False), ("R2", True)]
    assert all(r["gold_correct"] == (r["item_id"] == "gold-capital") for r in rows if r["is_gold"])
    assert len({r["item_id"] for r in rows if not r["is_gold"]}) == 2  # fewest answers first
