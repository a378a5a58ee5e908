"""Qualification flow: a worker's first assignment of this task is a test of additions with
known answers; later assignments are real ones with random sums.

"First" is remembered through the task context (`opt["context"]`): a worker who finishes
the test is granted TESTED_QUALIFICATION, and one who fails it is also soft-blocked from the
task, both through the review service, so the marketplace sees them and the audit log says
why. Without a context in opt the world cannot remember, so every assignment is a test and
nothing is granted.
"""
from __future__ import annotations

import random
import re
from typing import Any

from runner.agents import Agent
from runner.worlds import World, is_leave
from runner.worlds import system_message as system

TURN_TIMEOUT_SECONDS = 5 * 60
TESTED_QUALIFICATION = "qualification_flow_example_tested"
TEST_PROBLEMS = [(3, 4), (12, 29), (45, 38)]
REAL_PROBLEM_COUNT = 3
NUMBER = re.compile(r"\s*[-+]?\d+\s*")


def parse_number(text: str) -> int | None:
    return int(text) if NUMBER.fullmatch(text) else None


def real_problems(conversation_id: str) -> list[tuple[int, int]]:
    rng = random.Random(str(conversation_id))
    return [(rng.randint(1, 99), rng.randint(1, 99)) for _ in range(REAL_PROBLEM_COUNT)]



class TaskWorld(World):
    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        super().__init__(opt, agents)
        self.worker = agents[0]
        self.context = opt.get("context")
        self.is_test = not self._has_taken_test()
        self.problems = list(TEST_PROBLEMS) if self.is_test else real_problems(opt["conversation_id"])
        self.answers: list[str] = []
        self.passed: bool | None = None
        self.outcome: str | None = None

    def _has_taken_test(self) -> bool:
        return self.context is not None and TESTED_QUALIFICATION in self.context.qualifications(self.worker.worker_id)

    def parley(self) -> None:
        a, b = self.problems[self.turn_index]
        self.worker.observe(system(
            f"Problem {self.turn_index + 1} of {len(self.problems)}: what is {a} + {b}? "
            "Answer with a number.", problem=f"{a} + {b}"))
        act = self.worker.act(timeout=TURN_TIMEOUT_SECONDS)
        if is_leave(act) or act.get("episode_done"):
            self.outcome = act.get("leave", "ended")
            self.episode_over = True
            return
        self.answers.append(str(act.get("text") or "").strip())
        self.turn_index += 1
        if self.turn_index == len(self.problems):
            self.outcome = "completed"
            self.episode_over = True
            if self.is_test:
                self._grade_test()
            else:
                self.worker.observe(system("Thank you! You can submit the HIT now."))

    def correct(self) -> list[bool]:
        return [parse_number(answer) == a + b for (a, b), answer in zip(self.problems, self.answers)]

    def _grade_test(self) -> None:
        self.passed = all(self.correct())
        if self.context is not None:
            self._record_result()
        if self.passed:
            self.worker.observe(system(
                "You passed the test. Thank you! You can submit the HIT now, and from now on "
                "you will get real problems."))
        else:
            self.worker.observe(system(
                "Some of your answers were wrong, so you cannot take more HITs of this task. "
                "You can still submit this one. Thank you for trying!"))

    def _record_result(self) -> None:
        self.worker.grant_qualification(TESTED_QUALIFICATION, reason="took the qualification_flow_example test")
        if not self.passed:
            self.worker.soft_block_worker("failed the qualification_flow_example test")

    def get_custom_task_data(self) -> dict[str, Any]:
        return {
            "kind": "test" if self.is_test else "real",
            "problems": [[a, b] for a, b in self.problems],
            "answers": self.answers,
            "correct": self.correct(),
            "passed": self.passed,
            "outcome": self.outcome,
        }
