"""Flags of `python -m runner run` whose effect shows in a whole run (the flag walk in
tests/unit/test_every_flag.py points here)."""
from __future__ import annotations

import pytest

from tests.support.live_runner import chat_pair_to_the_end


def _abandoned_conversation(runner, first, second):
    """Two workers pair and the second returns the task (a conversation somebody left); the
    first submits what they did."""
    alice, bob = runner.join(first), runner.join(second)
    alice.wait_state("in_task")
    bob.wait_state("in_task")
    bob.send_frame({"type": "return"})
    bob.wait_state("returned")
    alice.wait_for(lambda f: f["type"] == "state" and f["state"] in ("done", "partner_disconnect"))
    alice.send_frame({"type": "done"})
    alice.wait_state("submitted")


@pytest.mark.parametrize("count_complete", [False, True])
def test_count_complete_counts_only_conversations_nobody_left_and_launches_their_place_again(
        start, count_complete):
    runner = start(num_conversations=1, count_complete=count_complete, max_connections=0)
    assert len(runner.provider.hit_ids) == 2
    _abandoned_conversation(runner, "W1", "W2")
    if not count_complete:  # the left conversation counts: the run has what it needed
        assert runner.manager.finished.wait(20)
        assert len(runner.provider.hit_ids) == 2
        return
    assert not runner.manager.finished.wait(1)
    assert len(runner.provider.hit_ids) == 4  # the abandoned conversation's two places, launched again
    carol, dave = runner.join("W3", hit_id=runner.provider.hit_ids[2]), runner.join(
        "W4", hit_id=runner.provider.hit_ids[3])
    carol.wait_state("in_task")
    chat_pair_to_the_end(carol, dave, "second try")
    assert runner.manager.finished.wait(20)
    assert runner.handler.get_run_data(runner.run_id)["status"] == "completed"
