"""bench/flood.py stays runnable and its verdict keeps meaning something: the smoke run (a
real runner process, four workers over real websockets, the flooder in a process of its own)
has every one of the measuring worker's messages acked and stored and the flooder cut off, and
the check of the store and the flooder's report fails a run that lost a message or a flooder
that was let through."""
from __future__ import annotations

import dataclasses
import json

import pytest

from bench import flood, report
from tests.conftest import new_store


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """The smoke run's store and its results file."""
    folder = tmp_path_factory.mktemp("flood")
    with new_store(folder) as url, pytest.MonkeyPatch.context() as patch:
        patch.setattr(report, "RESULTS", folder)
        assert flood.main(["--smoke", "--db", url]) == 0
        yield url, json.loads((folder / "flood.json").read_text())["runs"][0]


def measured(run: dict, **changes) -> flood.Measured:
    found = flood.Measured(sent=list(run["sent"]), flood=dict(run["flood"]), assignments=run["assignments"])
    return dataclasses.replace(found, **changes)


def test_smoke_run_acks_and_stores_every_message_and_cuts_the_flooder_off(smoke_run):
    url, run = smoke_run
    assert (len(run["calm_ms"]), len(run["flooded_ms"])) == (40, 20)
    assert run["flood"]["answer_on_return"] == flood.CUT_OFF_FRAME
    assert run["flood"]["sent"] > run["flood_stored"] > 0
    assert flood.problems_of(measured(run), url, run["run_id"]) == ([], run["flood_stored"])


def test_the_check_fails_a_lost_message_and_a_flooder_let_through(smoke_run):
    url, run = smoke_run
    troubles = {
        "Carol sent": measured(run, sent=run["sent"] + ["calm-again-20"]),
        "every one of the flood's": measured(run, flood={**run["flood"], "sent": run["flood_stored"]}),
        "the flooder was not cut off": measured(run, flood={**run["flood"], "answer_on_return": {"type": "welcome"}}),
    }
    for start, trouble in troubles.items():
        problems, _ = flood.problems_of(trouble, url, run["run_id"])
        assert len(problems) == 1 and problems[0].startswith(start), problems
