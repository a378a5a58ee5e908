"""Runs on the fake Prolific as the command line makes them, and participants who take a
study there: open its URL, and come back to Prolific with the page's completion code. Also a
Prolific run's submitted work on the fake and in the store alike, the store's rows written as
the runner writes them (for review tests, with no runner)."""
from __future__ import annotations

from crowd.base import Launch
from crowd.prolific.client import ProlificClient
from crowd.prolific.launch import prolific_provider
from crowd.prolific.provider import FAR_FUTURE, ProlificProvider
from datastore import MTurkDataHandler
from datastore.states import HitStatus
from runner.cli import build_parser, options_from
from runner.tasks import load_task
from tests.fakes.prolific_server import FakeProlific
from tests.support.builders import Built
from tests.support.live_runner import LiveRunner, Worker

CODE = "C1DONE"
STUDY = {
    "name": "Chat with a partner", "description": "Talk about a topic.",
    "external_study_url": "https://parley.example/task/r?PROLIFIC_PID={{%PROLIFIC_PID%}}"
                          "&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}",
    "completion_codes": [{"code": CODE, "code_type": "COMPLETED", "actions": [{"action": "MANUALLY_REVIEW"}]}],
    "total_available_places": 2, "estimated_completion_time": 10, "reward": 150,
}
LONG_REASON = ("Your messages did not follow the task's instructions: the conversation stayed off topic "
               "and most of your turns were a single word.")


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


def prolific_provider_on(fake: FakeProlific) -> ProlificProvider:
    """A provider for review calls, talking to `fake` (a live study: not the sandbox)."""
    return ProlificProvider(is_sandbox=False, client=ProlificClient(fake.token, fake.url))


def submitted_prolific_work(fake: FakeProlific, handler: MTurkDataHandler,
                            participants: tuple[str, ...] = ("P1", "P2")) -> Built:
    """A live Prolific run with one conversation between `participants`, each of whom
    submitted on the fake Prolific (AWAITING REVIEW there, submitted in the store)."""
    client = ProlificClient(fake.token, fake.url)
    study_id = str(client.post("/api/v1/studies/", STUDY)["id"])
    client.post(f"/api/v1/studies/{study_id}/transition/", {"action": "PUBLISH"})
    run_id = handler.log_new_run(1, "pair_chat", provider="prolific", is_sandbox=False, reward="1.50")
    handler.log_hit(study_id, HitStatus.ASSIGNABLE, expiration=FAR_FUTURE, available=len(participants),
                    run_id=run_id)
    built = Built(run_id=run_id, conversation_id="t_1", hits=[study_id])
    for n, participant in enumerate(participants):
        submission = fake.start_study(study_id, participant).submission_id
        handler.log_worker_accept_assignment(participant, submission, study_id, run_id)
        handler.log_waiting(participant, submission)
        handler.log_start_task(participant, submission, "t_1", agent_id=f"Speaker{n}")
        handler.log_message(run_id, "t_1", f"Speaker{n}", {"text": f"hello from {participant}"},
                            worker_id=participant, assignment_id=submission, client_msg_id="m0", turn_index=0)
        handler.log_complete_assignment(participant, submission)
        fake.complete(submission, CODE)
        handler.log_submit_assignment(participant, submission)
        built.workers.append(participant)
        built.assignments.append(submission)
    return built
