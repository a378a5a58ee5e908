"""The assignment state machine: what may follow what, and the helper groups."""
import pytest

from datastore import IllegalTransition
from datastore.states import (
    ASSIGNMENT_TRANSITIONS,
    FAILED,
    FINAL,
    FINISHED_TASK,
    LIVE,
    REVIEWABLE,
    WHEN_THE_RUNNER_DIED,
    AssignmentStatus,
    check_assignment_transition,
)

S = AssignmentStatus


def test_every_status_has_a_row_in_the_transition_table():
    assert set(ASSIGNMENT_TRANSITIONS) == set(AssignmentStatus)


@pytest.mark.parametrize(
    "path",
    [
        [S.ACCEPTED, S.ONBOARDING, S.WAITING, S.IN_TASK, S.COMPLETED, S.SUBMITTED, S.APPROVED],
        [S.ACCEPTED, S.WAITING, S.IN_TASK, S.COMPLETED, S.REJECTED, S.APPROVED],
        [S.ACCEPTED, S.WAITING, S.IN_TASK, S.PARTNER_DISCONNECT, S.SUBMITTED, S.REJECTED],
        [S.ACCEPTED, S.ONBOARDING, S.RETURNED],
        [S.ACCEPTED, S.WAITING, S.EXPIRED, S.SUBMITTED],  # sent away, submitted on MTurk anyway
        [S.ACCEPTED, S.WAITING, S.IN_TASK, S.DISCONNECT, S.SUBMITTED],
        [S.ACCEPTED, S.WAITING, S.IN_TASK, S.TIMEOUT],
        [S.ACCEPTED, S.WAITING, S.IN_TASK, S.COMPLETED, S.ABANDONED],
        [S.ACCEPTED, S.WAITING, S.IN_TASK, S.INTERRUPTED, S.APPROVED],  # the runner died; paid anyway
        [S.ACCEPTED, S.WAITING, S.IN_TASK, S.INTERRUPTED, S.REJECTED, S.APPROVED],
        [S.ACCEPTED, S.WAITING, S.IN_TASK, S.INTERRUPTED, S.SUBMITTED, S.APPROVED],  # submitted on MTurk
        [S.ACCEPTED, S.WAITING, S.RELEASED, S.SUBMITTED, S.APPROVED],  # nobody came: paid for the wait
        [S.ACCEPTED, S.WAITING, S.RELEASED, S.REJECTED],
    ],
)
def test_the_lifecycles_a_worker_can_go_through_are_allowed(path):
    for current, new in zip(path, path[1:]):
        check_assignment_transition("A1", current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.APPROVED, S.REJECTED),
        (S.ACCEPTED, S.IN_TASK),
        (S.ACCEPTED, S.APPROVED),
        (S.WAITING, S.COMPLETED),
        (S.RETURNED, S.IN_TASK),
        (S.EXPIRED, S.APPROVED),
        (S.RETURNED, S.SUBMITTED),
        (S.COMPLETED, S.IN_TASK),
        (S.DISCONNECT, S.APPROVED),
        (S.WAITING, S.INTERRUPTED),
        (S.IN_TASK, S.RELEASED),
        (S.RELEASED, S.IN_TASK),
        (S.INTERRUPTED, S.IN_TASK),
        (S.INTERRUPTED, S.COMPLETED),
    ],
)
def test_illegal_transitions_raise_with_a_message_naming_both_statuses(current, new):
    with pytest.raises(IllegalTransition) as raised:
        check_assignment_transition("A7", current, new)
    message = str(raised.value)
    assert "A7" in message and current.value in message and new.value in message


def test_unknown_statuses_are_refused_by_name():
    with pytest.raises(IllegalTransition, match="'paid' is not an assignment status"):
        check_assignment_transition("A1", "accepted", "paid")
    with pytest.raises(IllegalTransition, match="unknown status 'weird'"):
        check_assignment_transition("A1", "weird", "accepted")


def test_helper_groups_partition_the_statuses_sensibly():
    assert LIVE == {S.ACCEPTED, S.ONBOARDING, S.WAITING, S.IN_TASK}
    assert not LIVE & FAILED and not LIVE & FINISHED_TASK and not FAILED & FINISHED_TASK
    assert LIVE | FAILED | FINISHED_TASK == set(AssignmentStatus)
    assert REVIEWABLE <= FINISHED_TASK
    assert S.APPROVED in FINAL and S.REJECTED not in FINAL  # a rejection can be overridden
    assert all(not ASSIGNMENT_TRANSITIONS[s] for s in FINAL)


def test_when_the_runner_died_every_live_assignment_ends_and_only_task_work_waits_for_review():
    assert set(WHEN_THE_RUNNER_DIED) == LIVE
    for before, after in WHEN_THE_RUNNER_DIED.items():
        check_assignment_transition("A1", before, after)
        assert after not in LIVE
    assert {before for before, after in WHEN_THE_RUNNER_DIED.items() if after in REVIEWABLE} == {S.IN_TASK}
