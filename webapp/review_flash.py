"""The short messages a review action leaves on the next page: what was done, in a few words,
never led by an assignment's long id (the page already shows whose work it was). The JSON
answers keep the full sentences for scripts."""
from __future__ import annotations

from typing import Any

from flask import flash

DONE = {"approve": ("Approved", "Already approved"), "reject": ("Rejected", "Already rejected"),
        "bonus": ("Bonus paid", "That bonus was already paid"), "soft_block": ("Soft-blocked", "Already soft-blocked"),
        "hard_block": ("Hard-blocked", "Already hard-blocked"), "unblock": ("Unblocked", "Already unblocked")}
"""Per action: what a first request did, and what a repeated one found."""


def flash_outcomes(outcomes: list[dict[str, Any]]) -> None:
    """One line for what was done (with a count over several assignments), one per refusal."""
    done = [o for o in outcomes if o["ok"]]
    if done:
        first, again = DONE[done[0]["action"]]
        words = again if all(o.get("repeated") for o in done) else first
        flash(f"{words}{f' ({len(done)} assignments)' if len(outcomes) > 1 else ''}.", "ok")
    for outcome in outcomes:
        if not outcome["ok"]:
            flash(_sentence(outcome["message"], outcome["assignment_id"], several=len(outcomes) > 1), "error")


def _sentence(message: str, assignment_id: str, *, several: bool) -> str:
    """The refusal with the assignment's id made short: "this assignment" where only one was
    acted on, its last characters among several."""
    name = f"assignment …{assignment_id[-6:]}" if several else "this assignment"
    text = message.replace(f"assignment {assignment_id}", name).replace(assignment_id, name)
    return text[:1].upper() + text[1:].rstrip(".") + "."
