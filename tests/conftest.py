"""Fixtures shared by the whole suite: a fresh store per test, on SQLite by default or on
PostgreSQL when PARLEY_DATABASE_URL points at one (each test then gets its own schema)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from datastore import MTurkDataHandler
from datastore.engine import close_stores
from tests.fakes.prolific_server import FakeProlific

SUITE_URL = os.environ.get("PARLEY_DATABASE_URL", "")
ON_POSTGRES = SUITE_URL.startswith("postgresql")


def pytest_report_header() -> str:
    return f"parley store: {'PostgreSQL (a schema per test)' if ON_POSTGRES else 'SQLite (a file per test)'}"


@pytest.fixture
def store_url(tmp_path) -> Iterator[str]:
    """The URL of a new, empty store that only this test uses."""
    with new_store(tmp_path) as url:
        yield url


@contextmanager
def new_store(directory: Path) -> Iterator[str]:
    """The URL of a new, empty store (a SQLite file in `directory`, or a PostgreSQL schema),
    dropped when the block ends: for fixtures that share one store across several tests."""
    if not ON_POSTGRES:
        try:
            yield f"sqlite:///{directory / 'parley.db'}"
        finally:
            close_stores()
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(SUITE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(SUITE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        close_stores()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store_env(store_url, monkeypatch) -> str:
    """Make the per-test store the default one (PARLEY_DATABASE_URL), for code that opens
    the default store itself: CLIs, subprocesses, `MTurkDataHandler()`."""
    monkeypatch.setenv("PARLEY_DATABASE_URL", store_url)
    return store_url


@pytest.fixture
def handler(store_url) -> MTurkDataHandler:
    return MTurkDataHandler(db_url=store_url)


@pytest.fixture
def fake_prolific(monkeypatch):
    """The fake Prolific, with PROLIFIC_API_TOKEN and PARLEY_PROLIFIC_ENDPOINT set to it (so
    the providers a runner or the webapp makes talk to it)."""
    with FakeProlific() as prolific:
        monkeypatch.setenv("PROLIFIC_API_TOKEN", prolific.token)
        monkeypatch.setenv("PARLEY_PROLIFIC_ENDPOINT", prolific.url)
        yield prolific
