"""What the fuzz tests share: one store per test module, because hypothesis runs hundreds of
examples against one runner or webapp and the store is compared across all of them."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.conftest import new_store

FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=True)
"""Every fuzz test: the same examples on every run (CI reproduces any failure as it is), and
no deadline, since an example is a whole batch of frames or requests over real sockets."""


@pytest.fixture(scope="module")
def module_store_url(tmp_path_factory) -> Iterator[str]:
    with new_store(tmp_path_factory.mktemp("store")) as url:
        yield url
