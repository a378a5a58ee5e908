"""Build realistic store contents through the public writers, the way the runner would."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import make_url

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


# Any assignment status, and big runs --------------------------------------------------------

ROUTES: dict[str, tuple[str, ...]] = {
    # The statuses an assignment passes through to reach the key, after "accepted".
    "accepted": (),
    "onboarding": ("onboarding",),
    "waiting": ("waiting",),
    "in_task": ("waiting", "in_task"),
    "completed": ("waiting", "in_task", "completed"),
    "partner_disconnect": ("waiting", "in_task", "partner_disconnect"),
    "submitted": ("waiting", "in_task", "completed", "submitted"),
    "approved": ("waiting", "in_task", "completed", "approved"),
    "rejected": ("waiting", "in_task", "completed", "rejected"),
    "disconnect": ("waiting", "in_task", "disconnect"),
    "timeout": ("waiting", "in_task", "timeout"),
    "returned": ("returned",),
    "expired": ("expired",),
    "abandoned": ("waiting", "in_task", "completed", "abandoned"),
}


STEPS: dict[str, Callable[[MTurkDataHandler, str, str, str, str], None]] = {
    # How the runner moves an assignment into each status: (handler, worker, assignment,
    # conversation, agent) -> None.
    "onboarding": lambda h, w, a, c, r: h.log_start_onboard(w, a, f"o_{a}"),
    "waiting": lambda h, w, a, c, r: h.log_waiting(w, a),
    "in_task": lambda h, w, a, c, r: h.log_start_task(w, a, c, r),
    "completed": lambda h, w, a, c, r: h.log_complete_assignment(w, a),
    "partner_disconnect": lambda h, w, a, c, r: h.log_complete_assignment(
        w, a, complete_type="partner_disconnect"),
    "disconnect": lambda h, w, a, c, r: h.log_disconnect_assignment(w, a),
    "timeout": lambda h, w, a, c, r: h.log_disconnect_assignment(w, a, disconnect_type="timeout"),
    "submitted": lambda h, w, a, c, r: h.log_submit_assignment(w, a),
    "approved": lambda h, w, a, c, r: h.log_approve_assignment(a),
    "rejected": lambda h, w, a, c, r: h.log_reject_assignment(a, "Off topic."),
    "returned": lambda h, w, a, c, r: h.log_return_assignment(w, a),
    "expired": lambda h, w, a, c, r: h.log_expire_assignment(w, a),
    "abandoned": lambda h, w, a, c, r: h.log_abandon_assignment(w, a),
}


def assignment_in(
    handler: MTurkDataHandler,
    run_id: str,
    worker_id: str,
    n: int | str,
    status: str,
    *,
    conversation_id: str | None = None,
    agent_id: str = "Speaker",
) -> str:
    """Accept a new HIT of `run_id` as `worker_id` and move the assignment to `status` the way
    the runner would (its task in `conversation_id`, default t_<n>); answers its id."""
    assignment_id = accept(handler, run_id, worker_id, n)
    for step in ROUTES[status]:
        STEPS[step](handler, worker_id, assignment_id, conversation_id or f"t_{n}", agent_id)
    return assignment_id


def bulk_writer(store_url: str) -> MTurkDataHandler:
    """A handler for building big test stores with the same writers. On PostgreSQL its
    commits do not wait for the disk (synchronous_commit=off): that wait, not the work, is
    what makes thousands of one-transaction writes slow, and a test store need not survive
    a power cut. On SQLite it is the ordinary handler."""
    url = make_url(store_url)
    if url.get_backend_name() != "postgresql":
        return MTurkDataHandler(db_url=store_url)
    options = f"{url.query.get('options', '')} -csynchronous_commit=off".strip()
    fast = url.update_query_dict({"options": options})
    return MTurkDataHandler(db_url=fast.render_as_string(hide_password=False))


def bot_conversations(handler: MTurkDataHandler, run_id: str, ids: Iterable[str]) -> None:
    """One conversation per id, in that order, each holding one message from a bot: one
    transaction apiece, the cheapest way the writers create a conversation."""
    for conversation_id in ids:
        handler.log_message(run_id, conversation_id, "System", {"text": f"Hello from {conversation_id}"})


def run_of_conversations(
    handler: MTurkDataHandler, conversations: int, *, provider: str = "local", workers_each: int = 2
) -> list[Built]:
    """A run of `conversations` finished conversations (t_1, t_2, ...), each between its own
    `workers_each` workers (W1a, W1b, W2a, ...), built as `completed_conversation` builds one."""
    run_id = handler.log_new_run(conversations, "qa_data_collection", provider=provider, reward="0.50")
    letters = "abcdefgh"[:workers_each]
    roles = ("Asker", "Answerer", "Judge", "Helper")[:workers_each]
    return [
        completed_conversation(handler, run_id=run_id, conversation_id=f"t_{n}",
                               workers=tuple(f"W{n}{x}" for x in letters), roles=roles)
        for n in range(1, conversations + 1)
    ]
