"""Real runner processes (`python -m runner run pair_chat --provider local`) on a test's store,
for tests of what several processes sharing one store see of each other."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.faults.processes import PAIR_CHAT, Runner


@contextmanager
def local_runners(store_url: str, folder: Path) -> Iterator[Callable[..., Runner]]:
    """`start(name, *flags)` starts a one-conversation pair_chat run in its own process; every
    one started is stopped when the block ends."""
    started: list[Runner] = []
    env = {**os.environ, "PARLEY_SECRET_KEY": "runner-processes"}

    def start(name: str, *flags: str) -> Runner:
        started.append(Runner(folder, env, PAIR_CHAT, "-nc", "1", "--provider", "local", "--db", store_url,
                              *flags, name=name))
        return started[-1]

    try:
        yield start
    finally:
        for runner in started:
            runner.stop()


def assignment_of(link: str) -> str:
    """The assignment id a worker link of the local provider names."""
    return parse_qs(urlsplit(link).query)["assignmentId"][0]
