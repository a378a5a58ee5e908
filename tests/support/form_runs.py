"""Form runs with known answers, built through the handler's writers the way the runner builds
them (a run whose config keeps the form, items registered, claimed by workers' assignments and
answered), for the tests of the form report, the run page and the export."""
from __future__ import annotations

from typing import Any

from datastore import MTurkDataHandler
from tests.support.builders import assignment_in

RATING_FIELDS = [
    {"name": "label", "type": "single_choice", "label": "Is it <b>on topic</b>?", "required": True,
     "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]},
    {"name": "fluency", "type": "likert", "label": "Fluency", "required": True, "scale": 5},
    {"name": "note", "type": "text", "label": "Anything else", "required": False},
]
ODD_ITEM = "i4 <em>odd</em>"
"""An item id with markup in it: the run page shows it as text."""
RATING_ITEMS = ["i1", "i2", "i3", ODD_ITEM]
LABELS = {  # worker -> item -> label; W3 never answers i3
    "W1": {"i1": "yes", "i2": "yes", "i3": "no", ODD_ITEM: "yes"},
    "W2": {"i1": "yes", "i2": "no", "i3": "no", ODD_ITEM: "no"},
    "W3": {"i1": "yes", "i2": "no", ODD_ITEM: "yes"},
}
FLUENCY = {
    "W1": {"i1": 5, "i2": 3, "i3": 1, ODD_ITEM: 4},
    "W2": {"i1": 4, "i2": 3, "i3": 2, ODD_ITEM: 4},
    "W3": {"i1": 5, "i2": 2, ODD_ITEM: 4},
}
GOLD_LABELS = {"W1": {"g1": "yes", "g2": "yes"}, "W2": {"g1": "yes", "g2": "no"}, "W3": {"g1": "no", "g2": "no"}}
"""Every gold's known label is yes: W1 is right on 2 of 2, W2 on 1 of 2, W3 on none."""
GOLD_MIN_ANSWERS, GOLD_MIN_ACCURACY = 2, 0.6


def form_config(fields: list[dict[str, Any]], *, per_item: int, per_assignment: int, gold_rate: float = 0.0,
                min_accuracy: float | None = None, comparison: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run config as the runner stores it for a form task (FormTask.as_run_config)."""
    return {"task_dir": "tasks/somewhere", "form": {
        "fields": fields, "items_per_assignment": per_assignment, "annotations_per_item": per_item,
        "gold_rate": gold_rate, "gold_min_answers": GOLD_MIN_ANSWERS, "gold_min_accuracy": min_accuracy,
        "comparison": comparison}}


def answer_claimed(handler: MTurkDataHandler, run_id: str, worker_id: str, n: int, count: int, per_item: int,
                   answers: dict[str, dict[str, Any]], gold_rate: float = 0.0) -> list[str]:
    """A new assignment of the worker claims `count` items and answers those in `answers`
    (item id -> answers), leaving the others open; answers the item ids claimed."""
    assignment_id = assignment_in(handler, run_id, worker_id, n, "in_task", conversation_id=f"f_{worker_id}_{n}")
    claimed = [item.item_id for item in
               handler.claim_form_items(run_id, assignment_id, worker_id, count, per_item, gold_rate)]
    for item_id in claimed:
        if item_id in answers:
            handler.log_form_answer(run_id, assignment_id, worker_id, item_id, answers[item_id])
    return claimed


def rating_run(handler: MTurkDataHandler) -> str:
    """Three workers rate four items (label, fluency, a note) three times each, W3 leaving
    i3 unanswered, and each answers two golds (see GOLD_LABELS); W3 is blocked by the run,
    and W2's block was lifted. Answers the run id."""
    run_id = handler.log_new_run(3, "rate_dialogs", provider="local", config=form_config(
        RATING_FIELDS, per_item=3, per_assignment=6, gold_rate=2 / 6, min_accuracy=GOLD_MIN_ACCURACY))
    handler.register_form_items(run_id, [
        *({"item_id": item_id, "data": {"text": f"The text of {item_id}."}} for item_id in RATING_ITEMS),
        *({"item_id": gold, "data": {"text": "A known one."}, "gold": {"label": "yes"}} for gold in ("g1", "g2"))])
    for n, worker_id in enumerate(LABELS):
        answers = {item_id: {"label": label, "fluency": FLUENCY[worker_id][item_id], "note": f"<i>{worker_id}</i>"}
                   for item_id, label in LABELS[worker_id].items()}
        answers.update({gold: {"label": label, "fluency": 3} for gold, label in GOLD_LABELS[worker_id].items()})
        claimed = answer_claimed(handler, run_id, worker_id, n, 6, 3, answers, gold_rate=2 / 6)
        assert sorted(claimed) == sorted([*RATING_ITEMS, "g1", "g2"])
    handler.ensure_qualification("rate_dialogs_block", False)
    for worker_id in ("W2", "W3"):
        handler.log_block(worker_id, "soft", False, reason="golds", run_id=run_id,
                          qualification_name="rate_dialogs_block")
    handler.log_unblock("W2", "soft", False)
    return run_id


COMPARISON_FIELDS = [{"name": "winner", "type": "single_choice", "label": "Which reply is better?",
                      "required": True, "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}]
MATCHES = {  # item -> (model on side a, model on side b, winning model, whether it won shown first)
    **{f"c{n:02d}": ("m1", "m2", "m1", True) for n in range(1, 6)},
    **{f"c{n:02d}": ("m2", "m1", "m1", n <= 8) for n in range(6, 10)},
    "c10": ("m2", "m1", "m2", False),
    "c11": ("m3", "m1", "m3", False),
    "c12": ("m3", "m1", "m3", False),
}
"""m1 beats m2 9 times of 10 (p = 0.021484375), m3 beats m1 twice of 2 (p = 0.5); the side
shown first won 8 of the 12 (p = 1588/4096)."""


def comparison_run(handler: MTurkDataHandler) -> str:
    """Two workers judge six of MATCHES each (one judgement an item). Answers the run id."""
    run_id = handler.log_new_run(2, "compare_models", provider="local", config=form_config(
        COMPARISON_FIELDS, per_item=1, per_assignment=6, comparison={"field": "winner", "sides": ["a", "b"]}))
    handler.register_form_items(run_id, [
        {"item_id": item_id, "data": {"a": {"model": a, "reply": "Hi."}, "b": {"model": b, "reply": "Hello."}}}
        for item_id, (a, b, _, _) in MATCHES.items()])
    judgements = {}
    for item_id, (a, _, winner, first) in MATCHES.items():
        side, other = ("a", "b") if winner == a else ("b", "a")
        judgements[item_id] = {"winner": side, "positions": [side, other] if first else [other, side]}
    claimed = [*answer_claimed(handler, run_id, "W1", 0, 6, 1, judgements),
               *answer_claimed(handler, run_id, "W2", 1, 6, 1, judgements)]
    assert sorted(claimed) == sorted(MATCHES)
    return run_id
