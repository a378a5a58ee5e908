"""What the webapp's views share: the store, the review service, and the runs this process
serves live (task testing). One instance per app, made by `create_app`."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, current_app

from crowd.base import Provider
from crowd.registry import provider_for_run
from crowd.review import ReviewService
from datastore import MTurkDataHandler
from datastore.records import Record
from runner.manager import TaskManager
from runner.server import LiveHub


@dataclass
class Services:
    handler: MTurkDataHandler
    hub: LiveHub
    review: ReviewService = field(init=False)

    def __post_init__(self) -> None:
        self.review = ReviewService(self.handler, self.provider_for)

    def provider_for(self, run: Record) -> Provider:
        """The provider of a run: the live one when this process runs it (a test run),
        else a fresh one of the run's kind (money calls need no run state)."""
        manager = self.hub.get(run["run_id"])
        if manager is not None:
            return manager.provider
        return provider_for_run(self.handler, run)

    def run_or_404(self, run_id: str) -> Record:
        """The run, or a 404 page that says there is none."""
        run = self.handler.get_run_data(run_id)
        if run is None:
            abort(404, description=f"There is no run {run_id!r}.")
        return run

    def test_runs(self) -> list[TaskManager]:
        return [m for m in self.hub.managers() if m.options.is_test]


def services() -> Services:
    return current_app.extensions["parley"]
