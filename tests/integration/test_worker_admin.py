"""Qualifications, blocks, daily working time and the review audit log."""
import pytest

from datastore import IllegalTransition, InvalidValue, NotFound
from datastore.worker_admin import utc_day
from tests.support.builders import completed_conversation


def test_qualifications_are_created_once_and_linked_to_the_providers_id(handler):
    first = handler.ensure_qualification("blocked_qa", True, description="soft block")
    again = handler.ensure_qualification("blocked_qa", True, provider_qual_id="3QUAL")
    assert first["id"] == again["id"] and again["provider_qual_id"] == "3QUAL"
    assert handler.get_qualification("blocked_qa", True)["description"] == "soft block"
    assert handler.get_qualification("blocked_qa", False) is None  # live is separate
    with pytest.raises(InvalidValue, match="already linked"):
        handler.ensure_qualification("blocked_qa", True, provider_qual_id="OTHER")
    with pytest.raises(InvalidValue):
        handler.ensure_qualification("", True)


def test_granting_and_revoking_a_qualification(handler):
    handler.ensure_qualification("did_task", False)
    handler.grant_qualification("W1", "did_task", False)
    handler.grant_qualification("W1", "did_task", False, value=2)
    [held] = handler.get_worker_qualifications("W1")
    assert (held["name"], held["value"], held["is_sandbox"]) == ("did_task", 2, False)
    assert handler.revoke_qualification("W1", "did_task", False) is True
    assert handler.revoke_qualification("W1", "did_task", False) is False
    assert handler.get_worker_qualifications("W1") == []
    with pytest.raises(NotFound, match="no qualification 'nope'"):
        handler.grant_qualification("W1", "nope", False)


def test_soft_and_hard_blocks_are_recorded_once_and_can_be_lifted(handler):
    handler.ensure_qualification("parley_block", False)
    soft = handler.log_block("W1", "soft", False, reason="disconnects", qualification_name="parley_block")
    assert handler.log_block("W1", "soft", False, qualification_name="parley_block")["id"] == soft["id"]
    handler.log_block("W1", "hard", False, reason="spam")
    assert sorted(b["kind"] for b in handler.get_blocks_for_worker("W1")) == ["hard", "soft"]
    assert handler.log_unblock("W1", "hard", False) == 1
    assert [b["kind"] for b in handler.get_blocks_for_worker("W1")] == ["soft"]
    assert len(handler.get_blocks_for_worker("W1", active_only=False)) == 2


def test_lifting_chosen_blocks_leaves_the_others_and_lifts_nothing_twice(handler):
    for name in ("parley_block", "parley_disconnects"):
        handler.ensure_qualification(name, False)
    kept = handler.log_block("W1", "soft", False, reason="x", qualification_name="parley_block")
    soft = handler.log_block("W1", "soft", False, reason="x", qualification_name="parley_disconnects")
    hard = handler.log_block("W1", "hard", False, reason="x")
    other = handler.log_block("W2", "hard", False, reason="x")
    assert handler.lift_blocks("W1", [soft["id"], hard["id"], other["id"]]) == 2  # W2's is not W1's to lift
    assert handler.lift_blocks("W1", [soft["id"], hard["id"]]) == 0
    assert [b["id"] for b in handler.get_blocks_for_worker("W1")] == [kept["id"]]
    assert [b["id"] for b in handler.get_blocks_for_worker("W2")] == [other["id"]]


def test_bad_blocks_are_refused(handler):
    with pytest.raises(InvalidValue, match="'soft' or 'hard'"):
        handler.log_block("W1", "medium", False)
    with pytest.raises(InvalidValue, match="needs the qualification"):
        handler.log_block("W1", "soft", False)
    with pytest.raises(NotFound):
        handler.log_block("W1", "soft", False, qualification_name="missing")
    assert handler.get_blocks_for_worker("W1") == []


def test_working_time_adds_up_per_day(handler):
    assert handler.get_working_time("W1") == 0.0
    handler.add_working_time("W1", 30.5)
    assert handler.add_working_time("W1", 10) == 40.5
    handler.add_working_time("W1", 99, day="2026-01-01")
    assert handler.get_working_time("W1") == 40.5 and handler.get_working_time("W1", utc_day()) == 40.5
    assert handler.get_working_time("W1", "2026-01-01") == 99
    with pytest.raises(InvalidValue):
        handler.add_working_time("W1", -5)


def test_review_actions_are_logged_once_per_token_with_their_outcome(handler):
    built = completed_conversation(handler)
    assignment = built.assignments[0]
    row, created = handler.begin_review_action(
        "bonus:A1:1.50:thanks", "bonus", actor="admin", worker_id="W1",
        run_id=built.run_id, assignment_id=assignment, amount="1.50", reason="thanks")
    assert created and row["outcome"] == "pending" and row["amount_cents"] == 150
    again, created_again = handler.begin_review_action(
        "bonus:A1:1.50:thanks", "bonus", actor="admin", worker_id="W1", amount="1.50")
    assert not created_again and again["id"] == row["id"]
    done = handler.finish_review_action("bonus:A1:1.50:thanks", outcome="succeeded",
                                        provider_response={"ok": True})
    assert done["outcome"] == "succeeded" and done["provider_response"] == {"ok": True}
    with pytest.raises(IllegalTransition, match="is succeeded and cannot become failed"):
        handler.finish_review_action("bonus:A1:1.50:thanks", outcome="failed")
    assert handler.get_review_action("bonus:A1:1.50:thanks")["finished"] is not None
    assert [r["token"] for r in handler.get_review_actions(assignment_id=assignment)] == ["bonus:A1:1.50:thanks"]
    assert len(handler.get_review_actions(worker_id="W1")) == 1
    assert handler.get_review_actions(run_id="other") == []


def test_failed_review_actions_keep_the_error_and_bad_ones_are_refused(handler):
    handler.begin_review_action("t1", "approve", actor="admin", worker_id="W1")
    failed = handler.finish_review_action("t1", outcome="failed", error="throttled")
    assert failed["outcome"] == "failed" and failed["error"] == "throttled"
    with pytest.raises(InvalidValue):
        handler.begin_review_action("t2", "refund", actor="admin", worker_id="W1")
    with pytest.raises(InvalidValue):
        handler.begin_review_action("", "approve", actor="admin", worker_id="W1")
    with pytest.raises(NotFound):
        handler.finish_review_action("missing", outcome="succeeded")
    assert handler.get_review_action("t2") is None
