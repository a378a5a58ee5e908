"""QA data collection: one worker reads a paragraph from a SQuAD-format file, writes a
question it answers, then answers that question. Two turns; the paragraph, question and
answer are kept.

The file is SQuAD's JSON (v1.1 or v2.0):

    {"version": ..., "data": [{"title": ..., "paragraphs": [{"context": ..., "qas": [
        {"id": ..., "question": ..., "answers": [{"text": ..., "answer_start": N}],
         "is_impossible": bool (v2.0 only)}]}]}]}

It is read and checked once, as the run is launched (`prepare_run`): a file that is missing
or not of that shape refuses the launch with a sentence naming the first thing wrong."""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from runner.agents import Agent
from runner.tasks import TaskError
from runner.worlds import World, is_leave
from runner.worlds import system_message as system

TURN_TIMEOUT_SECONDS = 10 * 60
STEPS = (
    ("question", "Read the paragraph shown with the task, then write one question that it answers."),
    ("answer", "Thanks! Now answer your own question, using the paragraph."),
)


def squad_path(opt: dict[str, Any]) -> Path:
    """The file to read: `--squad-path` (relative to where the runner runs), else the task
    config's `squad_path` (relative to the task folder)."""
    if opt.get("squad_path"):
        return Path(opt["squad_path"]).expanduser().resolve()
    return Path(opt["task_dir"]) / opt["task_config"]["squad_path"]


def prepare_run(opt: dict[str, Any]) -> dict[str, Any]:
    """Read the run's SQuAD file once, at launch; every world picks from its paragraphs."""
    return {"paragraphs": load_squad(squad_path(opt))}


def load_squad(path: Path) -> list[dict[str, str]]:
    """Every paragraph of the file, in order, as {"title", "text"}; TaskError says why a
    file cannot be used."""
    if not path.is_file():
        raise TaskError(f"there is no SQuAD file at {path}")
    try:
        squad = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise TaskError(f"{path} is not UTF-8 text, so it is not a SQuAD file") from None
    except json.JSONDecodeError as exc:
        raise TaskError(f"{path} is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    problem = squad_problem(squad)
    if problem:
        raise TaskError(f"{path} is not in SQuAD's format: {problem}")
    return [{"title": article["title"], "text": paragraph["context"]}
            for article in squad["data"] for paragraph in article["paragraphs"]]


def squad_problem(squad: Any) -> str | None:
    """The first way `squad` (parsed JSON) differs from SQuAD's shape, where; None if it has it."""
    if not isinstance(squad, dict) or not isinstance(squad.get("data"), list):
        return 'it must be an object whose "data" is a list of articles'
    if not any(isinstance(a, dict) and a.get("paragraphs") for a in squad["data"]):
        return "it has no paragraphs"
    for a, article in enumerate(squad["data"]):
        where = f"data[{a}]"
        if not isinstance(article, dict):
            return f"{where} must be an object"
        if not isinstance(article.get("title"), str):
            return f'{where} has no "title" text'
        if not isinstance(article.get("paragraphs"), list):
            return f'{where} has no "paragraphs" list'
        for p, paragraph in enumerate(article["paragraphs"]):
            problem = _paragraph_problem(paragraph, f"{where}.paragraphs[{p}]")
            if problem:
                return problem
    return None


def _paragraph_problem(paragraph: Any, where: str) -> str | None:
    if not isinstance(paragraph, dict):
        return f"{where} must be an object"
    if not isinstance(paragraph.get("context"), str) or not paragraph["context"].strip():
        return f'{where} has no "context" text'
    if not isinstance(paragraph.get("qas"), list):
        return f'{where} has no "qas" list'
    for q, qa in enumerate(paragraph["qas"]):
        at = f"{where}.qas[{q}]"
        if not isinstance(qa, dict):
            return f"{at} must be an object"
        for key in ("id", "question"):
            if not isinstance(qa.get(key), str):
                return f'{at} has no "{key}" text'
        if "is_impossible" in qa and not isinstance(qa["is_impossible"], bool):
            return f'{at}: "is_impossible" must be true or false'
        if not isinstance(qa.get("answers"), list):
            return f'{at} has no "answers" list'
        for n, answer in enumerate(qa["answers"]):
            if not isinstance(answer, dict) or not isinstance(answer.get("text"), str) \
                    or not _is_offset(answer.get("answer_start")):
                return f'{at}.answers[{n}] must have "text" and a whole-number "answer_start"'
    return None


def _is_offset(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def pick_paragraph(paragraphs: list[dict[str, str]], conversation_id: str) -> dict[str, str]:
    # Seeded by the conversation id so a conversation can be replayed with the same paragraph.
    return random.Random(str(conversation_id)).choice(paragraphs)


class TaskWorld(World):
    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        super().__init__(opt, agents)
        self.worker = agents[0]
        self.paragraph = pick_paragraph(opt["paragraphs"], opt["conversation_id"])
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
