"""Runs on the fake Prolific as the command line makes them, and participants who take a
study there: open its URL, and come back to Prolific with the page's completion code."""
from __future__ import annotations

from crowd.base import Launch
from crowd.prolific.launch import prolific_provider
from crowd.prolific.provider import ProlificProvider
from datastore import MTurkDataHandler
from runner.cli import build_parser, options_from
from runner.tasks import load_task
from tests.fakes.prolific_server import FakeProlific
from tests.support.live_runner import LiveRunner, Worker


def published_study(store_url: str, handler: MTurkDataHandler, task: str, *flags: str) -> ProlificProvider:
    """The provider `python -m runner run TASK --provider prolific --live ...` makes (with
    PROLIFIC_API_TOKEN and PARLEY_PROLIFIC_ENDPOINT set to the fake's): it publishes its study.
    It asks who left every 0.2 s rather than every 10 s."""
    args = build_parser()[0].parse_args(["run", task, "--provider", "prolific", "--live", "--budget", "100",
                                         "--public-url", "https://parley.example", "--db", store_url, *flags])
    provider = prolific_provider(Launch(args, load_task(args.task), options_from(args), handler))
    provider.departures_poll_seconds = 0.2
    return provider


def take_part(run: LiveRunner, fake: FakeProlific, participant: str) -> tuple[str, Worker]:
    """The participant takes the run's study on Prolific, which opens the study URL (its
    placeholders filled) in their browser: (their submission id, their chat page)."""
    visit = fake.start_study(run.provider.hit_ids[0], participant)
    return visit.submission_id, run.open(visit.url)


def come_back_with_code(fake: FakeProlific, submission_id: str, worker: Worker, state: str = "done") -> str:
    """The page, done in `state`, sends the participant to Prolific's completion URL; Prolific
    reads the code from it. Answers the code."""
    submit = worker.config["submit"]
    assert submit["kind"] == "redirect"
    code = submit["by_state"].get(state, submit["url"]).split("cc=", 1)[1]
    fake.complete(submission_id, code)
    return code
