"""What the review pages read of how workers composed their messages, besides the messages
themselves: a worker's authenticity summary (in one run or in all), where flagged messages
live, and the conditions by which the review queue and a run's conversation list keep only
work with flagged messages. The flags are the runner's; nothing here judges anyone."""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from datastore.access import StoreAccess
from datastore.models import Conversation, Message, Pairing
from datastore.models_authenticity import MessageFlag


def unit_has_flagged_messages() -> ColumnElement[bool]:
    """A review queue unit (a pairing) whose worker sent at least one flagged message in its
    assignment: a few index steps per unit (the messages' (assignment_id, client_msg_id)
    index, then the flags' (message_pk, flag) one)."""
    return exists(
        select(MessageFlag.id)
        .join(Message, Message.id == MessageFlag.message_pk)
        .where(Message.assignment_id == Pairing.assignment_id)
    )


def conversation_has_flagged_messages(run_id: str) -> ColumnElement[bool]:
    """A conversation of run `run_id` holding at least one flagged message, read from the
    flags' (run_id, id) index: the cost of the run's flags, not of its messages."""
    return Conversation.id.in_(
        select(Message.conversation_pk)
        .join(MessageFlag, MessageFlag.message_pk == Message.id)
        .where(MessageFlag.run_id == run_id)
    )


def typing_rate(signals: dict[str, Any]) -> float | None:
    """Characters typed (sent, less pasted and inserted) per second of composing while the
    page was in view; None when nothing was typed or no time passed."""
    try:
        typed = signals["chars"] - signals["pasted_chars"] - signals["inserted_chars"]
        typing_ms = signals["compose_ms"] - signals["hidden_ms"]
    except (KeyError, TypeError):  # a record stored in another shape says nothing of speed
        return None
    if typed <= 0 or typing_ms <= 0:
        return None
    return typed * 1000 / typing_ms


def _pasted(signals: dict[str, Any] | None) -> bool:
    return signals is not None and bool(signals.get("pasted_count") or signals.get("pasted_chars"))


class AuthenticitySummaryReaders(StoreAccess):
    def authenticity_summary(self, worker_id: str, run_id: str | None = None) -> dict[str, Any]:
        """How `worker_id`'s messages (in run `run_id`, else in every run) were composed:
        `{messages, with_signals, flagged, flags: {flag: messages}, pasted_share,
        median_chars_per_second}`. `pasted_share` is the share of their messages whose
        record shows a paste (flagged or not: a task may allow pasting); the median typing
        rate is over the messages with signals that had something typed. Both are None when
        there is nothing to measure."""
        messages = select(Message.id, Message.signals).where(Message.worker_id == worker_id)
        flags = select(MessageFlag.message_pk, MessageFlag.flag).where(MessageFlag.worker_id == worker_id)
        if run_id is not None:
            messages = messages.join(Conversation, Conversation.id == Message.conversation_pk).where(
                Conversation.run_id == run_id)
            flags = flags.where(MessageFlag.run_id == run_id)

        def read(s: Session) -> dict[str, Any]:
            signals = [row.signals for row in s.execute(messages)]
            found = s.execute(flags).all()
            recorded = [x for x in signals if x is not None]
            rates = [rate for rate in map(typing_rate, recorded) if rate is not None]
            per_flag = Counter(row.flag for row in found)
            return {
                "messages": len(signals),
                "with_signals": len(recorded),
                "flagged": len({row.message_pk for row in found}),
                "flags": dict(sorted(per_flag.items(), key=lambda item: (-item[1], item[0]))),
                "pasted_share": sum(map(_pasted, signals)) / len(signals) if signals else None,
                "median_chars_per_second": round(median(rates), 1) if rates else None,
            }

        return self._read(read)

    def message_places(self, message_pks: Collection[int]) -> dict[int, dict[str, Any]]:
        """Where some stored messages are: `{message_pk: {run_id, conversation_id,
        worker_id}}` (a message not stored is left out)."""
        if not message_pks:
            return {}
        query = (
            select(Message.id, Conversation.run_id, Conversation.conversation_id, Message.worker_id)
            .join(Conversation, Conversation.id == Message.conversation_pk)
            .where(Message.id.in_(list(message_pks)))
        )
        return self._read(lambda s: {
            row.id: {"run_id": row.run_id, "conversation_id": row.conversation_id, "worker_id": row.worker_id}
            for row in s.execute(query)})
