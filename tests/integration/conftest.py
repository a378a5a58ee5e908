"""Fixtures for the integration tests of the store's readers."""
import pytest

from tests.support.store_probes import STORE_MODULES_THAT_READ_THE_CLOCK, T0, Clock


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The store's clock, starting at T0; set `clock.now` to move it."""
    clock = Clock(T0)
    for module in STORE_MODULES_THAT_READ_THE_CLOCK:
        monkeypatch.setattr(f"datastore.{module}.time", clock)
    return clock
