"""A process that pays one Prolific bonus through the review service and kills itself with
SIGKILL at a chosen point of the bonus's steps, as a crash or an OOM kill would stop it:

    python -m tests.faults.bonus_process STORE_URL ENDPOINT TOKEN RUN_ID ASSIGNMENT_ID AMOUNT POINT

POINT is where it dies:
- `set_up_sent`: Prolific answered the set-up, before the process recorded it.
- `set_up_recorded`: the set-up's id is in the store; pay was not sent.
- `paid`: Prolific answered pay, before the process recorded the outcome.

It exits 3 if it reached no kill point (the bonus finished): the test then fails.
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Any

from crowd.prolific.bonuses import SET_UP
from crowd.prolific.client import ProlificClient
from crowd.prolific.provider import ProlificProvider
from crowd.review import ReviewService
from datastore import MTurkDataHandler

POINTS = ("set_up_sent", "set_up_recorded", "paid")
REASON = "Thanks for a great conversation"


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    store_url, endpoint, token, run_id, assignment_id, amount, point = argv
    if point not in POINTS:
        raise SystemExit(f"POINT is one of {POINTS}, not {point!r}")
    handler = MTurkDataHandler(db_url=store_url)
    client = ProlificClient(token, endpoint)
    provider = ProlificProvider(is_sandbox=False, client=client)
    provider.bind(handler, run_id, "")

    post = client.post

    def post_then_maybe_die(path: str, body: Any = None, *, repeatable: bool = False) -> Any:
        answer = post(path, body, repeatable=repeatable)
        if (point, path.endswith("/pay/")) in {("set_up_sent", False), ("paid", True)}:
            die()
        return answer

    record = handler.record_review_progress

    def record_then_maybe_die(token: str, step: str, detail: dict[str, Any], *, after: str | None) -> bool:
        recorded = record(token, step, detail, after=after)
        if point == "set_up_recorded" and step == SET_UP:
            die()
        return recorded

    client.post = post_then_maybe_die  # type: ignore[method-assign]
    handler.record_review_progress = record_then_maybe_die  # type: ignore[method-assign]
    ReviewService(handler, lambda run: provider).bonus(assignment_id, amount, actor="alice", reason=REASON)
    return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
