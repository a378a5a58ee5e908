"""The disconnect cap with the local provider: a worker who reaches `--disconnect-cap`
disconnects (in any run of the store) is blocked as the run's flags say, once, even when
their disconnects are handled at the same moment; and flags that could do nothing are refused."""
from __future__ import annotations

import pytest

from crowd.disconnects import disconnects, enforce_disconnect_cap
from crowd.options import RunOptions
from runner.cli import build_parser, options_from
from runner.cli import main as runner_main
from tests.support.live_runner import TEST_TASKS
from tests.support.review_races import at_once

PAIR_CHAT = TEST_TASKS / "pair_chat"


def disconnected(handler, worker_id: str, times: int, *, provider: str = "local") -> str:
    """A run in which the worker disconnected from `times` assignments; answers its id."""
    run_id = handler.log_new_run(times, "pair_chat", provider=provider, is_sandbox=provider != "local")
    for n in range(times):
        hit_id, assignment_id = f"H-{run_id}-{n}", f"A-{run_id}-{n}"
        handler.log_hit_status({"HIT": {"HITId": hit_id, "HITStatus": "Assignable", "Expiration": 4e9}}, run_id)
        handler.log_worker_accept_assignment(worker_id, assignment_id, hit_id, run_id)
        handler.log_disconnect_assignment(worker_id, assignment_id)
    return run_id


CAPPED = RunOptions(disconnect_cap=2, disconnect_qualification="parley_flaky", hard_block=True)


def test_disconnects_are_counted_across_the_stores_runs(handler):
    disconnected(handler, "W1", 1)
    disconnected(handler, "W1", 2)
    disconnected(handler, "W2", 1)
    assert disconnects(handler, "W1") == 3


def test_a_worker_at_the_cap_is_blocked_once_though_their_disconnects_arrive_together(handler, review, provider):
    run_id = disconnected(handler, "W1", 2)
    results = at_once(8, lambda: enforce_disconnect_cap(review, CAPPED, "W1", run_id))
    done = [r for pair in results for r in pair]
    # One soft and one hard block reached the provider; the other calls answered that block
    # as done, or as under way in another thread.
    assert sum(not r.repeated for r in done) == 2 and {r.outcome for r in done} <= {"succeeded", "pending"}
    assert sorted(c["action"] for c in provider.calls) == ["hard_block", "soft_block"]
    assert [c["qualification"] for c in provider.calls if c["action"] == "soft_block"] == ["parley_flaky"]
    audit = handler.get_review_actions(worker_id="W1")
    assert sorted((r["action"], r["actor"], r["outcome"]) for r in audit) == [
        ("hard_block", "disconnect-cap", "succeeded"), ("soft_block", "disconnect-cap", "succeeded")]
    assert sorted(b["kind"] for b in handler.get_blocks_for_worker("W1")) == ["hard", "soft"]
    disconnected(handler, "W1", 1)  # a later disconnect blocks nobody again
    assert all(r.repeated for r in enforce_disconnect_cap(review, CAPPED, "W1", run_id))
    assert len(provider.calls) == 2


@pytest.mark.parametrize("options", [
    RunOptions(disconnect_cap=3, disconnect_qualification="parley_flaky", hard_block=True),  # below the cap
    RunOptions(disconnect_cap=0, disconnect_qualification="parley_flaky", hard_block=True),  # cap off
    RunOptions(disconnect_cap=1),  # no consequence asked for
])
def test_nobody_is_blocked_below_the_cap_or_without_consequences(handler, review, provider, options):
    run_id = disconnected(handler, "W1", 2)
    assert enforce_disconnect_cap(review, options, "W1", run_id) == []
    assert provider.calls == [] and handler.get_review_actions(worker_id="W1") == []


@pytest.mark.parametrize("flags, sentence", [
    (["--disconnect-cap", "2"], "--disconnect-cap needs --disconnect-qualification NAME or --hard-block"),
    (["--disconnect-cap", "-1", "--hard-block"], "--disconnect-cap must be 0 or more"),
    (["--disconnect-cap", "0", "--hard-block"], "which --disconnect-cap 0 turns off"),
    (["--disconnect-cap", "0", "--disconnect-qualification", "q"], "which --disconnect-cap 0 turns off"),
    (["--auto-approve-delay", "-5"], "--auto-approve-delay must be 0 or more seconds"),
])
def test_a_disconnect_cap_or_auto_approval_that_could_do_nothing_is_refused_with_a_sentence(store_url, handler, capsys,
                                                                           flags, sentence):
    assert runner_main(["run", str(PAIR_CHAT), "-nc", "1", "--db", store_url, *flags]) == 2
    assert sentence in capsys.readouterr().err
    assert handler.get_all_run_data() == []


@pytest.mark.parametrize("flags, cap", [
    (["--disconnect-qualification", "q"], 3),
    (["--hard-block", "--disconnect-cap", "5"], 5),
    ([], 3),
])
def test_the_disconnect_cap_flag_reaches_the_runs_options(flags, cap):
    parser, _ = build_parser()
    assert options_from(parser.parse_args(["run", str(PAIR_CHAT), *flags])).disconnect_cap == cap
