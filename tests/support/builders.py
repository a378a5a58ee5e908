"""Build realistic store contents through the public writers, the way the runner would."""
from __future__ import annotations

from dataclasses import dataclass, field

from datastore import MTurkDataHandler


@dataclass
class Built:
    run_id: str
    conversation_id: str
    workers: list[str] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    hits: list[str] = field(default_factory=list)


def accept(handler: MTurkDataHandler, run_id: str, worker_id: str, n: int | str) -> str:
    """Launch a HIT for `run_id` and have `worker_id` accept it; answers the assignment id."""
    hit_id, assignment_id = f"{run_id}-H{n}", f"{run_id}-A{n}"
    handler.log_hit_status(
        {"HIT": {"HITId": hit_id, "HITStatus": "Assignable", "Expiration": 2_000_000_000.0,
                 "HITTypeId": "HT1", "NumberOfAssignmentsAvailable": 1}},
        run_id,
    )
    handler.log_worker_accept_assignment(worker_id, assignment_id, hit_id)
    return assignment_id


def completed_conversation(
    handler: MTurkDataHandler,
    *,
    run_id: str | None = None,
    taskname: str = "qa_data_collection",
    provider: str = "mturk",
    is_sandbox: bool = False,
    conversation_id: str = "t_1",
    workers: tuple[str, ...] = ("W1", "W2"),
    roles: tuple[str, ...] = ("Asker", "Answerer"),
    turns: int = 2,
) -> Built:
    """A run with one finished conversation between `workers`, each message sent by each
    worker in turn, plus a bot's opening message carrying task_data."""
    run_id = run_id or handler.log_new_run(
        5, taskname, provider=provider, is_sandbox=is_sandbox, reward="0.50"
    )
    built = Built(run_id=run_id, conversation_id=conversation_id)
    for n, worker_id in enumerate(workers):
        assignment_id = accept(handler, run_id, worker_id, f"{conversation_id}-{n}")
        handler.log_start_onboard(worker_id, assignment_id, f"o_{worker_id}")
        handler.log_finish_onboard(worker_id, assignment_id, passed=True, answers={"ok": True})
        built.workers.append(worker_id)
        built.assignments.append(assignment_id)
        built.hits.append(f"{run_id}-H{conversation_id}-{n}")
    for worker_id, assignment_id, role in zip(workers, built.assignments, roles):
        handler.log_start_task(worker_id, assignment_id, conversation_id, agent_id=role)
    handler.log_message(run_id, conversation_id, "System",
                        {"text": "Read the paragraph.", "task_data": {"paragraph": "Paris is in France."}})
    for turn in range(turns):
        for worker_id, assignment_id, role in zip(workers, built.assignments, roles):
            handler.log_message(
                run_id, conversation_id, role,
                {"text": f"{role} says {turn}", "episode_done": turn == turns - 1},
                worker_id=worker_id, assignment_id=assignment_id,
                client_msg_id=f"{assignment_id}-{turn}", turn_index=turn,
            )
    for worker_id, assignment_id in zip(workers, built.assignments):
        handler.log_complete_assignment(worker_id, assignment_id)
    handler.save_world_data(
        {"custom_data": {"topic": "geography"},
         "worker_data": {w: {"rating": 4} for w in workers}},
        run_id, conversation_id,
    )
    handler.log_end_conversation(run_id, conversation_id)
    return built
