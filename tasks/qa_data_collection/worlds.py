"""QA data collection: one worker reads a short paragraph, writes a question it answers,
then answers that question. Two turns; the paragraph, question and answer are kept."""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from runner.agents import Agent
from runner.worlds import World, is_leave
from runner.worlds import system_message as system

TURN_TIMEOUT_SECONDS = 10 * 60
STEPS = (
    ("question", "Read the paragraph shown with the task, then write one question that it answers."),
    ("answer", "Thanks! Now answer your own question, using the paragraph."),
)



def load_paragraphs(task_dir: str | Path) -> list[dict[str, str]]:
    return json.loads((Path(task_dir) / "paragraphs.json").read_text(encoding="utf-8"))


def pick_paragraph(paragraphs: list[dict[str, str]], conversation_id: str) -> dict[str, str]:
    # Seeded by the conversation id so a conversation can be replayed with the same paragraph.
    return random.Random(str(conversation_id)).choice(paragraphs)


class TaskWorld(World):
    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        super().__init__(opt, agents)
        self.worker = agents[0]
        self.paragraph = pick_paragraph(load_paragraphs(opt["task_dir"]), opt["conversation_id"])
        self.collected: dict[str, str | None] = {name: None for name, _ in STEPS}
        self.outcome: str | None = None
        self._asked = False

    def parley(self) -> None:
        name, instruction = STEPS[self.turn_index]
        if not self._asked:
            context = ({"title": self.paragraph["title"], "paragraph": self.paragraph["text"]}
                       if self.turn_index == 0 else {})
            self.worker.observe(system(instruction, **context))
            self._asked = True
        act = self.worker.act(timeout=TURN_TIMEOUT_SECONDS)
        if is_leave(act) or act.get("episode_done"):
            self.outcome = act.get("leave", "ended")
            self.episode_over = True
            return
        text = str(act.get("text") or "").strip()
        if not text:
            self.worker.observe(system(f"Please type your {name} before sending."))
            return
        self.collected[name] = text
        self.turn_index += 1
        self._asked = False
        if self.turn_index == len(STEPS):
            self.outcome = "completed"
            self.worker.observe(system("Thank you, that is all! You can submit the HIT now."))
            self.episode_over = True

    def get_custom_task_data(self) -> dict[str, Any]:
        return {
            "paragraph": self.paragraph["text"],
            "title": self.paragraph["title"],
            **self.collected,
            "outcome": self.outcome,
        }
