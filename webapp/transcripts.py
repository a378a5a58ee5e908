"""How the review pages read a transcript with several workers: a message the world sent to
each worker alone (one stored row per recipient) is shown once with all its recipients, and
what each worker saw in their context pane is worked out from the messages shown to them."""
from __future__ import annotations

from typing import Any

from datastore.readers import merged_task_data

PER_ROW = ("message_id", "recipients", "timestamp", "turn_index")
"""What differs between the rows of one message sent to each worker alone."""


def _content(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k not in PER_ROW}


def one_per_message(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`messages` (in the store's order) with each run of consecutive rows that are the same
    message shown to different recipients merged into one row naming them all (the same
    message shown twice to one recipient stays two)."""
    shown: list[dict[str, Any]] = []
    for message in messages:
        last = shown[-1] if shown else None
        if (last is not None and message.get("recipients") and last.get("recipients")
                and not set(last["recipients"]) & set(message["recipients"])
                and _content(last) == _content(message)):
            last["recipients"] = [*last["recipients"], *message["recipients"]]
        else:
            shown.append(dict(message))
    return shown


def shown_to(messages: list[dict[str, Any]], worker: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages `worker` (a dict with `worker_id` and `agent_id`) saw: their own, and
    every other one not recorded as shown to others only."""
    return [m for m in messages
            if m.get("worker_id") == worker["worker_id"] or m.get("recipients") is None
            or worker["agent_id"] in m["recipients"]]


def context_of(messages: list[dict[str, Any]], worker: dict[str, Any]) -> dict[str, Any]:
    """What `worker`'s context pane showed at the end."""
    return merged_task_data(shown_to(messages, worker))
