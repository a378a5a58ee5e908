"""Which runs the next start of a runner or of the webapp ends: only runs still running whose
runner process is gone from this machine, and only on a provider that keeps nothing on a
marketplace; and two processes starting at once end each of them once."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crowd.orphans import end_orphaned_runs
from datastore import MTurkDataHandler
from runner.manager import runner_identity
from tests.support.builders import accept

REPO = Path(__file__).resolve().parents[2]


def gone_pid() -> int:
    """The pid of a process of this machine that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def started_by(host: str, pid: int) -> dict:
    return {"runner": {"host": host, "pid": pid, "started": time.time()}}


def run_in_task(handler: MTurkDataHandler, run_id: str, runner: dict | None, provider: str = "local",
                **options) -> str:
    """A run whose runner left one worker in a task; answers the run id."""
    handler.log_new_run(1, "pair_chat", run_id, provider=provider, config=runner, **options)
    assignment_id = accept(handler, run_id, f"W-{run_id}", 1)
    handler.log_waiting(f"W-{run_id}", assignment_id)
    handler.log_start_task(f"W-{run_id}", assignment_id, "t_1", agent_id="Alice")
    return run_id


@pytest.fixture
def live_process():
    """Another process of this machine, alive for the test."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait(timeout=10)


def test_only_runs_whose_runner_is_gone_from_this_machine_and_holds_nothing_elsewhere_are_ended(
        handler, live_process):
    here, dead = socket.gethostname(), gone_pid()
    run_in_task(handler, "ours", {"runner": runner_identity()})
    run_in_task(handler, "alive_elsewhere", started_by(here, live_process))
    run_in_task(handler, "other_host", started_by(f"not-{here}", dead))
    run_in_task(handler, "unrecorded", None)  # written before runs recorded their runner
    run_in_task(handler, "on_mturk", started_by(here, dead), provider="mturk", is_sandbox=True)
    run_in_task(handler, "died", started_by(here, dead))
    run_in_task(handler, "died_testing", started_by(here, dead), is_test=True)  # a killed webapp's test run
    run_in_task(handler, "finished", started_by(here, dead))
    handler.log_end_run("finished", "completed")

    ended = end_orphaned_runs(handler, noticed_by="runner")

    assert sorted(e.run_id for e in ended) == ["died", "died_testing"]
    assert all(e.interruption["interrupted"] == 1 and e.interruption["noticed_by"] == "runner" for e in ended)
    status = {r["run_id"]: r["status"] for r in handler.get_all_run_data()}
    assert status == {"ours": "running", "alive_elsewhere": "running", "other_host": "running",
                      "unrecorded": "running", "on_mturk": "running", "died": "interrupted",
                      "died_testing": "interrupted", "finished": "completed"}
    in_task = {a["run_id"] for r in status for a in handler.get_assignments_for_run(r) if a["status"] == "in_task"}
    assert in_task == set(status) - {"died", "died_testing"}
    released = {r for r in status if {h["hit_status"] for h in handler.get_hits_for_run(r)} == {"Disposed"}}
    assert released == {"died", "died_testing"}  # the dead runner's links are closed too
    assert end_orphaned_runs(handler, noticed_by="webapp") == []


SWEEP = """
import json, sys, time
from pathlib import Path
from datastore import MTurkDataHandler
from crowd.orphans import end_orphaned_runs
handler = MTurkDataHandler(db_url=sys.argv[1])
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
print(json.dumps([e.run_id for e in end_orphaned_runs(handler, noticed_by=sys.argv[3])]))
"""


def test_two_processes_starting_at_once_end_each_dead_run_once(handler, store_url, tmp_path):
    dead = started_by(socket.gethostname(), gone_pid())
    runs = {run_in_task(handler, f"died_{n}", dead) for n in range(12)}
    go = tmp_path / "go"
    sweepers = [subprocess.Popen([sys.executable, "-c", SWEEP, store_url, str(go), name], cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for name in ("webapp", "runner")]
    time.sleep(1.0)  # both have opened the store and wait for the word
    go.touch()
    answers = [proc.communicate(timeout=60) for proc in sweepers]
    assert all(proc.returncode == 0 for proc in sweepers), [err for _, err in answers]
    webapp, runner = (set(json.loads(out)) for out, _ in answers)

    assert webapp | runner == runs and not webapp & runner
    for run_id in runs:
        run = handler.get_run_data(run_id)
        noticed_by = run["config"]["interruption"]["noticed_by"]
        assert run["status"] == "interrupted" and run_id in (webapp if noticed_by == "webapp" else runner)
        assert [a["status"] for a in handler.get_assignments_for_run(run_id)] == ["interrupted"]
