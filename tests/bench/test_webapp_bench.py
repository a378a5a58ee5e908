"""bench/webapp.py stays runnable: gunicorn serves the webapp over the small generated store,
a client logs in, every page answers 200 and the JSON twins show the generated counts; and
the check notices when a page does not."""
from __future__ import annotations

import dataclasses

import pytest

from bench import bigstore, report, webapp


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    return bigstore.cached_store(bigstore.SMOKE, directory=tmp_path_factory.mktemp("big"))


def test_every_page_and_twin_answers_with_the_generated_counts(small_store):
    assert webapp.run(small_store, threads=2, clients=1, requests=1, record=False, check_only=True) == []


def test_the_check_notices_a_run_that_is_not_there(small_store):
    missing = dataclasses.replace(small_store, run_id="no_such_run")
    problems = webapp.run(missing, threads=2, clients=1, requests=1, record=False, check_only=True)
    assert "run page (/runs/no_such_run) answered 404" in problems


def test_a_short_load_records_every_request(small_store, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    assert webapp.run(small_store, threads=2, clients=2, requests=2, record=False) == []
    result = (tmp_path / "webapp-pages.json").read_text()
    assert '"errors"' in result and '"run page .json"' in result
