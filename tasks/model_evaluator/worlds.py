"""Model evaluation: a model answers a prompt and one worker rates the reply from 0 to 10. A
rating that is not a whole number in range is asked for again, at most MAX_TRIES times in all.

The model is one on an OpenAI-compatible server when the run has `--model-url` and
`--model-name` (runner/model_agent.py), else a small built-in retrieval responder. When the
server fails, the worker reads the model's failure line, still rates, and custom_data says
`model_error`."""
from __future__ import annotations

import logging
import random
import re
from typing import Any

from runner.agents import Act, Agent, BotAgent
from runner.model_agent import ModelAgent, shown_url
from runner.worlds import World, is_leave
from runner.worlds import system_message as system

TURN_TIMEOUT_SECONDS = 5 * 60
MAX_TRIES = 3
MODEL_ID = "Model"
BUILT_IN = "built-in responder"
log = logging.getLogger("parley.runner")

PROMPTS = [
    "What should I cook for dinner tonight if I only have rice and eggs?",
    "Can you recommend a good movie for a rainy weekend?",
    "How do I keep my houseplants alive while I am on holiday?",
    "What is the weather usually like in Lisbon in spring?",
    "I want to start running. How far should I go in my first week?",
    "Which board game is fun for a family with young kids?",
    "How can I get better sleep at night?",
    "What is a good way to learn a new language quickly?",
]

# The model's whole knowledge: keywords and the canned reply they retrieve.
CANNED_REPLIES: list[tuple[frozenset[str], str]] = [
    (frozenset({"cook", "dinner", "rice", "eggs", "recipe", "food"}),
     "Try egg fried rice: fry day-old rice with scrambled eggs, soy sauce and any vegetables."),
    (frozenset({"movie", "film", "watch", "weekend"}),
     "A long classic adventure film is perfect for a weekend; pick one you have never seen."),
    (frozenset({"plants", "houseplants", "water", "holiday", "garden"}),
     "Water them well before you leave and group them together away from direct sun."),
    (frozenset({"weather", "rain", "spring", "sunny", "lisbon", "climate"}),
     "Spring is usually mild and sunny, with a few showers; bring a light jacket."),
    (frozenset({"running", "run", "first", "week", "exercise"}),
     "Start with three short sessions of walking and jogging, about twenty minutes each."),
    (frozenset({"game", "board", "family", "kids", "play"}),
     "Cooperative games work well with young kids because everyone wins or loses together."),
    (frozenset({"sleep", "night", "tired", "bed"}),
     "Keep the same bedtime every day and put screens away an hour before sleep."),
    (frozenset({"learn", "language", "quickly", "study", "words"}),
     "Practise a little every day and speak with native speakers as early as you can."),
]
FALLBACK_REPLY = "I am not sure about that. Could you tell me more?"
RATING = re.compile(r"\s*(\d{1,2})\s*(?:/\s*10)?\s*")


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def retrieve_reply(prompt: str) -> str:
    """The canned reply sharing the most keywords with the prompt (the earlier on a tie)."""
    asked = words(prompt)
    keywords, reply = max(CANNED_REPLIES, key=lambda entry: len(entry[0] & asked))
    return reply if keywords & asked else FALLBACK_REPLY


def built_in_responder() -> BotAgent:
    def respond(observed: list[Act]) -> str:
        return retrieve_reply(str(observed[-1].get("text", "")) if observed else "")

    return BotAgent(MODEL_ID, respond)


def model_agent(opt: dict[str, Any]) -> Agent:
    """The run's Model: a ModelAgent with --model-url and --model-name (the task's
    check_options refuses one without the other at launch), else the built-in responder."""
    url, name = opt.get("model_url"), opt.get("model_name")
    if url and name:
        return ModelAgent(MODEL_ID, url, name, system_prompt=opt.get("system_prompt"))
    return built_in_responder()


def parse_rating(text: str) -> int | None:
    """A whole number from 0 to 10 ("7" or "7/10"), or None."""
    match = RATING.fullmatch(text)
    if match is None or not 0 <= int(match.group(1)) <= 10:
        return None
    return int(match.group(1))


class TaskWorld(World):
    def __init__(self, opt: dict[str, Any], agents: list[Agent]) -> None:
        super().__init__(opt, agents)
        self.worker = agents[0]
        self.model = model_agent(opt)
        self.model_name: str | None = opt.get("model_name") or (None if opt.get("model_url") else BUILT_IN)
        self.model_url = shown_url(opt["model_url"]) if opt.get("model_url") else None
        self.model_error: str | None = None
        log.info("model_evaluator %s: the Model is %s", opt["conversation_id"],
                 f"{self.model_name} at {self.model_url}" if self.model_url else self.model_name)
        self.prompt = random.Random(str(opt["conversation_id"])).choice(PROMPTS)
        self.reply: str | None = None
        self.rating: int | None = None
        self.attempts: list[str] = []
        self.outcome: str | None = None

    def parley(self) -> None:
        if self.reply is None:
            self._show_prompt_and_reply()
        act = self.worker.act(timeout=TURN_TIMEOUT_SECONDS)
        self.turn_index += 1
        if is_leave(act) or act.get("episode_done"):
            self._finish(act.get("leave", "ended"))
            return
        text = str(act.get("text") or "").strip()
        self.attempts.append(text)
        self.rating = parse_rating(text)
        if self.rating is not None:
            self.worker.observe(system("Thank you for your rating! You can submit the HIT now."))
            self._finish("rated")
        elif len(self.attempts) >= MAX_TRIES:
            self.worker.observe(system(
                "Sorry, we still could not read a rating, so we will stop here. "
                "You can submit the HIT now."))
            self._finish("no_valid_rating")
        else:
            self.worker.observe(system(
                f"Sorry, {text!r} is not a rating we can use. Please send a whole number "
                f"from 0 to 10 (try {len(self.attempts) + 1} of {MAX_TRIES})."))

    def _show_prompt_and_reply(self) -> None:
        self.worker.observe(system(f"The model was asked: {self.prompt}", prompt=self.prompt))
        self.model.observe(system(self.prompt))
        answer = self.model.act()
        self.reply = str(answer["text"])
        self.model_error = answer.get("model_error")
        self.worker.observe(answer)
        self.worker.observe(system(
            "How good is the model's reply? Send a whole number from 0 (useless) to 10 (perfect)."))

    def shutdown(self) -> None:
        if isinstance(self.model, ModelAgent):
            self.model.close()

    def _finish(self, outcome: str) -> None:
        self.outcome = outcome
        self.episode_over = True

    def get_custom_task_data(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "reply": self.reply,
            "rating": self.rating,
            "attempts": self.attempts,
            "outcome": self.outcome,
            "model": self.model_name,
            "model_url": self.model_url,
            "model_error": self.model_error,
        }
