"""Local humans: a person at the runner (the researcher, a colleague) who plays one of a
world's agents, as ParlAI's LocalHumanAgent did, through a chat page at a secret link on the
run's chat server or through the runner's terminal.

A local human is no marketplace worker: no HIT, no assignment, no pay, no disconnect rules.
Their agent is the workers' `HumanAgent` (act() waits for what they send, on their turn;
observe() shows them the conversation), over a session that belongs to one conversation.
What they send is stored as it arrives, under their agent id and with no worker, as a
bot's message is; the workers it is then shown to are added to it.

A task world asks for one through `opt['local_humans'].join(agent_id, via)`.
"""
from __future__ import annotations

import itertools
import json
import secrets
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from crowd.base import Refused
from runner.agents import Act
from runner.budget import DEFAULT_BUDGET, MessageMeter
from runner.live import HumanAgent, LiveConversation, WorkerSession, clean_act
from runner.protocol import WorkerIdentity

LOCAL_HUMAN_WORKER = "local-human"
"""The worker id in a local human's page token: what tells their socket from a worker's."""
VIA = ("link", "terminal")
ENDED_STATE = "ended"
ENDED_TEXT = "The conversation is over. Thank you! You can close this page."
NOTHING_TO_SUBMIT = "A local human has no task to submit or give back."


class LocalHumanSession(WorkerSession):
    """The runner's side of a local human: the numbered frames of their page (replayed after
    a reload, as a worker's are) and the inbox their agent reads. Its identity is the run,
    a secret key (in place of an assignment) and LOCAL_HUMAN_WORKER."""

    def __init__(self, conversation: LiveConversation, agent_id: str) -> None:
        key = secrets.token_urlsafe(16)
        super().__init__(WorkerIdentity(conversation.run_id, key, LOCAL_HUMAN_WORKER), hit_id="",
                         meter=MessageMeter(DEFAULT_BUDGET))
        self.key = key
        self.conversation = conversation
        self.agent.id = agent_id
        self.set_state("in_task")

    def receive(self, cid: str, act: Act) -> int:
        """What the person sent (`cid`: their page's id for it): stored now and handed to
        their agent; answers its position. Refused (with a sentence) when it is not their
        turn or the conversation is over; sent again after a reconnect, it answers the first
        position."""
        conversation = self.conversation
        assert conversation is not None
        agent_id = self.agent.id
        earlier = conversation.position_of(agent_id, cid)
        if earlier is not None:
            return earlier
        if self.state != "in_task":
            raise Refused(ENDED_TEXT)
        conversation.claim_turn(agent_id)
        clean = {**clean_act(agent_id, act), "message_id": cid}
        try:
            position = conversation.store_observed(clean, None)
        except Exception:
            conversation.give_back_turn(agent_id)
            raise
        self.deliver_to_agent(clean)
        return position

    def end(self) -> None:
        """The conversation is over: the page says so and takes no more messages."""
        self.set_state(ENDED_STATE, ENDED_TEXT)


class LocalDesk:
    """A run's local humans, by their secret key; announces each link as a world asks for it
    and reads the terminal for those who joined through it."""

    def __init__(self, link_base: Callable[[], str], announce: Callable[[str], None]) -> None:
        """`link_base()`: the URL a key is appended to (known once the run started);
        `announce(line)`: says where a local human is wanted (the CLI prints it)."""
        self._link_base, self._announce = link_base, announce
        self._seats: dict[str, LocalHumanSession] = {}
        self._lock = threading.Lock()
        self._terminal: Terminal | None = None

    def seat(self, conversation: LiveConversation, agent_id: str, via: str) -> HumanAgent:
        if via not in VIA:
            raise ValueError(f"a local human joins through one of {', '.join(VIA)}, not {via!r}")
        session = LocalHumanSession(conversation, agent_id)
        conversation.local_sessions.append(session)
        with self._lock:
            self._seats[session.key] = session
            if via == "terminal" and self._terminal is None:
                self._terminal = Terminal(sys.stdin, sys.stdout)
        if via == "link":
            self._announce(f"{agent_id} of conversation {conversation.conversation_id} is played by a local "
                           f"human: open {self.link(session)}")
        else:
            assert self._terminal is not None
            self._announce(f"{agent_id} of conversation {conversation.conversation_id} is played here: "
                           "type a message and press Enter when it is your turn.")
            self._terminal.attach(session)
        return session.agent

    def link(self, session: LocalHumanSession) -> str:
        return f"{self._link_base()}/{session.key}"

    def end(self, conversation: LiveConversation) -> None:
        """The conversation is over: its local humans' pages say so."""
        with self._lock:
            seats = [s for s in self._seats.values() if s.conversation is conversation]
        for session in seats:
            session.end()

    def interrupt(self) -> None:
        """The run stops: every local human still in a conversation leaves it, so the world
        waiting on them hears it (as a worker's does) and ends."""
        with self._lock:
            seats = [s for s in self._seats.values() if s.state == "in_task"]
        for session in seats:
            session.end()
            session.left = "interrupted"
            session.wake()

    def find(self, key: str) -> LocalHumanSession | None:
        with self._lock:
            return self._seats.get(key)

    def links(self) -> list[dict[str, str]]:
        """Each local human's link so far: conversation, agent id, url."""
        with self._lock:
            seats = list(self._seats.values())
        return [{"conversation_id": s.conversation.conversation_id if s.conversation else "",
                 "role": s.agent.id, "url": self.link(s)} for s in seats]


class LocalHumans:
    """What a task world gets as `opt['local_humans']`: a way to seat a person at the runner
    as one of its agents, in its own conversation."""

    def __init__(self, desk: LocalDesk, conversation: LiveConversation) -> None:
        self._desk, self._conversation = desk, conversation

    def join(self, agent_id: str, via: str = "link") -> HumanAgent:
        """A person plays `agent_id`: through a page at a secret link the runner prints
        (`via='link'`), or through the runner's own terminal (`via='terminal'`)."""
        return self._desk.seat(self._conversation, agent_id, via)


class Terminal:
    """The runner's terminal as a local human's page: what their agent observes is printed,
    and each line read from stdin is a message, to the terminal's local human whose turn it
    is (else the one who joined last, who is told it is not their turn)."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self._stdin, self._stdout = stdin, stdout
        self._sessions: list[LocalHumanSession] = []
        self._lock = threading.Lock()
        self._lines = itertools.count(1)
        threading.Thread(target=self._read, name="local-human-terminal", daemon=True).start()

    def attach(self, session: LocalHumanSession) -> None:
        with self._lock:
            self._sessions.append(session)
        session.attach(_TerminalPage(self._stdout, session.agent.id), 0)

    def _read(self) -> None:
        for line in self._stdin:
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            session = self._addressee()
            if session is None:
                self._stdout.write("(nobody here is in a conversation yet; not sent)\n")
                self._stdout.flush()
                continue
            try:
                session.receive(f"line-{next(self._lines)}", {"text": text})
            except Refused as exc:
                session.send({"type": "error", "error": str(exc)})

    def _addressee(self) -> LocalHumanSession | None:
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:
            if session.conversation is not None and session.conversation.turn_waiting_on(session.agent.id) is not None:
                return session
        return sessions[-1] if sessions else None


class _TerminalPage:
    """Stands in for a page's websocket: each frame sent to it is printed as a line."""

    def __init__(self, out: TextIO, agent_id: str) -> None:
        self._out, self._agent_id = out, agent_id

    def send(self, raw: str) -> None:
        line = self._line(json.loads(raw))
        if line:
            self._out.write(line + "\n")
            self._out.flush()

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Nothing to close: the terminal stays."""

    def _line(self, frame: dict[str, Any]) -> str | None:
        kind = frame.get("type")
        if kind == "message":
            act = frame.get("act") or {}
            return f"{act.get('id', 'System')}: {act.get('text', '')}"
        if kind == "turn" and frame.get("yours"):
            return f"[your turn, {self._agent_id}]"
        if kind == "state" and frame.get("text"):
            return str(frame["text"])
        if kind == "error":
            return f"(not sent: {frame.get('error')})"
        return None
