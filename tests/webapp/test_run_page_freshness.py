"""The run page and its twin show a run's counts as they are: a review shows on the very next
view, whether the run is running or finished (the writers keep its totals, run_totals.py)."""
from __future__ import annotations

import pytest

from tests.support.builders import completed_conversation


def counts(client, run_id: str) -> tuple[int, dict[str, int]]:
    run = client.get(f"/runs/{run_id}.json").get_json()["run"]
    return run["unreviewed"], run["assignments_by_status"]


@pytest.mark.parametrize("finished", [True, False], ids=["finished run", "running run"])
def test_a_review_shows_on_the_next_view_of_the_run_page(client, handler, finished):
    built = completed_conversation(handler, provider="local")
    if finished:
        handler.log_end_run(built.run_id)
    assert counts(client, built.run_id) == (2, {"completed": 2})
    assert "Review next (2)" in client.get(f"/runs/{built.run_id}").get_data(as_text=True)

    handler.log_approve_assignment(built.assignments[0])

    assert counts(client, built.run_id) == (1, {"completed": 1, "approved": 1})
    page = client.get(f"/runs/{built.run_id}").get_data(as_text=True)
    assert "Review next (1)" in page and "Counts and charts as of" in page
