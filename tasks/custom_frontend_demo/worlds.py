"""Custom frontend demo: three roles, each with its own response component.

The Asker asks free-text questions, the Answerer answers each with a number only (the world
asks again on anything else), and the Evaluator watches; after ROUNDS questions the
Evaluator approves or rejects the conversation with `task_data.evaluation`.
"""
from __future__ import annotations

import re
from typing import Any

from runner.agents import Act, Agent
from runner.worlds import World, is_leave
from runner.worlds import system_message as system

TURN_TIMEOUT_SECONDS = 5 * 60
ROUNDS = 3
EVALUATIONS = ("approve", "reject")
NUMBER = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*")


def is_number(text: str) -> bool:
    return NUMBER.fullmatch(text) is not None



class TaskWorld(World):
    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        super().__init__(opt, agents)
        self.asker, self.answerer, self.evaluator = agents
        self.rounds: list[dict[str, str]] = []
        self.evaluation: str | None = None
        self.outcome: str | None = None
        self.ended_by: str | None = None
        self.step = "ask"

    def parley(self) -> None:
        speaker = {"ask": self.asker, "answer": self.answerer, "evaluate": self.evaluator}[self.step]
        if self.turn_index == 0:
            self._broadcast(system(f"Welcome! The Asker asks {ROUNDS} questions, the Answerer "
                                   "answers each with a number, and the Evaluator decides at the end."))
        act = speaker.act(timeout=TURN_TIMEOUT_SECONDS)
        self.turn_index += 1
        if is_leave(act) or act.get("episode_done"):
            # The runner tells the others; a partner_disconnect comes from one who stayed.
            outcome = act.get("leave", "ended")
            self._finish(outcome, None if outcome == "partner_disconnect" else speaker)
            return
        text = str(act.get("text") or "").strip()
        if self.step == "ask":
            self._ask(act, text)
        elif self.step == "answer":
            self._answer(act, text)
        else:
            self._evaluate(act)

    def _ask(self, act: Act, text: str) -> None:
        if not text:
            self.asker.observe(system("Please type a question."))
            return
        self.rounds.append({"question": text, "answer": ""})
        self._broadcast(act, but=self.asker)
        self.step = "answer"

    def _answer(self, act: Act, text: str) -> None:
        if not is_number(text):
            self.answerer.observe(system(
                f"Please answer with a number only, such as 42 or 3.5 ({text!r} is not one)."))
            return
        self.rounds[-1]["answer"] = text
        self._broadcast(act, but=self.answerer)
        if len(self.rounds) < ROUNDS:
            self.step = "ask"
            return
        self.step = "evaluate"
        self.evaluator.observe(system(
            "That was the last question. Approve the conversation if the Answerer tried to "
            "answer every question sensibly; reject it otherwise.", evaluate=True))

    def _evaluate(self, act: Act) -> None:
        evaluation = (act.get("task_data") or {}).get("evaluation")
        if evaluation not in EVALUATIONS:
            self.evaluator.observe(system("Please press Approve or Reject.", evaluate=True))
            return
        self.evaluation = evaluation
        self._broadcast(system(f"The Evaluator chose to {evaluation} this conversation. "
                               "Thank you all! You can submit now.", evaluate=False))
        self._finish("evaluated", self.evaluator)

    def _broadcast(self, act: Act, but: Agent | None = None) -> None:
        for agent in self.agents:
            if agent is not but:
                agent.observe(act)

    def _finish(self, outcome: str, by: Agent | None) -> None:
        self.outcome, self.ended_by = outcome, by.id if by else None
        self.episode_over = True

    def get_custom_task_data(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "evaluation": self.evaluation,
            "outcome": self.outcome,
            "ended_by": self.ended_by,
        }
