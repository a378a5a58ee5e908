"""One worker's live presence on the runner: the websocket (which may drop and come back),
the numbered frames sent to it, the inbox its agent reads, and the conversation it is in.

The socket thread stores a worker's message, hands it to the agent, then acks it: an ack
always means "in the database". Frames to the worker are numbered and kept, so a
reconnecting page can ask for everything after the last one it saw.
"""
from __future__ import annotations

import contextlib
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crowd.base import Refused
from runner.agents import Act, Agent, WorkerActions
from runner.budget import MessageMeter
from runner.protocol import WorkerIdentity, encode
from runner.worlds import (
    DISCONNECT_MESSAGE,
    INTERRUPTED_MESSAGE,
    PARTNER_DISCONNECT_MESSAGE,
    RETURN_MESSAGE,
    TIMEOUT_MESSAGE,
)

if TYPE_CHECKING:
    from datastore import MTurkDataHandler
    from runner.forms.world import ItemDesk

LEAVE_MESSAGES = {
    "disconnect": DISCONNECT_MESSAGE,
    "returned": RETURN_MESSAGE,
    "timeout": TIMEOUT_MESSAGE,
    "partner_disconnect": PARTNER_DISCONNECT_MESSAGE,
    "interrupted": INTERRUPTED_MESSAGE,
}
_WAKE = object()
TASK_PREFIX = "t_"
"""How a task conversation's id begins (onboarding ones begin o_)."""


class LiveConversation:
    """A conversation (onboarding or task) running on this runner. Stores what its humans
    see, once each, however many of them observe the same act, and gives every message its
    position: the order it is stored in, which every page renders by.

    With `turn_taking` (the default; a task's `free_chat` turns it off) a worker may send
    only while the world waits on their agent's act(), and each turn takes one message, so
    the order the world takes messages in is the order they are stored and shown in."""

    def __init__(self, handler: MTurkDataHandler, run_id: str, conversation_id: str,
                 turn_taking: bool = True) -> None:
        self.handler, self.run_id, self.conversation_id = handler, run_id, conversation_id
        self.turn_taking = turn_taking
        self.sessions: list[WorkerSession] = []
        """The workers in it (their assignments), in the order of the task's roles."""
        self.local_sessions: list[WorkerSession] = []
        """Local humans playing agents of its world (runner/local_human.py): no assignments."""
        self.partner_left = threading.Event()
        self.turn: str | None = None
        """The agent whose act() the world waits on, until its message arrives."""
        self.turn_began = 0.0
        """When the world began waiting on `turn` (epoch seconds)."""
        self._positions: dict[tuple[str, str], int] = {}
        """(sender, message_id) -> position: a worker's message_id is their page's client id,
        unique per sender only."""
        self._turns = 0
        self._lock = threading.Lock()
        self._shown: dict[tuple[str, str], tuple[int, list[str]]] = {}
        """(sender, message_id) -> (row id, recipients) of each act stored by store_observed."""
        self.storing = threading.Lock()
        """Held from giving a message its position until it is written: the store's own
        order (what the review page and the export read by) is then the positions' order,
        even when two workers of a free chat send at once."""

    @property
    def everyone(self) -> list[WorkerSession]:
        """Every page that shows this conversation: its workers' and its local humans'."""
        return [*self.sessions, *self.local_sessions]

    @property
    def is_task(self) -> bool:
        """A task conversation (t_...), where agents play the task's roles; not onboarding."""
        return self.conversation_id.startswith(TASK_PREFIX)

    def next_turn(self) -> int:
        with self._lock:
            self._turns += 1
            return self._turns - 1

    def mark_stored(self, sender: str, message_id: str, position: int) -> None:
        with self._lock:
            self._positions.setdefault((sender, message_id), position)

    def position_of(self, sender: str, message_id: str) -> int | None:
        with self._lock:
            return self._positions.get((sender, message_id))

    def store_observed(self, act: Act, observer: str | None) -> int:
        """Store an act a human (agent `observer`) is about to see, unless it is stored
        already (a worker's own message, or one another human observed first), and answer
        its position. Stamps `message_id` as ParlAI did. An act no worker sent keeps whom it
        was shown to: the first observer when it is stored, each further one added. With no
        `observer` (a local human's message, stored as it arrives) it is shown to nobody yet."""
        message_id = act.setdefault("message_id", uuid.uuid4().hex)
        sender = str(act.get("id", "System"))
        key = (sender, message_id)
        with self.storing:
            with self._lock:
                turn = self._positions.get(key)
                shown = self._shown.get(key)
                if turn is not None and (shown is None or observer is None or observer in shown[1]):
                    return turn
                if turn is None:
                    turn = self._positions[key] = self._turns
                    self._turns += 1
            if shown is None:
                shown_to = [] if observer is None else [observer]
                logged = self.handler.log_message(self.run_id, self.conversation_id, sender, act,
                                                  turn_index=turn, recipients=shown_to)
                with self._lock:
                    self._shown[key] = (logged.id, shown_to)
            elif observer is not None:
                shown[1].append(observer)
                self.handler.set_message_recipients(shown[0], shown[1])
        return turn

    # Turns -------------------------------------------------------------------------------

    def begin_turn(self, agent_id: str) -> None:
        """The world waits on this agent's act(): their page may send, the others wait."""
        with self._lock:
            self.turn, self.turn_began = agent_id, time.time()
        self._tell_turn(agent_id)

    def end_turn(self, agent_id: str) -> None:
        """The world has this agent's act(): nobody's turn until it waits on someone again."""
        with self._lock:
            if self.turn == agent_id:
                self.turn = None
        self._tell_turn(None)

    def turn_waiting_on(self, agent_id: str) -> float | None:
        """When the world began waiting on `agent_id`'s message; None: it is not their turn."""
        with self._lock:
            return self.turn_began if self.turn == agent_id else None

    def take_turn(self, agent_id: str) -> bool:
        """A message from `agent_id` may be stored now (and uses up their turn); False: it
        is not their turn. Always True without turn taking."""
        with self._lock:
            if not self.turn_taking:
                return True
            if self.turn != agent_id:
                return False
            self.turn = None
            return True

    def claim_turn(self, agent_id: str) -> None:
        """Use up `agent_id`'s turn for a message arriving now, or raise Refused saying whose
        turn it is (see take_turn)."""
        if not self.take_turn(agent_id):
            waiting_on = self.turn
            raise Refused(f"It is not your turn: wait for {waiting_on}." if waiting_on
                          else "It is not your turn yet: wait for the next message.")

    def give_back_turn(self, agent_id: str) -> None:
        """Their message could not be stored after all: the turn is theirs again."""
        with self._lock:
            if self.turn_taking and self.turn is None:
                self.turn = agent_id

    def _tell_turn(self, agent_id: str | None) -> None:
        for session in self.everyone:
            session.push({"type": "turn", "agent_id": agent_id,
                          "yours": agent_id is not None and session.agent.id == agent_id})


def clean_act(agent_id: str, act: dict[str, Any]) -> Act:
    """What the store keeps and the world gets of a message a person sent from their page:
    its text and task data, under the agent id they play."""
    clean: Act = {"id": agent_id, "text": act.get("text", ""), "episode_done": False}
    if "task_data" in act:
        clean["task_data"] = act["task_data"]
    return clean


class WorkerSession:
    """Everything the runner holds for one accepted assignment."""

    def __init__(self, who: WorkerIdentity, hit_id: str, meter: MessageMeter) -> None:
        self.who = who
        self.hit_id = hit_id
        self.meter = meter
        """What the worker has sent of the run's budget."""
        self.cut_off = False
        """Set when the runner ended the task for sending past the budget: no socket is let in again."""
        self.accepted_at = time.time()
        self.state = "accepted"
        self.state_text = ""
        self.left: str | None = None
        """How the worker left ('disconnect', 'returned', 'timeout'), once they have."""
        self.conversation: LiveConversation | None = None
        self.preferred_role: str | None = None
        self.form: ItemDesk | None = None
        """A form task's items for this assignment (its onboarding items, then its task
        items), once a world shows them."""
        self.agent = HumanAgent(self)
        self.last_seen = time.monotonic()
        self.waiting_since = time.monotonic()
        """When the worker entered the waiting pool (--max-wait counts from here)."""
        self.last_sent = time.monotonic()
        """When a frame last went to the page: a page that heard nothing for a while gets a heartbeat."""
        self._ws: Any = None
        self._frames: list[dict[str, Any]] = []
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.RLock()

    @property
    def worker_id(self) -> str:
        return self.who.worker_id

    @property
    def assignment_id(self) -> str:
        return self.who.assignment_id

    # The socket ------------------------------------------------------------------------

    def attach(self, ws: Any, last_seq: int) -> None:
        """A page (re)connected: greet it and replay every numbered frame it missed."""
        with self._lock:
            previous, self._ws = self._ws, ws
            self.last_seen = time.monotonic()
            if previous is not None and previous is not ws:
                _close_quietly(previous)
            self.send({"type": "welcome", "state": self.state, "text": self.state_text,
                       "agent_id": self.agent.id if self.conversation else None,
                       "role": self.role, "last_seq": len(self._frames),
                       "waited_seconds": self.waited_seconds()})
            for frame in self._frames[last_seq:]:
                self.send(frame)

    def waited_seconds(self) -> float | None:
        """How long the worker has been waiting for a partner (None: they are not waiting),
        so a page loaded or reconnected mid-wait shows the time from when the wait began."""
        if self.state != "waiting":
            return None
        return round(time.monotonic() - self.waiting_since, 1)

    def detach(self, ws: Any) -> None:
        with self._lock:
            if self._ws is ws:
                self._ws = None

    @property
    def role(self) -> str | None:
        """The task role this worker plays (their agent id in a task conversation), else None."""
        conversation = self.conversation
        return self.agent.id if conversation is not None and conversation.is_task else None

    @property
    def connected(self) -> bool:
        return self._ws is not None

    def touch(self) -> None:
        self.last_seen = time.monotonic()

    def send(self, frame: dict[str, Any]) -> None:
        """Send one frame now if a page is connected (acks, errors, heartbeats)."""
        with self._lock:
            if self._ws is None:
                return
            try:
                self._ws.send(encode(frame))
                self.last_sent = time.monotonic()
            except Exception:  # the page went away mid-send; it will replay on reconnect
                self._ws = None

    def push(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Number a frame, keep it for replay, and send it; answers the frame kept."""
        with self._lock:
            frame = {**frame, "seq": len(self._frames) + 1}
            self._frames.append(frame)
            self.send(frame)
            return frame

    def set_state(self, state: str, text: str = "") -> None:
        with self._lock:
            self.state, self.state_text = state, text
            agent_id = self.agent.id if self.conversation else None
            self.push({"type": "state", "state": state, "text": text, "agent_id": agent_id, "role": self.role})

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the page's socket (with a websocket close code and reason, if given)."""
        with self._lock:
            if self._ws is not None:
                _close_quietly(self._ws, code, reason)
                self._ws = None

    # The agent's side --------------------------------------------------------------------

    def deliver_to_agent(self, act: Act) -> None:
        self._inbox.put(act)

    def wake(self) -> None:
        """Unblock a waiting act() so it can answer a leave message."""
        self._inbox.put(_WAKE)

    def next_act(self, timeout: float | None) -> Act | None:
        """The worker's next message; None when they left or their partner did."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.left or (self.conversation and self.conversation.partner_left.is_set()):
                return None
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self._inbox.get(timeout=wait)
            except queue.Empty:
                raise TimeoutError from None
            if item is not _WAKE:
                return item


class HumanAgent(WorkerActions, Agent):
    """A worker in a world. `act()` answers what they type, or a leave message; the
    `WorkerActions` methods act on the worker through the run's task context."""

    def __init__(self, session: WorkerSession) -> None:
        super().__init__("Worker")
        self.session = session
        self.on_timeout: Callable[[WorkerSession], None] = lambda s: None

    @property
    def worker_id(self) -> str:
        return self.session.worker_id

    @property
    def assignment_id(self) -> str:
        return self.session.assignment_id

    def observe(self, act: Act) -> None:
        super().observe(act)
        conversation = self.session.conversation
        position = conversation.store_observed(act, self.id) if conversation is not None else None
        if act.get("id") != self.id:  # the page already shows the worker's own messages
            self.session.push({"type": "message", "act": act, "position": position})

    def act(self, timeout: float | None = None) -> Act:
        conversation = self.session.conversation
        if conversation is not None:
            conversation.begin_turn(self.id)
        try:
            act = self.session.next_act(timeout)
        except TimeoutError:
            self.on_timeout(self.session)
            return dict(TIMEOUT_MESSAGE)
        finally:
            if conversation is not None:
                conversation.end_turn(self.id)
        return act if act is not None else self._leave_act()

    def poll(self) -> Act | None:
        """The message the worker has already sent (or a leave act if they or their partner
        left), else None at once: never waits, so never times the worker out. Only a task
        with free chat lets a worker send before a world asks them to."""
        try:
            act = self.session.next_act(0)
        except TimeoutError:
            return None
        return act if act is not None else self._leave_act()

    def _leave_act(self) -> Act:
        if self.session.left:
            return dict(LEAVE_MESSAGES[self.session.left])
        return dict(PARTNER_DISCONNECT_MESSAGE)


def _close_quietly(ws: Any, code: int | None = None, reason: str | None = None) -> None:
    with contextlib.suppress(Exception):  # already closed
        ws.close(code, reason)
