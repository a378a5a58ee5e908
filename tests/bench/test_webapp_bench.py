"""bench/webapp.py stays runnable: gunicorn serves the webapp over the small generated store,
a client logs in, every page answers 200 and the JSON twins show the generated counts; and
the check notices when a page does not."""
from __future__ import annotations

import dataclasses
import json

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


def test_every_dashboard_page_on_main_is_measured_with_its_twin(small_store):
    listed = dict(webapp.pages(small_store))
    for name in ("runs /", "run page", "conversation", "run payments", "payments", "worker", "monitor",
                 "tasks", "task"):
        assert name in listed and f"{name} .json" in listed
    assert listed["runs / .json"] == "/index.json" and listed["worker .json"] == listed["worker"] + ".json"


def test_a_baseline_commit_is_measured_on_the_same_pages_side_by_side(small_store, tmp_path, monkeypatch):
    """HEAD's committed code, from a temporary worktree over a copy of the store."""
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    assert webapp.run(small_store, threads=2, clients=2, requests=2, record=False, workers=2,
                      baseline="HEAD") == []
    result = json.loads((tmp_path / "webapp-pages.json").read_text())

    assert result["columns"][3:5] == ["HEAD p50 ms", "HEAD p95 ms"]
    assert result["gunicorn_workers"] == 2
    assert all(row[3] is not None and row[4] is not None for row in result["rows"]), result["rows"]
    assert set(result["baseline_latencies_ms"]) == set(result["latencies_ms"])
