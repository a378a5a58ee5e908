"""The qualification flow example (examples/parlai_mturk/qualification_flow) run end to end
through its own run.py: a newcomer who fails the test is given the failing qualification
(an audited review action) and, coming back, is turned away; one who passes labels the real
sentences and is approved once. On the local provider the runner turns the holder away; on
the fake MTurk the HITs carry the requirement and MTurk does."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from crowd.review import ReviewRefused
from datastore import MTurkDataHandler
from datastore.states import ReviewAction
from examples.parlai_mturk.qualification_flow import run as flow_run
from examples.parlai_mturk.qualification_flow.run import QUALIFICATION_NAME
from examples.parlai_mturk.qualification_flow.task_config import task_config
from examples.parlai_mturk.qualification_flow.worlds import SENTENCES, SENTENCES_PER_TASK, TEST_SET
from parlai_compat.core.params import ParlaiParser
from parlai_compat.mturk.core import mturk_utils
from parlai_compat.mturk.core.mturk_manager import MTurkManager, NotSupported
from runner.manager import NOT_ABLE
from tests.fakes.mturk_server import ActionRefused
from tests.integration.test_parlai_compat import PARLAI_SCRIPT
from tests.support.live_runner import Worker, fetch
from tests.support.parlai_compat import (
    link_for,
    open_link,
    open_on_mturk,
    printed_link,
    run_py,
    wait_until,
)

EXAMPLE = Path(flow_run.__file__).resolve().parent
WRONG = {"positive": "negative", "negative": "positive"}
FAILED = "Thank you. Your labels did not match ours, so the task ends here."


def message(worker: Worker, starts: str) -> dict[str, Any]:
    return worker.wait_for(lambda f: f["type"] == "message" and f["act"]["text"].startswith(starts))["act"]


def take_the_test(worker: Worker, right: bool) -> None:
    """Onboarding, then the three test sentences, labelled as the key does or the opposite."""
    message(worker, "Welcome!")
    worker.say("ready")
    for number, (sentence, label) in enumerate(TEST_SET, 1):
        assert sentence in message(worker, f"Test sentence {number} of {len(TEST_SET)}")["text"]
        worker.say(label if right else WRONG[label])


def label_the_sentences(worker: Worker) -> list[str]:
    """After passing: labels each real sentence (the first positive, the rest negative);
    answers the sentences shown."""
    message(worker, "You passed the test.")
    shown: list[str] = []
    after = 0
    for n in range(SENTENCES_PER_TASK):
        frame = worker.wait_for(lambda f: f["type"] == "message" and f["act"]["text"].endswith("Positive or negative?")
                                and not f["act"]["text"].startswith("Test"), after=after)
        after = worker.frames.index(frame) + 1
        shown.append(frame["act"]["text"].split('"')[1])
        worker.say("Positive" if n == 0 else "negative")
    message(worker, "Thank you for your labels!")
    return shown


def finish(worker: Worker) -> None:
    worker.wait_state("done")
    worker.send_frame({"type": "done"})


def test_on_the_local_provider_a_failing_worker_is_qualified_out_and_a_passing_one_approved_once(
        store_url, store_env, monkeypatch, capsys):
    with run_py(flow_run.main, ["-nc", "2", "--db", store_url], monkeypatch) as done:
        link = printed_link(capsys)
        failing = open_link(link_for(link, "fail-1"))
        take_the_test(failing, right=False)
        message(failing, FAILED)
        finish(failing)

        handler = MTurkDataHandler(db_url=store_url)
        wait_until(lambda: any(q["name"] == QUALIFICATION_NAME for q in handler.get_worker_qualifications("fail-1")))
        again = fetch(link_for(link, "fail-1", "A2-fail-1"))  # another assignment of the task
        assert NOT_ABLE in again.html

        passing = open_link(link_for(link, "pass-1"))
        take_the_test(passing, right=True)
        shown = label_the_sentences(passing)
        finish(passing)
    failing.close()
    passing.close()
    assert done.is_set(), "run.py's main() did not return once its conversations were collected"

    [run] = handler.get_all_run_data()
    [granted] = [a for a in handler.get_review_actions(worker_id="fail-1")
                 if a["action"] == ReviewAction.GRANT_QUALIFICATION]
    assert (granted["actor"], granted["outcome"]) == ("run.py", "succeeded")
    assert granted["provider_response"]["qualification"] == QUALIFICATION_NAME
    assert handler.get_assignment_data("A-fail-1")["status"] != "approved"
    assert handler.get_assignment_data("A-pass-1")["status"] == "approved"
    approvals = [a for a in handler.get_review_actions(assignment_id="A-pass-1") if a["action"] == ReviewAction.APPROVE]
    assert len(approvals) == 1
    assert handler.get_assignment_data("A2-fail-1") is None  # turned away before anything was kept

    by_worker = {p["worker_id"]: p for p in handler.get_pairings_for_run(run["run_id"])}
    assert set(by_worker) == {"fail-1", "pass-1"}
    failed = handler.get_full_conversation_data(run["run_id"], by_worker["fail-1"]["conversation_id"], False)
    assert failed["custom_data"] == {"first_time": True, "passed": False, "labels": [],
                                     "test_answers": [WRONG[label] for _, label in TEST_SET]}
    passed = handler.get_full_conversation_data(run["run_id"], by_worker["pass-1"]["conversation_id"], False)
    assert passed["custom_data"]["passed"] is True
    assert passed["custom_data"]["labels"] == [{"sentence": shown[0], "label": "positive"},
                                               {"sentence": shown[1], "label": "negative"}]
    assert set(shown) <= set(SENTENCES)

    namespace: dict[str, Any] = {}
    exec(compile(PARLAI_SCRIPT, "parlai_analysis.py", "exec"), namespace)
    conversations = {c["workers_info"][0]["worker_id"]: c for c in namespace["pairings_by_conv_run_id"].values()}
    assert conversations["pass-1"]["workers_info"][0]["review_status"] == "approved"
    assert conversations["pass-1"]["conv_info"]["custom_data"]["labels"][0]["label"] == "positive"
    assert conversations["fail-1"]["conv_info"]["custom_data"]["passed"] is False


def test_on_the_fake_mturk_the_hits_require_the_qualification_and_mturk_keeps_the_failing_worker_out(
        store_url, fake, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("PARLEY_MTURK_ENDPOINT", fake.url)
    argv = ["-nc", "2", "--db", store_url, "--provider", "mturk", "--public-url", "http://127.0.0.1:9", "-r", "0.50"]
    with run_py(flow_run.main, argv, monkeypatch) as done:
        manager = wait_until(lambda: MTurkManager.serving)
        task_manager = manager.task_manager
        first_hit, second_hit = wait_until(lambda: task_manager.run_id and len(task_manager.provider.hit_ids) == 2
                                           and task_manager.provider.hit_ids)
        [qualification_id] = [type_id for type_id, q in fake.qualification_types.items()
                              if q["Name"] == QUALIFICATION_NAME]
        for hit_id in (first_hit, second_hit):
            assert {"QualificationTypeId": qualification_id, "Comparator": "DoesNotExist",
                    "RequiredToPreview": True} in fake.hits[hit_id]["QualificationRequirements"]

        failed_assignment, failing = open_on_mturk(fake, manager.server.url, task_manager.run_id, first_hit,
                                                   "AWORKERFAIL")
        take_the_test(failing, right=False)
        message(failing, FAILED)
        finish(failing)
        wait_until(lambda: (qualification_id, "AWORKERFAIL") in fake.qualifications)
        with pytest.raises(ActionRefused, match="qualification requirements"):
            fake.accept(second_hit, "AWORKERFAIL")
        fake.submit(failed_assignment, {"parley_done": "true"})

        passed_assignment, passing = open_on_mturk(fake, manager.server.url, task_manager.run_id, second_hit,
                                                   "AWORKERPASS")
        take_the_test(passing, right=True)
        label_the_sentences(passing)
        finish(passing)
        passing.wait_state("submitted")
        fake.submit(passed_assignment, {"parley_done": "true"})
    failing.close()
    passing.close()
    assert done.is_set(), "run.py's main() did not return once its conversations were collected"
    assert fake.qualifications[(qualification_id, "AWORKERFAIL")]["Status"] == "Granted"
    assert fake.assignments[passed_assignment]["AssignmentStatus"] == "Approved"
    assert fake.assignments[failed_assignment]["AssignmentStatus"] == "Submitted"
    handler = MTurkDataHandler(db_url=store_url)
    [approval] = [a for a in handler.get_review_actions(assignment_id=passed_assignment)
                  if a["action"] == ReviewAction.APPROVE]
    assert (approval["actor"], approval["outcome"]) == ("world", "succeeded")
    assert handler.get_assignment_data(passed_assignment)["status"] == "approved"
    [granted] = [a for a in handler.get_review_actions(worker_id="AWORKERFAIL")
                 if a["action"] == ReviewAction.GRANT_QUALIFICATION]
    assert granted["provider_response"]["qualification_id"] == qualification_id


@contextmanager
def flow_manager(store_url: str, *flags: str) -> Iterator[MTurkManager]:
    """The example's MTurkManager, its server set up as run.py does, shut down at the end."""
    parser = ParlaiParser(False, False)
    parser.add_parlai_data_path()
    parser.add_mturk_args()
    opt = parser.parse_args(["-nc", "1", "--db", store_url, *flags])
    opt.update(task_config, task="qualification_flow", task_dir=str(EXAMPLE))
    manager = MTurkManager(opt, ["Worker"])
    manager.setup_server()
    try:
        yield manager
    finally:
        manager.shutdown()


def test_find_or_create_qualification_keeps_the_qualification_in_the_store_and_answers_its_id(store_url):
    with flow_manager(store_url) as manager:
        found = mturk_utils.find_or_create_qualification("flow_failed", "Failed the flow's test.", True)
        assert found == "flow_failed"  # the local provider's qualifications are named, not numbered
        assert mturk_utils.find_or_create_qualification("flow_failed", "Failed the flow's test.", True) == found
        stored = manager.task_manager.handler.get_qualification("flow_failed", False)
        assert stored["description"] == "Failed the flow's test."


@pytest.mark.parametrize(("requirement", "sentence"), [
    ({"QualificationTypeId": "flow_failed", "Comparator": "GreaterThan", "IntegerValues": [1]},
     "the local provider cannot require"),
    ({"QualificationTypeId": "made_elsewhere", "Comparator": "DoesNotExist"},
     "was not made by mturk_utils.find_or_create_qualification"),
    ({"QualificationTypeId": "flow_failed"}, "takes MTurk QualificationRequirements"),
    ("flow_failed", "takes MTurk QualificationRequirements"),
])
def test_a_requirement_the_local_provider_cannot_honour_is_refused_and_nothing_is_kept(
        store_url, capsys, requirement, sentence):
    with flow_manager(store_url) as manager:
        mturk_utils.find_or_create_qualification("flow_failed", "Failed the flow's test.", True)
        with pytest.raises(NotSupported, match=sentence) as refused:
            manager.create_hits(qualifications=[requirement])
        assert refused.value.code == 2
        assert capsys.readouterr().err.startswith("parley: error: ")
        assert manager.task_manager.task.config["blocking_qualifications"] == []


def test_requirements_after_the_run_started_are_refused(store_url):
    with flow_manager(store_url) as manager:
        qualification_id = mturk_utils.find_or_create_qualification("flow_failed", "Failed the test.", True)
        manager.task_manager.start()
        with pytest.raises(NotSupported, match="comes before start_task"):
            manager.create_hits(qualifications=[{"QualificationTypeId": qualification_id,
                                                 "Comparator": "DoesNotExist"}])


def test_mturk_utils_refuses_what_it_cannot_do_with_a_sentence(store_url):
    with pytest.raises(NotSupported, match="setup_server"):
        mturk_utils.find_or_create_qualification("flow_failed", "Failed the test.", True)
    with flow_manager(store_url) as manager:
        with pytest.raises(NotSupported, match="names the live marketplace, but the run is on the sandbox"):
            mturk_utils.find_or_create_qualification("flow_failed", "Failed the test.", False)
        with pytest.raises(NotSupported, match="must_be_owned"):
            mturk_utils.find_or_create_qualification("flow_failed", "Failed the test.", True, must_be_owned=False)
        manager.task_manager.start()
        with pytest.raises(ReviewRefused, match="not the id of a qualification this run made"):
            mturk_utils.give_worker_qualification("W1", "made_elsewhere")
    assert MTurkManager.serving is None  # shut down: mturk_utils acts for nobody


@pytest.mark.parametrize(("requirement", "sentence"), [
    ({"Comparator": "Bogus"}, "'Bogus' is not an MTurk comparator"),
    ({"Comparator": "DoesNotExist", "Mandatory": True}, 'Unknown parameter in \\[0\\]: "Mandatory"'),
])
def test_on_the_fake_mturk_a_requirement_mturk_would_refuse_is_refused_before_any_hit(
        store_url, fake, monkeypatch, requirement, sentence):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("PARLEY_MTURK_ENDPOINT", fake.url)
    with flow_manager(store_url, "--provider", "mturk", "--public-url", "http://127.0.0.1:9", "-r", "0.50") as manager:
        qualification_id = mturk_utils.find_or_create_qualification("flow_failed", "Failed the test.", True)
        assert fake.qualification_types[qualification_id]["Description"] == "Failed the test."
        with pytest.raises(NotSupported, match=sentence):
            manager.create_hits(qualifications=[{"QualificationTypeId": qualification_id, **requirement}])
        assert manager.task_manager.provider.settings.qualification_requirements == []
    assert fake.hits == {}
