"""A ParlAI-MTurk task folder run through parlai_compat: the example's run.py as a user runs
it, and the MTurkManager in-process, with workers on the real websocket (local provider);
the data read back through MTurkDataHandler and ParlAI's analysis script; the manager's
review calls audited and idempotent; eligibility keeping a worker unpaired; what Parley
cannot run refused with a sentence."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from datastore import MTurkDataHandler
from datastore.states import ReviewAction
from examples.parlai_mturk.qa_collection import run as qa_run
from examples.parlai_mturk.qa_collection.task_config import task_config
from examples.parlai_mturk.qa_collection.worlds import (
    PARAGRAPHS,
    QACollectionOnboardWorld,
    QACollectionWorld,
)
from parlai_compat.core.params import ParlaiParser
from parlai_compat.mturk.core.mturk_manager import MTurkManager, NotSupported
from tests.integration.test_parlai_compat import PARLAI_SCRIPT
from tests.support.live_runner import Worker, fetch
from tests.support.parlai_compat import (
    link_for,
    open_link,
    open_on_mturk,
    printed_link,
    run_py,
    task_started,
    the_one_role,
    wait_until,
)

EXAMPLE = Path(qa_run.__file__).resolve().parent
WELCOME = "Welcome! Before we start: what do you like to read?"
ASK_ANSWER = "Thanks. And what is the answer to your question?"


def onboard(worker: Worker, likes: str) -> None:
    worker.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == WELCOME)
    worker.say(likes)


def ask_and_answer(worker: Worker, question: str, answer: str) -> str:
    """The worker asks and answers; answers the paragraph they were shown."""
    shown = worker.wait_for(lambda f: f["type"] == "message" and "Please ask a question" in f["act"]["text"])
    worker.say(question)
    worker.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == ASK_ANSWER)
    worker.say(answer)
    worker.wait_state("done")
    worker.send_frame({"type": "done"})
    return shown["act"]["text"].split("\n\n")[0]


def test_the_example_run_py_prints_a_worker_link_and_collects_one_conversation_into_the_store(
        store_url, store_env, monkeypatch, capsys):
    with run_py(qa_run.main, ["-nc", "1", "--db", store_url], monkeypatch) as done:
        worker = open_link(printed_link(capsys))
        onboard(worker, "mysteries")
        paragraph = ask_and_answer(worker, "Where does the Rhine rise?", "In the Swiss Alps.")
    worker.close()
    assert done.is_set(), "run.py's main() did not return once its conversation was collected"

    handler = MTurkDataHandler(db_url=store_url)
    [run] = handler.get_all_run_data()
    [pairing] = handler.get_pairings_for_run(run["run_id"])
    assert pairing["worker_id"] == "local-worker-1"
    assert handler.get_assignment_data(pairing["assignment_id"])["status"] == "approved"  # review_work
    assert paragraph in PARAGRAPHS
    full = handler.get_full_conversation_data(run["run_id"], pairing["conversation_id"], False)
    assert full["custom_data"]["context"] == paragraph
    assert [a["text"] for a in full["custom_data"]["acts"]] == ["Where does the Rhine rise?", "In the Swiss Alps."]
    texts = [m["text"] for m in full["messages"]]
    assert texts[1:] == ["Where does the Rhine rise?", ASK_ANSWER, "In the Swiss Alps."]
    view = handler.get_conversation_data(run["run_id"], pairing["conversation_id"], "local-worker-1", False)
    assert view["data"]["agent_id"] == "Worker"
    assert [m["text"] for m in view["data"]["messages"]][-1] == "In the Swiss Alps."
    onboarding = handler.get_onboarding_data(pairing["assignment_id"])
    assert onboarding["answers"] == {"likes_to_read": "mysteries"}

    namespace: dict[str, Any] = {}
    exec(compile(PARLAI_SCRIPT, "parlai_analysis.py", "exec"), namespace)
    [conversation] = namespace["pairings_by_conv_run_id"].values()
    assert conversation["conv_info"]["custom_data"]["context"] == paragraph
    assert conversation["workers_info"][0]["review_status"] == "approved"


@contextmanager
def qa_manager(store_url: str, eligible: Any = None, assign_roles: Callable[[list[Any]], None] | None = None,
               flags: tuple[str, ...] = (), after_review: Callable[[list[Any]], None] | None = None,
               ) -> Iterator[tuple[MTurkManager, threading.Thread]]:
    """The example's task, its MTurkManager driven here as run.py does, with `eligible`
    deciding who may be paired, `assign_roles` their roles (default: the one role), more
    `flags`, and `after_review(workers)` called by the task function after review_work."""
    parser = ParlaiParser(False, False)
    parser.add_parlai_data_path()
    parser.add_mturk_args()
    opt = parser.parse_args(["-nc", "1", "--db", store_url, "--block-qualification", "qa_blocked", *flags])
    opt.update(task_config, task="qa_collection", task_dir=str(EXAMPLE))
    manager = MTurkManager(opt, ["Worker"])
    manager.setup_server()

    def run_onboard(worker):
        world = QACollectionOnboardWorld(opt, worker)
        while not world.episode_done():
            world.parley()
        return world.prep_save_data([worker])

    def run_conversation(mturk_manager, opt, workers):
        world = QACollectionWorld(opt, workers[0], PARAGRAPHS[0])
        while not world.episode_done():
            world.parley()
        world.review_work()
        if after_review is not None:
            after_review(workers)
        return world.prep_save_data(workers)

    manager.set_onboard_function(run_onboard)
    with task_started(manager, eligible, assign_roles or the_one_role, run_conversation) as thread:
        yield manager, thread


def one_waits_while_the_next_works(manager: MTurkManager, thread: threading.Thread, waiting: str,
                                   working: str) -> Worker:
    """`waiting` is onboarded and left waiting; `working`, who came next, is paired and does
    the task, and start_task returns. Answers the waiting worker's (closed) tab."""
    task_manager = manager.task_manager
    assert task_manager is not None
    link = wait_until(lambda: task_manager.run_id and task_manager.provider.worker_links())[0]
    left_waiting = open_link(link_for(link, waiting))
    onboard(left_waiting, "maps")
    left_waiting.wait_state("waiting")
    paired = open_link(link_for(link, working))
    onboard(paired, "novels")
    ask_and_answer(paired, "How long is the Rhine?", "About 1,230 km.")
    thread.join(30)
    assert not thread.is_alive(), "start_task did not return once the run had its conversation"
    left_waiting.close()
    paired.close()
    return left_waiting


def test_an_ineligible_worker_is_not_paired_and_the_managers_review_calls_are_audited_once(store_url):
    with qa_manager(store_url, lambda worker: not worker.worker_id.startswith("bad")) as (manager, thread):
        task_manager = manager.task_manager
        bad = one_waits_while_the_next_works(manager, thread, "bad-1", "good-1")
        # The last state its page was told (a heartbeat sent a moment before may come after).
        assert [f["state"] for f in bad.frames if f["type"] == "state"][-1] == "expired"

        handler = task_manager.handler
        assert handler.get_assignment_data("A-bad-1")["status"] != "approved"
        assert manager.get_agent_work_status("A-good-1") == "approved"
        again = manager.approve_work("A-good-1")  # review_work approved it already
        assert again.repeated
        approvals = [a for a in handler.get_review_actions(assignment_id="A-good-1")
                     if a["action"] == ReviewAction.APPROVE]
        assert len(approvals) == 1

        block = manager.soft_block_worker("bad-1")
        assert block.succeeded
        assert manager.soft_block_worker("bad-1").repeated
        [row] = [a for a in handler.get_review_actions(worker_id="bad-1") if a["action"] == ReviewAction.SOFT_BLOCK]
        assert row["provider_response"]["action"] == "soft_block"
        assert row["provider_response"]["qualification"] == "qa_blocked"  # opt['block_qualification']
        assert any(c["action"] == "soft_block" and c["qualification"] == "qa_blocked"
                   for c in task_manager.provider.calls)
        assert manager.un_soft_block_worker("bad-1").succeeded
        assert manager.give_worker_qualification("good-1", "qa_expert", 3).succeeded
        assert {q["name"]: q["value"] for q in handler.get_worker_qualifications("good-1")}["qa_expert"] == 3
        assert manager.remove_worker_qualification("good-1", "qa_expert").succeeded
        assert manager.pay_bonus("good-1", 0.5, "A-good-1", "a fine question").succeeded
        assert manager.pay_bonus("good-1", 0.5, "A-good-1", "a fine question").repeated
        assert manager.email_worker("good-1", "Thanks", "Thank you for your question.") == {"success": "True"}


def test_a_worker_the_role_function_gives_no_role_waits_while_the_next_one_is_paired(store_url):
    def shy_wait(workers):
        workers[0].id = None if workers[0].worker_id.startswith("shy") else "Worker"

    eligible = {"func": lambda workers: list(workers), "multiple": True}
    with qa_manager(store_url, eligible, shy_wait) as (manager, thread):
        task_manager = manager.task_manager
        one_waits_while_the_next_works(manager, thread, "shy-1", "bold-1")
        pairings = task_manager.handler.get_pairings_for_run(task_manager.run_id)
        assert {p["worker_id"]: p["conversation_id"] for p in pairings} == {"shy-1": None, "bold-1": "t_1"}


def test_a_worlds_mturk_agent_pays_blocks_and_soft_blocks_through_the_task_context(store_url):
    def reward_then_block(workers):
        agent = workers[0]
        assert agent.pay_bonus(0.25, "a clear question") is None  # held until the task ends
        assert agent.soft_block_worker().succeeded
        assert agent.block_worker("kept asking the same question").succeeded

    with qa_manager(store_url, after_review=reward_then_block) as (manager, thread):
        task_manager = manager.task_manager
        link = wait_until(lambda: task_manager.run_id and task_manager.provider.worker_links())[0]
        worker = open_link(link)
        onboard(worker, "essays")
        ask_and_answer(worker, "Where is Puebla?", "In Mexico.")
        thread.join(30)
        worker.close()
        actions = task_manager.handler.get_review_actions(worker_id="local-worker-1")
        assert {(a["action"], a["actor"], a["outcome"]) for a in actions} == {
            ("approve", "world", "succeeded"), ("bonus", "world", "succeeded"),
            ("soft_block", "world", "succeeded"), ("hard_block", "world", "succeeded")}
        [bonus] = [a for a in actions if a["action"] == ReviewAction.BONUS]
        assert bonus["amount_cents"] == 25
        calls = {c["action"] for c in task_manager.provider.calls}
        assert {"soft_block", "hard_block", "bonus"} <= calls


MTURK_FLAGS = ("--provider", "mturk", "--public-url", "http://127.0.0.1:9", "-r", "0.50")
"""qa_manager's flags for a run on the fake MTurk (with the `aws_env` fixture)."""


def accepted_on_mturk(manager: MTurkManager, fake: Any, worker_id: str) -> tuple[str, Worker]:
    """The worker accepts the run's first HIT on the fake MTurk and opens the page it links
    to, with MTurk's query (assignmentId, hitId, workerId, turkSubmitTo): their assignment
    id and their tab."""
    task_manager = manager.task_manager
    assert task_manager is not None and manager.server is not None
    hit_id = wait_until(lambda: task_manager.run_id and task_manager.provider.hit_ids)[0]
    return open_on_mturk(fake, manager.server.url, task_manager.run_id, hit_id, worker_id)


def test_on_the_fake_mturk_a_soft_block_from_run_py_reaches_the_marketplace(store_url, aws_env):
    fake = aws_env
    with qa_manager(store_url, flags=MTURK_FLAGS) as (manager, _):
        task_manager = manager.task_manager
        _, alice = accepted_on_mturk(manager, fake, "AWORKERALICE")
        onboard(alice, "atlases")
        alice.wait_state("in_task")
        assert manager.soft_block_worker("AWORKERALICE").succeeded
        alice.close()
        assert (task_manager.provider.qualification_id("qa_blocked"), "AWORKERALICE") in fake.qualifications


def test_a_react_frontend_is_refused_with_a_sentence(store_url, tmp_path, capsys):
    (tmp_path / "frontend" / "components").mkdir(parents=True)
    (tmp_path / "frontend" / "components" / "custom.jsx").write_text("export default {};\n")
    manager = MTurkManager({"task_dir": str(tmp_path), "db": store_url}, ["Worker"])
    with pytest.raises(NotSupported) as refused:
        manager.setup_server()
    assert refused.value.code == 2
    assert "React component" in str(refused.value) and "frontend/custom.js" in str(refused.value)
    assert capsys.readouterr().err.startswith("parley: error: ")
    manager.shutdown()  # run.py's finally: nothing to stop, nothing raised


def test_the_legacy_html_frontend_version_is_refused_and_the_standard_one_runs(store_url, capsys):
    legacy = MTurkManager({**task_config, "frontend_version": 0, "task_dir": str(EXAMPLE), "db": store_url},
                          ["Worker"])
    with pytest.raises(NotSupported, match=r"frontend_version'\] = 0 asks for ParlAI's legacy HTML frontend"):
        legacy.setup_server()
    assert "Traceback" not in capsys.readouterr().err
    assert legacy.server is None and legacy.task_manager is None  # nothing was started
    standard = MTurkManager({**task_config, "task_dir": str(EXAMPLE), "db": store_url}, ["Worker"])
    assert task_config["frontend_version"] == 1
    standard.setup_server()
    try:
        assert fetch(f"{standard.server.url}/healthz").status == 200
    finally:
        standard.shutdown()


def test_flags_parley_refuses_end_run_py_with_a_sentence(store_url, capsys):
    parser = ParlaiParser(False, False)
    parser.add_mturk_args()
    opt = parser.parse_args(["-nc", "0", "--db", store_url])
    manager = MTurkManager({**opt, "task_dir": str(EXAMPLE)}, ["Worker"])
    with pytest.raises(NotSupported, match="--num-conversations must be 1 or more"):
        manager.setup_server()
    assert "Traceback" not in capsys.readouterr().err
