"""The writers the runner calls, one transaction each, checked against the state machine."""
from datetime import UTC, datetime

import pytest

from datastore import IllegalTransition, InvalidValue, NotFound
from tests.support.builders import accept, completed_conversation


@pytest.fixture
def run_id(handler):
    return handler.log_new_run(3, "qa_data_collection", provider="mturk", is_sandbox=True, reward="0.75")


@pytest.fixture
def in_task(handler, run_id):
    """One worker, accepted and paired into conversation t_1 as the Asker."""
    assignment_id = accept(handler, run_id, "W1", 1)
    handler.log_waiting("W1", assignment_id)
    handler.log_start_task("W1", assignment_id, "t_1", agent_id="Asker")
    return assignment_id


# Runs and HITs ------------------------------------------------------------------------------

def test_new_run_is_recorded_with_its_settings_and_running(handler, run_id):
    run = handler.get_run_data(run_id)
    assert run["taskname"] == "qa_data_collection" and run["maximum"] == 3
    assert run["provider"] == "mturk" and run["is_sandbox"] is True and run["is_test"] is False
    assert run["status"] == "running" and run["reward_cents"] == 75 and run["end_time"] is None
    assert (run["created"], run["completed"], run["failed"]) == (0, 0, 0)


def test_new_run_takes_an_explicit_id_or_the_handlers_default(store_url):
    from datastore import MTurkDataHandler

    handler = MTurkDataHandler("my_run", db_url=store_url)
    assert handler.log_new_run(1, "t") == "my_run"
    assert handler.log_new_run(1, "t", "other") == "other"
    with pytest.raises(InvalidValue, match="already exists"):
        handler.log_new_run(1, "t", "other")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"provider": "Not A Name"}, "short lower-case word"),
        ({"reward": "-1"}, "negative"),
        ({"config": {"f": object()}}, "cannot be stored as JSON"),
    ],
)
def test_new_run_with_bad_settings_is_refused_and_not_stored(handler, kwargs, message):
    with pytest.raises(InvalidValue, match=message):
        handler.log_new_run(1, "task", "bad", **kwargs)
    assert handler.get_run_data("bad") is None


def test_negative_or_fractional_targets_are_refused(handler):
    for target in (-1, 1.5):
        with pytest.raises(InvalidValue):
            handler.log_new_run(target, "task")


def test_ending_a_run_records_how_and_when_it_ended_once(handler, run_id):
    handler.log_end_run(run_id, "stopped")
    handler.log_end_run(run_id, "stopped")  # a retry is harmless
    run = handler.get_run_data(run_id)
    assert run["status"] == "stopped" and run["end_time"] is not None
    with pytest.raises(IllegalTransition, match="already ended as 'stopped'"):
        handler.log_end_run(run_id, "completed")
    with pytest.raises(InvalidValue):
        handler.log_end_run(run_id, "running")
    with pytest.raises(NotFound):
        handler.log_end_run("nope")


@pytest.fixture
def died_mid_conversation(handler):
    """A local run whose runner died while W3 and W4 talked in t_2: W1 was waiting, W2 had
    just accepted, and W5 had finished t_1 before."""
    run_id = handler.log_new_run(2, "pair_chat", provider="local")
    finished = accept(handler, run_id, "W5", 5)
    handler.log_waiting("W5", finished)
    handler.log_start_task("W5", finished, "t_1", agent_id="Alice")
    handler.log_complete_assignment("W5", finished)
    waiting, just_accepted = accept(handler, run_id, "W1", 1), accept(handler, run_id, "W2", 2)
    handler.log_waiting("W1", waiting)
    talking = {worker: accept(handler, run_id, worker, n) for n, worker in ((3, "W3"), (4, "W4"))}
    for (worker, assignment_id), role in zip(talking.items(), ("Alice", "Bob")):
        handler.log_waiting(worker, assignment_id)
        handler.log_start_task(worker, assignment_id, "t_2", agent_id=role)
    handler.log_message(run_id, "t_2", "Alice", {"text": "hello"}, worker_id="W3",
                        assignment_id=talking["W3"], client_msg_id="c1")
    return run_id, {"finished": finished, "waiting": waiting, "accepted": just_accepted, **talking}


def test_a_run_whose_runner_died_ends_interrupted_and_keeps_the_task_work_for_review(handler, died_mid_conversation):
    run_id, a = died_mid_conversation
    last_message = handler.get_messages(run_id, "t_2")[-1]["timestamp"]

    record = handler.log_interrupted_run(run_id, noticed_by="webapp")

    assert record == {"last_activity": last_message, "noticed_at": record["noticed_at"], "noticed_by": "webapp",
                      "interrupted": 2, "expired": 2}
    run = handler.get_run_data(run_id)
    assert (run["status"], run["end_time"]) == ("interrupted", record["noticed_at"])
    assert run["config"]["interruption"] == record
    status = {key: handler.get_assignment_data(assignment_id)["status"] for key, assignment_id in a.items()}
    assert status == {"finished": "completed", "waiting": "expired", "accepted": "expired",
                      "W3": "interrupted", "W4": "interrupted"}
    for worker in ("W3", "W4"):  # the task ended when the run last did anything, not when it was noticed
        assert handler.get_worker_assignment_pairing(worker, a[worker])["task_end"] == last_message
    assert (run["completed"], run["failed"]) == (3, 2)


def test_ending_an_interrupted_run_again_writes_nothing(handler, died_mid_conversation):
    run_id, a = died_mid_conversation
    handler.log_interrupted_run(run_id, noticed_by="runner")
    before = handler.get_run_data(run_id), [handler.get_assignment_data(x) for x in a.values()]

    assert handler.log_interrupted_run(run_id, noticed_by="webapp") is None

    after = handler.get_run_data(run_id), [handler.get_assignment_data(x) for x in a.values()]
    assert after == before


def test_a_run_that_ended_is_never_marked_interrupted(handler, died_mid_conversation):
    run_id, a = died_mid_conversation
    handler.log_end_run(run_id, "stopped")
    assert handler.log_interrupted_run(run_id, noticed_by="runner") is None
    assert handler.get_run_data(run_id)["status"] == "stopped"
    assert handler.get_assignment_data(a["W3"])["status"] == "in_task"
    with pytest.raises(NotFound):
        handler.log_interrupted_run("nope", noticed_by="runner")


def test_hit_status_is_created_then_updated_from_mturk_answers(handler, run_id):
    expiration = datetime(2030, 1, 1, tzinfo=UTC)
    hit = {"HITId": "H1", "HITTypeId": "HT", "HITStatus": "Assignable", "Expiration": expiration,
           "NumberOfAssignmentsPending": 0, "NumberOfAssignmentsAvailable": 1,
           "NumberOfAssignmentsCompleted": 0}
    handler.log_hit_status({"HIT": hit}, run_id)
    handler.log_hit_status({"HIT": {**hit, "HITStatus": "Reviewable", "NumberOfAssignmentsAvailable": 0,
                                    "NumberOfAssignmentsCompleted": 1}}, run_id)
    row = handler.get_hit_data("H1")
    assert row["hit_status"] == "Reviewable" and row["assignments_complete"] == 1
    assert row["assignments_available"] == 0 and row["expiration"] == expiration.timestamp()
    assert row["run_id"] == run_id and row["hit_type_id"] == "HT"
    assert handler.get_run_data(run_id)["created"] == 1
    assert [h["hit_id"] for h in handler.get_hits_for_run(run_id)] == ["H1"]


def test_a_run_whose_launch_was_refused_is_discarded_with_its_disposed_hits(handler, run_id):
    handler.log_hit("S1", "Disposed", expiration=1.0, available=0, run_id=run_id)
    handler.discard_unlaunched_run(run_id)
    assert handler.get_run_data(run_id) is None and handler.get_hit_data("S1") is None
    assert handler.get_all_run_data() == []


@pytest.mark.parametrize("left_behind", ["a HIT still up", "a worker", "an end"])
def test_a_run_that_holds_anything_is_kept_not_discarded(handler, run_id, left_behind):
    if left_behind == "a HIT still up":
        handler.log_hit("H1", "Assignable", expiration=1.0, available=1, run_id=run_id)
    elif left_behind == "a worker":  # on a HIT since disposed
        accept(handler, run_id, "W1", 1)
        handler.log_hit(f"{run_id}-H1", "Disposed", expiration=1.0, available=0, run_id=run_id)
    else:
        handler.log_end_run(run_id, "failed")
    with pytest.raises(IllegalTransition, match="it is kept"):
        handler.discard_unlaunched_run(run_id)
    assert handler.get_run_data(run_id) is not None


def test_hit_status_refuses_malformed_answers_and_foreign_runs(handler, run_id):
    with pytest.raises(InvalidValue, match="not a HIT description"):
        handler.log_hit_status({"HIT": {"HITId": "H2"}}, run_id)
    handler.log_hit_status({"HIT": {"HITId": "H3", "HITStatus": "Assignable", "Expiration": 1.0}}, run_id)
    other = handler.log_new_run(1, "other")
    with pytest.raises(InvalidValue, match="belongs to run"):
        handler.log_hit_status({"HIT": {"HITId": "H3", "HITStatus": "Assignable", "Expiration": 1.0}}, other)
    with pytest.raises(NotFound):
        handler.log_hit_status({"HIT": {"HITId": "H4", "HITStatus": "Assignable", "Expiration": 1.0}}, "nope")
    assert handler.get_hit_data("H2") is None and handler.get_hit_data("H4") is None



def test_log_hit_records_a_hit_in_the_stores_own_words_and_refuses_an_unknown_status(handler, run_id):
    handler.log_hit("N1", "Assignable", expiration=5.0, available=1, run_id=run_id)
    handler.log_hit("N1", "Disposed", expiration=6.0, available=0, completed=1, run_id=run_id)
    hit = handler.get_hit_data("N1")
    assert (hit["hit_status"], hit["expiration"], hit["assignments_available"], hit["assignments_complete"]) == (
        "Disposed", 6.0, 0, 1)
    with pytest.raises(InvalidValue, match="a HIT's status is one of Assignable, .*not 'Gone'"):
        handler.log_hit("N2", "Gone", expiration=1.0, available=0, run_id=run_id)
    assert handler.get_hit_data("N2") is None

# Accept, onboarding, pairing ----------------------------------------------------------------

def test_accepting_creates_worker_assignment_and_pairing(handler, run_id):
    assignment_id = accept(handler, run_id, "W1", 1)
    assignment = handler.get_assignment_data(assignment_id)
    assert assignment["status"] == "accepted" and assignment["worker_id"] == "W1"
    assert assignment["run_id"] == run_id and assignment["hit_id"] == f"{run_id}-H1"
    assert handler.get_worker_data("W1")["accepted"] == 1
    pairing = handler.get_worker_assignment_pairing("W1", assignment_id)
    assert pairing["status"] == "accepted" and pairing["conversation_id"] is None
    assert pairing["bonus_paid"] is False and pairing["notes"] == ""


def test_accepting_the_same_assignment_again_changes_nothing(handler, run_id):
    assignment_id = accept(handler, run_id, "W1", 1)
    handler.log_worker_accept_assignment("W1", assignment_id, f"{run_id}-H1")
    assert len(handler.get_pairings_for_run(run_id)) == 1
    with pytest.raises(InvalidValue, match="already accepted by worker 'W1'"):
        handler.log_worker_accept_assignment("W2", assignment_id, f"{run_id}-H1")
    with pytest.raises(NotFound, match="no HIT"):
        handler.log_worker_accept_assignment("W2", "A9", "no-such-hit")
    assert handler.get_worker_data("W2") is None


def test_onboarding_start_and_pass_move_the_worker_to_waiting(handler, run_id):
    assignment_id = accept(handler, run_id, "W1", 1)
    handler.log_start_onboard("W1", assignment_id, "o_1")
    assert handler.get_assignment_data(assignment_id)["status"] == "onboarding"
    handler.log_finish_onboard("W1", assignment_id, passed=True, answers={"q1": "yes"})
    handler.log_finish_onboard("W1", assignment_id, passed=True, answers={"q1": "yes"})  # retry
    pairing = handler.get_worker_assignment_pairing("W1", assignment_id)
    assert pairing["status"] == "waiting" and pairing["onboarding_id"] == "o_1"
    assert pairing["onboarding_start"] <= pairing["onboarding_end"]
    result = handler.get_onboarding_data(assignment_id)
    assert result["passed"] is True and result["answers"] == {"q1": "yes"}
    assert result["onboarding_id"] == "o_1" and result["worker_id"] == "W1"


def test_failed_onboarding_is_recorded_and_leaves_the_worker_in_onboarding(handler, run_id):
    assignment_id = accept(handler, run_id, "W1", 1)
    handler.log_start_onboard("W1", assignment_id, "o_1")
    handler.log_finish_onboard("W1", assignment_id, passed=False, answers={"sum": 5})
    assert handler.get_assignment_data(assignment_id)["status"] == "onboarding"
    assert handler.get_onboarding_data(assignment_id)["passed"] is False
    handler.log_expire_assignment("W1", assignment_id)
    assert handler.get_assignment_data(assignment_id)["status"] == "expired"


def test_finishing_onboarding_that_never_started_is_refused(handler, run_id):
    assignment_id = accept(handler, run_id, "W1", 1)
    with pytest.raises(IllegalTransition, match="not in onboarding"):
        handler.log_finish_onboard("W1", assignment_id, passed=True)
    assert handler.get_onboarding_data(assignment_id) is None


def test_start_task_pairs_the_worker_into_a_conversation(handler, run_id, in_task):
    pairing = handler.get_worker_assignment_pairing("W1", in_task)
    assert pairing["status"] == "in_task" and pairing["conversation_id"] == "t_1"
    assert pairing["agent_id"] == "Asker" and pairing["task_start"] is not None
    conversations = handler.get_conversations_for_run(run_id)
    assert [c["conversation_id"] for c in conversations] == ["t_1"]


def test_a_writer_naming_the_wrong_worker_is_refused(handler, run_id, in_task):
    with pytest.raises(InvalidValue, match="belongs to worker 'W1', not 'W2'"):
        handler.log_complete_assignment("W2", in_task)
    assert handler.get_assignment_data(in_task)["status"] == "in_task"
    with pytest.raises(NotFound, match="no assignment 'nope'"):
        handler.log_complete_assignment("W1", "nope")


# Ending the task ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("write", "status"),
    [
        (lambda h, a: h.log_complete_assignment("W1", a, 123.0), "completed"),
        (lambda h, a: h.log_complete_assignment("W1", a, None, "partner_disconnect"), "partner_disconnect"),
        (lambda h, a: h.log_disconnect_assignment("W1", a, 123.0), "disconnect"),
        (lambda h, a: h.log_disconnect_assignment("W1", a, None, "timeout"), "timeout"),
        (lambda h, a: h.log_return_assignment("W1", a), "returned"),
        (lambda h, a: h.log_expire_assignment("W1", a), "expired"),
        (lambda h, a: h.log_abandon_assignment("W1", a), "abandoned"),
    ],
)
def test_each_way_a_task_ends_is_recorded_with_its_end_time(handler, in_task, write, status):
    write(handler, in_task)
    pairing = handler.get_worker_assignment_pairing("W1", in_task)
    assert pairing["status"] == status and pairing["task_end"] >= pairing["task_start"]


def test_completion_records_the_auto_approve_time_and_run_counts(handler, run_id, in_task):
    handler.log_complete_assignment("W1", in_task, approve_time=1_900_000_000.0)
    assert handler.get_assignment_data(in_task)["approve_time"] == 1_900_000_000.0
    other = accept(handler, run_id, "W2", 2)
    handler.log_return_assignment("W2", other)
    run = handler.get_run_data(run_id)
    assert (run["created"], run["completed"], run["failed"]) == (2, 1, 1)


def test_bad_kinds_of_completion_or_disconnect_are_refused(handler, in_task):
    with pytest.raises(InvalidValue):
        handler.log_complete_assignment("W1", in_task, None, "returned")
    with pytest.raises(InvalidValue):
        handler.log_disconnect_assignment("W1", in_task, None, "completed")
    assert handler.get_assignment_data(in_task)["status"] == "in_task"


def test_submit_then_approve(handler, in_task):
    handler.log_complete_assignment("W1", in_task)
    handler.log_submit_assignment("W1", in_task)
    assert handler.get_assignment_data(in_task)["status"] == "submitted"
    handler.log_approve_assignment(in_task)
    handler.log_approve_assignment(in_task)  # a double click is harmless
    assert handler.get_assignment_data(in_task)["status"] == "approved"
    assert handler.get_worker_data("W1")["approved"] == 1


def test_reject_keeps_the_reason_and_can_be_overridden_by_an_approval(handler, in_task):
    handler.log_complete_assignment("W1", in_task)
    handler.log_reject_assignment(in_task, "The answer does not match the question.")
    row = handler.get_assignment_data(in_task)
    assert row["status"] == "rejected" and row["feedback"] == "The answer does not match the question."
    assert handler.get_worker_data("W1")["rejected"] == 1
    handler.log_approve_assignment(in_task)
    assert handler.get_assignment_data(in_task)["status"] == "approved"


def test_an_illegal_transition_raises_and_leaves_the_row_unchanged(handler, in_task):
    handler.log_complete_assignment("W1", in_task)
    handler.log_approve_assignment(in_task)
    before = handler.get_assignment_data(in_task)
    pairing_before = handler.get_worker_assignment_pairing("W1", in_task)
    with pytest.raises(IllegalTransition, match="is 'approved' and cannot become 'rejected'"):
        handler.log_reject_assignment(in_task, "changed my mind")
    with pytest.raises(IllegalTransition, match="cannot become 'disconnect'"):
        handler.log_disconnect_assignment("W1", in_task)
    assert handler.get_assignment_data(in_task) == before
    assert handler.get_worker_assignment_pairing("W1", in_task) == pairing_before


# Bonuses and notes --------------------------------------------------------------------------

def test_award_then_pay_a_bonus(handler, in_task):
    handler.log_award_amount("W1", in_task, "1.25", "great questions")
    pairing = handler.get_worker_assignment_pairing("W1", in_task)
    assert (pairing["bonus_amount_cents"], pairing["bonus_text"], pairing["bonus_paid"]) == (
        125, "great questions", False)
    handler.log_bonus_paid("W1", in_task)
    assert handler.get_worker_assignment_pairing("W1", in_task)["bonus_paid"] is True
    handler.log_award_amount("W1", in_task, 1.25, "great questions")  # same award: harmless
    with pytest.raises(IllegalTransition, match="already paid"):
        handler.log_award_amount("W1", in_task, "5", "more")
    assert handler.get_worker_assignment_pairing("W1", in_task)["bonus_amount_cents"] == 125


def test_paying_a_bonus_that_was_never_awarded_is_refused(handler, in_task):
    with pytest.raises(IllegalTransition, match="no bonus awarded"):
        handler.log_bonus_paid("W1", in_task)
    with pytest.raises(InvalidValue):
        handler.log_award_amount("W1", in_task, "-3", "oops")
    assert handler.get_worker_assignment_pairing("W1", in_task)["bonus_paid"] is False


def test_worker_notes_accumulate(handler, in_task):
    handler.log_worker_note("W1", in_task, "typed fast")
    handler.log_worker_note("W1", in_task, "polite")
    assert handler.get_worker_assignment_pairing("W1", in_task)["notes"] == "typed fast\npolite\n"


# Messages and world data --------------------------------------------------------------------

def test_log_message_stores_once_per_client_message_id(handler, run_id, in_task):
    first = handler.log_message(run_id, "t_1", "Asker", {"text": "hello"}, worker_id="W1",
                                assignment_id=in_task, client_msg_id="c-1", turn_index=0)
    again = handler.log_message(run_id, "t_1", "Asker", {"text": "hello"}, worker_id="W1",
                                assignment_id=in_task, client_msg_id="c-1", turn_index=0)
    assert first.created and not again.created and first.id == again.id
    messages = handler.get_messages(run_id, "t_1")
    assert len(messages) == 1
    assert messages[0]["text"] == "hello" and messages[0]["id"] == "Asker"
    assert messages[0]["worker_id"] == "W1" and messages[0]["message_id"] == "c-1"


def test_messages_come_back_in_the_order_they_were_stored(handler, run_id, in_task):
    for n in range(5):
        handler.log_message(run_id, "t_1", "Asker", {"text": str(n)}, worker_id="W1",
                            assignment_id=in_task, client_msg_id=f"c{n}")
        handler.log_message(run_id, "t_1", "Bot", {"text": f"bot {n}"})
    texts = [m["text"] for m in handler.get_messages(run_id, "t_1")]
    assert texts == [t for n in range(5) for t in (str(n), f"bot {n}")]


def test_a_worker_cannot_store_a_message_as_someone_else(handler, run_id, in_task):
    handler.log_message(run_id, "t_1", "Asker", {"text": "hi", "worker_id": "W999", "id": "Impostor"},
                        worker_id="W1", assignment_id=in_task, client_msg_id="c1")
    [message] = handler.get_messages(run_id, "t_1")
    assert message["worker_id"] == "W1" and message["id"] == "Asker"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"message": "just text"}, InvalidValue),
        ({"message": {"text": float("nan")}}, InvalidValue),
        ({"message": {"blob": b"bytes"}}, InvalidValue),
        ({"client_msg_id": "c1", "assignment_id": None}, InvalidValue),
        ({"sender_id": ""}, InvalidValue),
        ({"assignment_id": "nope"}, NotFound),
        ({"worker_id": "W2"}, InvalidValue),
        ({"run_id": "other-run"}, InvalidValue),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_stored(handler, run_id, in_task, kwargs, error):
    call = {"run_id": run_id, "conversation_id": "t_1", "sender_id": "Asker",
            "message": {"text": "x"}, "worker_id": "W1", "assignment_id": in_task,
            "client_msg_id": "c1"}
    call.update(kwargs)
    with pytest.raises(error):
        handler.log_message(call.pop("run_id"), call.pop("conversation_id"), call.pop("sender_id"),
                            call.pop("message"), **call)
    assert handler.get_messages(run_id, "t_1") == []


def test_a_message_naming_an_assignment_of_another_run_is_refused(handler, run_id, in_task):
    other = handler.log_new_run(1, "other")
    with pytest.raises(InvalidValue, match="not part of run"):
        handler.log_message(other, "t_1", "Asker", {"text": "x"}, worker_id="W1",
                            assignment_id=in_task, client_msg_id="c1")
    assert handler.get_conversations_for_run(other) == []


def test_save_world_data_keeps_custom_and_per_worker_data(handler, run_id, in_task):
    handler.save_world_data({"custom_data": {"paragraph": 3}, "worker_data": {"W1": {"q": "why?"}}},
                            run_id, "t_1", sandbox=True)
    full = handler.get_full_conversation_data(run_id, "t_1", True)
    assert full["custom_data"] == {"paragraph": 3}
    assert full["workers"][0]["data"] == {"q": "why?"}


def test_save_world_data_for_a_stranger_writes_nothing_at_all(handler, run_id, in_task):
    with pytest.raises(NotFound, match="no part in conversation"):
        handler.save_world_data({"custom_data": {"x": 1}, "worker_data": {"W9": {}}}, run_id, "t_1")
    assert handler.get_full_conversation_data(run_id, "t_1", True)["custom_data"] is None
    with pytest.raises(InvalidValue):
        handler.save_world_data(["not", "a", "dict"], run_id, "t_1")


def test_ending_a_conversation_records_when(handler, run_id, in_task):
    handler.log_end_conversation(run_id, "t_1")
    first = handler.get_full_conversation_data(run_id, "t_1", True)["ended"]
    handler.log_end_conversation(run_id, "t_1")
    assert first is not None and handler.get_full_conversation_data(run_id, "t_1", True)["ended"] == first


def test_a_whole_conversation_built_through_the_writers_reads_back(handler):
    built = completed_conversation(handler)
    full = handler.get_full_conversation_data(built.run_id, "t_1", False)
    assert [m["id"] for m in full["messages"]] == ["System", "Asker", "Answerer", "Asker", "Answerer"]
    assert {w["worker_id"] for w in full["workers"]} == {"W1", "W2"}


def test_a_worker_is_named_with_the_marketplace_of_the_first_run_they_accepted_work_in(handler):
    local_run = handler.log_new_run(1, "task", provider="local")
    other_run = handler.log_new_run(1, "task", provider="example")
    handler.log_hit("HL", "Assignable", expiration=1.0, available=1, run_id=local_run)
    handler.log_hit("HX", "Assignable", expiration=1.0, available=1, run_id=other_run)
    handler.log_block("W-BLOCKED-FIRST", "hard", False, reason="spam")  # known before any work
    assert handler.get_worker_data("W-BLOCKED-FIRST")["provider"] is None
    handler.log_worker_accept_assignment("W-BLOCKED-FIRST", "A1", "HL", local_run)
    handler.log_worker_accept_assignment("W-BLOCKED-FIRST", "A2", "HX", other_run)
    handler.log_worker_accept_assignment("W-NEW", "A3", "HX", other_run)
    assert handler.get_worker_data("W-BLOCKED-FIRST")["provider"] == "local"
    assert handler.get_worker_data("W-NEW")["provider"] == "example"
