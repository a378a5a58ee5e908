"""Two reviewers walking one queue over real HTTP decide the same unit at the same moment
(threads released together): the review service lets one verdict through, and both are sent
on to the queue's next unit, the other told in a short sentence why nothing was done."""
from __future__ import annotations

import re
import threading

import pytest

from runner.server import RunnerServer
from tests.support.builders import run_of_conversations
from tests.support.reviewer import Browser
from tests.webapp.conftest import PASSWORD

ROUNDS = 5


@pytest.fixture
def served(app):
    server = RunnerServer(app).start()
    yield server.url
    server.stop()


def decide_together(unit, onward, decisions):
    """Each (who, reviewer, action, form) posted from the queue at once, each from its own
    thread; answers {who: (status, the page it ended on)}."""
    barrier, pages = threading.Barrier(len(decisions)), {}

    def decide(who, reviewer, action, form):
        barrier.wait()
        pages[who] = reviewer.post(f"/assignments/{unit}/{action}",
                                   {**form, "next": onward, "csrf_token": reviewer.csrf})

    threads = [threading.Thread(target=decide, args=decision) for decision in decisions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return pages


def test_two_reviewers_deciding_one_unit_at_once_give_it_one_verdict_and_both_move_on(handler, served):
    built = run_of_conversations(handler, ROUNDS, workers_each=2)
    run_id = built[0].run_id
    units = [a for conversation in built for a in conversation.assignments]
    alice, bob = Browser(served, PASSWORD), Browser(served, PASSWORD)
    for unit, after in zip(units[::2], units[1::2]):
        onward = f"/runs/{run_id}/queue?after={unit}"
        pages = decide_together(unit, onward, [("alice", alice, "approve", {}),
                                               ("bob", bob, "reject", {"reason": "Off topic."})])
        verdicts = [a["action"] for a in handler.get_review_actions(assignment_id=unit)]
        assert len(verdicts) == 1, verdicts
        for status, page in pages.values():
            assert status == 200
            assert re.search(r'data-unit="([^"]+)"', page).group(1) == after
        flashes = sorted(re.search(r'<p class="flash flash--(\w+)">([^<]+)</p>', page).groups()
                         for _, page in pages.values())
        assert [kind for kind, _ in flashes] == ["error", "ok"]
        assert flashes[1][1] == {"approve": "Approved.", "reject": "Rejected."}[verdicts[0]]
        assert unit not in flashes[0][1]
        assert handler.get_assignment_data(unit)["status"] == {"approve": "approved", "reject": "rejected"}[verdicts[0]]
