"""Deal or No Deal: two workers negotiate how to split books, hats and balls. Each sees
the item counts and their own private values (worth exactly 10 points in all to each).

They take turns. A turn is a chat message, a proposal (`task_data.proposal`: what the
proposer keeps), an answer to the partner's proposal (`task_data.response`: accept or
reject), or walking away (`task_data.no_deal`). The negotiation ends on an accepted
proposal, on no deal, after MAX_TURNS turns, or when a worker leaves (the runner tells the
partner). The page lets a worker type at any time; what they send out of turn waits for
their turn.
"""
from __future__ import annotations

import itertools
import random
from typing import Any

from runner.agents import Act, Agent
from runner.worlds import World, is_leave
from runner.worlds import system_message as system

TURN_TIMEOUT_SECONDS = 5 * 60
MAX_TURNS = 20
ITEMS = ("book", "hat", "ball")
TOTAL_VALUE = 10
NO_PROPOSAL = {"pending_proposal": None, "my_proposal": None}  # clears both in the context pane


def make_scenario(rng: random.Random) -> tuple[dict[str, int], list[dict[str, int]]]:
    """Item counts and two different value tables, each worth TOTAL_VALUE for all items,
    such that every item is worth something to at least one negotiator."""
    while True:
        counts = {item: rng.randint(1, 4) for item in ITEMS}
        tables = [
            dict(zip(ITEMS, values))
            for values in itertools.product(range(TOTAL_VALUE + 1), repeat=len(ITEMS))
            if sum(counts[item] * v for item, v in zip(ITEMS, values)) == TOTAL_VALUE
        ]
        if len(tables) < 2:
            continue
        first, second = rng.sample(tables, 2)
        if all(first[item] or second[item] for item in ITEMS):
            return counts, [first, second]


def points(allocation: dict[str, int], values: dict[str, int]) -> int:
    return sum(allocation[item] * values[item] for item in ITEMS)


def parse_proposal(raw: Any, counts: dict[str, int]) -> dict[str, int] | None:
    """What the proposer keeps, one whole number per item (a missing item is 0), or None."""
    if not isinstance(raw, dict) or not set(raw) <= set(ITEMS):
        return None
    keep = {item: raw.get(item, 0) for item in ITEMS}
    if any(type(n) is not int or not 0 <= n <= counts[item] for item, n in keep.items()):
        return None
    return keep


def points_text(n: int) -> str:
    return f"{n} point{'' if n == 1 else 's'}"


def describe(allocation: dict[str, int]) -> str:
    parts = [f"{n} {item}{'' if n == 1 else 's'}" for item, n in allocation.items() if n]
    return ", ".join(parts) or "nothing"


def relay(act: Act, partner: Agent) -> None:
    """Pass a negotiator's words on to their partner: the same message (its message_id too,
    so the runner stores it once) but without its task_data, which the world answers in
    its own messages rather than letting it into the partner's context pane."""
    if str(act.get("text") or "").strip():
        partner.observe({key: value for key, value in act.items() if key != "task_data"})



class TaskWorld(World):
    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        super().__init__(opt, agents)
        self.counts, tables = make_scenario(random.Random(str(opt["conversation_id"])))
        self.values = {agent.id: table for agent, table in zip(agents, tables)}
        self.speaker = 0
        self.pending: dict[str, Any] | None = None  # {'by': role, 'keep': {...}}
        self.proposals: list[dict[str, Any]] = []
        self.deal: dict[str, dict[str, int]] | None = None
        self.outcome: str | None = None
        self.ended_by: str | None = None
        self._started = False

    # Turns -------------------------------------------------------------------------------

    def parley(self) -> None:
        if not self._started:
            self._send_scenarios()
        speaker = self.agents[self.speaker]
        partner = self.agents[1 - self.speaker]
        act = speaker.act(timeout=TURN_TIMEOUT_SECONDS)
        self.turn_index += 1
        if is_leave(act) or act.get("episode_done"):
            # The runner tells the partner; a partner_disconnect comes from the one who stayed.
            outcome = act.get("leave", "ended")
            self._finish(outcome, None if outcome == "partner_disconnect" else speaker.id)
            return
        if self._take_turn(act, speaker, partner):
            self.speaker = 1 - self.speaker
        if not self.episode_over and self.turn_index >= MAX_TURNS:
            self._announce("The turn limit is reached without a deal, so nobody scores.")
            self._finish("turn_limit", None)

    def _take_turn(self, act: Act, speaker: Agent, partner: Agent) -> bool:
        """Handle one act; True when the turn passes to the partner."""
        task_data = act.get("task_data") or {}
        if task_data.get("no_deal"):
            relay(act, partner)
            self._announce(f"{speaker.id} chose no deal, so nobody scores.")
            self._finish("no_deal", speaker.id)
            return False
        if "proposal" in task_data:
            return self._propose(task_data["proposal"], act, speaker, partner)
        if "response" in task_data:
            return self._answer(task_data["response"], act, speaker, partner)
        if not str(act.get("text") or "").strip():
            speaker.observe(system("Please type a message, make a proposal, or choose no deal."))
            return False
        relay(act, partner)
        return True

    def _propose(self, raw: Any, act: Act, speaker: Agent, partner: Agent) -> bool:
        keep = parse_proposal(raw, self.counts)
        if keep is None:
            speaker.observe(system(
                f"That proposal is not possible: keep between 0 and the number there is of "
                f"each item ({describe(self.counts)})."))
            return False
        if self.pending is not None:
            replaced = "withdrawn" if self.pending["by"] == speaker.id else "countered"
            self.proposals[-1]["response"] = replaced
        give = {item: self.counts[item] - keep[item] for item in ITEMS}
        worth = points(give, self.values[partner.id])
        self.pending = {"by": speaker.id, "keep": keep}
        self.proposals.append({"by": speaker.id, "keep": keep, "response": None})
        relay(act, partner)
        partner.observe(system(
            f"{speaker.id} proposes to keep {describe(keep)}. If you accept, you get "
            f"{describe(give)}: {points_text(worth)} for you. Accept, reject, or propose something else.",
            pending_proposal={"they_keep": keep, "you_get": give, "your_points": worth},
            my_proposal=None))
        speaker.observe(system(f"Your proposal went to {partner.id}; they can accept or reject it.",
                               pending_proposal=None, my_proposal=keep))
        return True

    def _answer(self, response: Any, act: Act, speaker: Agent, partner: Agent) -> bool:
        if self.pending is None or self.pending["by"] == speaker.id:
            speaker.observe(system("There is no proposal from your partner to answer."))
            return False
        if response == "accept":
            relay(act, partner)
            self._close_deal(speaker)
            return False
        if response == "reject":
            self.proposals[-1]["response"] = "reject"
            self.pending = None
            relay(act, partner)
            partner.observe(system(f"{speaker.id} rejected your proposal.", **NO_PROPOSAL))
            speaker.observe(system("You rejected the proposal.", **NO_PROPOSAL))
            return True
        speaker.observe(system("Please answer the proposal with accept or reject."))
        return False

    def _close_deal(self, acceptor: Agent) -> None:
        assert self.pending is not None
        keep = self.pending["keep"]
        self.proposals[-1]["response"] = "accept"
        self.deal = {
            self.pending["by"]: keep,
            acceptor.id: {item: self.counts[item] - keep[item] for item in ITEMS},
        }
        for agent in self.agents:
            mine = self.deal[agent.id]
            score = points(mine, self.values[agent.id])
            agent.observe(system(
                f"Deal! You get {describe(mine)}, worth {points_text(score)} to you. "
                "Thank you! You can submit now.", outcome="deal", your_points=score, **NO_PROPOSAL))
        self._finish("deal", acceptor.id)

    # Messages ----------------------------------------------------------------------------

    def _send_scenarios(self) -> None:
        self._started = True
        for agent in self.agents:
            values = self.values[agent.id]
            agent.observe(system(
                f"Agree with your partner how to divide these items. Your values are private: "
                f"everything together is worth {TOTAL_VALUE} points to you, and your partner "
                f"values the items differently. {self.agents[0].id} speaks first.",
                items=self.counts, values=values,
                table={"columns": ["Item", "Count", "Your value (each)"],
                       "rows": [[item, self.counts[item], values[item]] for item in ITEMS]}))

    def _announce(self, text: str) -> None:
        for agent in self.agents:
            agent.observe(system(f"{text} Thank you! You can submit now.",
                                 outcome="no_deal", your_points=0, **NO_PROPOSAL))

    def _finish(self, outcome: str, ended_by: str | None) -> None:
        self.outcome, self.ended_by = outcome, ended_by
        self.episode_over = True

    # Saved data --------------------------------------------------------------------------

    def points_by_role(self) -> dict[str, int]:
        return {
            agent.id: points(self.deal[agent.id], self.values[agent.id]) if self.deal else 0
            for agent in self.agents
        }

    def get_custom_task_data(self) -> dict[str, Any]:
        return {
            "items": self.counts,
            "values": self.values,
            "outcome": self.outcome,
            "ended_by": self.ended_by,
            "deal": self.deal,
            "points": self.points_by_role(),
            "workers": {agent.id: getattr(agent, "worker_id", None) for agent in self.agents},
            "proposals": self.proposals,
            "turns": self.turn_index,
        }

    def prep_save_data(self, agents: list[Agent]) -> dict[str, Any]:
        scores = self.points_by_role()
        return {
            "custom_data": self.get_custom_task_data(),
            "worker_data": {
                agent.worker_id: {"role": agent.id, "points": scores[agent.id]}
                for agent in agents if getattr(agent, "worker_id", None)
            },
        }
