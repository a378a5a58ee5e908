"""The live channel's wire protocol: JSON frames over one websocket per worker tab.

Client → server
  {"type": "hello", "token": T, "last_seq": N}   first frame; N = last server seq seen (0 at first)
  {"type": "message", "cid": C, "act": {...}}    C: client message id, unique per assignment;
                                                 act.signals: how it was composed (optional;
                                                 see runner/authenticity.py)
  {"type": "answer", "cid": C, "item_id": I, "answers": {...}}   a form task's answers to item I;
                                                 "signals": {field: {...}}: how each free-text
                                                 answer was composed (optional)
  {"type": "heartbeat"}
  {"type": "done"}                               the worker pressed done/submit after the task
  {"type": "return"}                             the worker gives the task back

Server → client
  {"type": "welcome", "state": S, "agent_id": ..., "role": R, "waited_seconds": W}   R: the
                                                 task role played (null before pairing, and in
                                                 onboarding); W: how long the worker has waited
                                                 for a partner (null: not waiting)
  {"type": "ack", "cid": C, "id": M, "position": P}   sent only once message C is in the store;
                                                 P: its place in the conversation
  {"type": "message", "seq": N, "act": {...}, "position": P}   what this worker's agent
                                                 observed, numbered; pages show messages by P
  {"type": "turn", "seq": N, "agent_id": A, "yours": B}   the world waits on agent A (null:
                                                 on nobody yet); in a task that takes turns
                                                 only that agent's page may send, once
  {"type": "state", "seq": N, "state": S, "text": ..., "agent_id": ..., "role": R}
                                                 waiting / in_task / done / ...
  {"type": "ack", "cid": C, "item_id": I}       an answer to item I is in the store
  {"type": "form", "seq": N, "items": [{"item_id", "html", "data"}], "fields": [...],
   "answered": [item ids]}                       a form task's items and fields; replayed after
                                                 a reconnect with the items answered by then;
                                                 `data`: only the turns per-turn labels are for
  {"type": "error", "error": E, "cid"?: C, "retry"?: true, "fields"?: {name: sentence}}
                                                 `fields`: answers refused, each field's reason
  {"type": "heartbeat"}

After a reconnect the client says `hello` with the last seq it saw and the server replays
everything after it; the client re-sends unacked messages, which the store keeps once.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from runner.authenticity import signals_problem

MAX_FRAME_BYTES = 64 * 1024
MAX_TEXT_CHARS = 20_000
MAX_ACT_DEPTH = 32
"""Objects and lists nested in an act, the act itself included: more than any task needs, and
far below the depth at which storing or relaying the act would exhaust Python's recursion."""
CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # fullmatch: a `$` would let in a final newline
CLIENT_TYPES = ("hello", "message", "answer", "heartbeat", "done", "return")
MAX_ITEM_ID_CHARS = 64


class ProtocolError(Exception):
    """A frame the server refuses; the message goes back to the client in an error frame."""


@dataclass(frozen=True)
class ClientFrame:
    type: str
    token: str | None = None
    last_seq: int = 0
    cid: str | None = None
    act: dict[str, Any] | None = None
    item_id: str | None = None
    answers: dict[str, Any] | None = None
    signals: dict[str, Any] | None = None
    """An answer's composition signals by field name (each checked by signals_problem)."""


def parse_client_frame(raw: str | bytes) -> ClientFrame:
    """Validate one frame from a worker's browser; raise ProtocolError saying what is wrong."""
    if len(raw) > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame too large (limit {MAX_FRAME_BYTES} bytes)")
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("frame is not JSON") from None
    except RecursionError:
        raise ProtocolError("frame is nested too deeply") from None
    if not isinstance(frame, dict) or frame.get("type") not in CLIENT_TYPES:
        raise ProtocolError(f"frame must be an object with type one of {', '.join(CLIENT_TYPES)}")
    kind = frame["type"]
    if kind == "hello":
        token, last_seq = frame.get("token"), frame.get("last_seq", 0)
        if not isinstance(token, str) or not token:
            raise ProtocolError("hello needs a token")
        if not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0:
            raise ProtocolError("last_seq must be a whole number, 0 or more")
        return ClientFrame(kind, token=token, last_seq=last_seq)
    if kind == "answer":
        cid, item_id, answers = _cid(frame, "an answer"), frame.get("item_id"), frame.get("answers")
        if not isinstance(item_id, str) or not 0 < len(item_id) <= MAX_ITEM_ID_CHARS:
            raise ProtocolError(f"an answer needs an item_id of 1-{MAX_ITEM_ID_CHARS} characters")
        if not isinstance(answers, dict):
            raise ProtocolError("an answer needs an answers object")
        _check_plain(answers, "an answer")
        signals = frame.get("signals", {})
        if not isinstance(signals, dict):
            raise ProtocolError("an answer's signals must be an object of field name -> signals")
        for name, field_signals in signals.items():
            if problem := signals_problem(field_signals, f"signals.{name}"):
                raise ProtocolError(problem)
        return ClientFrame(kind, cid=cid, item_id=item_id, answers=answers, signals=signals)
    if kind == "message":
        cid, act = _cid(frame, "a message"), frame.get("act")
        if not isinstance(act, dict):
            raise ProtocolError("a message needs an act object")
        text = act.get("text", "")
        if not isinstance(text, str):
            raise ProtocolError("act.text must be a string")
        if len(text) > MAX_TEXT_CHARS:
            raise ProtocolError(f"message text too long (limit {MAX_TEXT_CHARS} characters)")
        if "task_data" in act and not isinstance(act["task_data"], dict):
            raise ProtocolError("act.task_data must be an object")
        if not text.strip() and not act.get("task_data"):
            raise ProtocolError("an empty message cannot be sent")
        if "signals" in act and (problem := signals_problem(act["signals"])):
            raise ProtocolError(problem)
        _check_plain(act, "a message")
        return ClientFrame(kind, cid=cid, act=act)
    return ClientFrame(kind)


def _cid(frame: dict[str, Any], what: str) -> str:
    cid = frame.get("cid")
    if not isinstance(cid, str) or not CLIENT_ID.fullmatch(cid):
        raise ProtocolError(f"{what} needs a cid of 1-64 letters, digits or _.:-")
    return cid


def _check_plain(value: dict[str, Any], what: str) -> None:
    """Refuse what the store and the pages could not keep as UTF-8 JSON, as a browser sends it."""
    if _depth(value) > MAX_ACT_DEPTH:
        raise ProtocolError(f"{what} is nested too deeply (limit {MAX_ACT_DEPTH} levels)")
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
    except ValueError:  # a lone surrogate (UnicodeEncodeError), NaN or Infinity
        raise ProtocolError(f"{what} may hold only valid unicode text and finite numbers") from None


def _depth(value: Any) -> int:
    """How deeply objects and lists nest in `value`, counted level by level (no recursion)."""
    depth, level = 0, [value]
    while level := [v for v in level if isinstance(v, dict | list)]:
        depth += 1
        level = [c for v in level for c in (v.values() if isinstance(v, dict) else v)]
    return depth


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class WorkerIdentity:
    run_id: str
    assignment_id: str
    worker_id: str


class TokenSigner:
    """Signs the (run, assignment, worker) a chat page was issued for; anything else
    (a token edited, made up, or signed with another key) fails to verify."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt="parley-worker-token")

    def issue(self, who: WorkerIdentity) -> str:
        return self._serializer.dumps([who.run_id, who.assignment_id, who.worker_id])

    def verify(self, token: str) -> WorkerIdentity:
        try:
            run_id, assignment_id, worker_id = self._serializer.loads(token)
        except (BadSignature, ValueError, TypeError):
            raise ProtocolError("the token is not valid") from None
        return WorkerIdentity(str(run_id), str(assignment_id), str(worker_id))
