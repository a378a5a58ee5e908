"""Workers and settings for runs on the fake MTurk (the fixtures `fake` and `mturk_run` are
in tests/integration/conftest.py)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from crowd.mturk.provider import HitSettings
from tests.fakes.mturk_server import FakeMTurk
from tests.support.live_runner import LiveRunner, Worker

PAIR_CHAT = Path(__file__).resolve().parent / "tasks" / "pair_chat"


def settings(public_url: str, **overrides) -> HitSettings:
    return HitSettings(**{"title": "Pair chat", "description": "Chat with a partner", "keywords": "chat",
                          "reward_cents": 50, "public_url": public_url,
                          "block_qualification": "parley_pair_chat_block", **overrides})


def work(run: LiveRunner, fake: FakeMTurk, worker_id: str, hit_id: str) -> tuple[str, Worker]:
    """A worker accepts the HIT on MTurk and opens it: the chat page in MTurk's frame."""
    assignment_id = fake.accept(hit_id, worker_id)
    query = urlencode({"assignmentId": assignment_id, "hitId": hit_id, "workerId": worker_id,
                       "turkSubmitTo": "https://workersandbox.mturk.com"})
    worker = run.open(f"{run.server.url}/task/{run.run_id}?{query}")
    assert worker.config["submit"] == {"kind": "form",
                                       "action": "https://workersandbox.mturk.com/mturk/externalSubmit",
                                       "fields": {"assignmentId": assignment_id, "parley_done": "true"}}
    return assignment_id, worker
