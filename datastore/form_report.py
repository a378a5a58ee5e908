"""The report of a form run, read from the store alone (never the task): how far its items
are, how far its workers agree on each question (agreement.py), how each worker does on the
golds, and, for a run comparing two sides of each item, the models' win rates (win_rate.py)
and how often the side shown first won. The run page, its JSON twin and `python -m datastore
export --format form-report` all show this one report.

It reads the form's settings from the run's config (`"form"`, as the runner stores it at
launch), and the run's answers in one query, so it costs the same few queries on a run with
thousands of answers as on one with ten.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datastore.access import StoreAccess
from datastore.agreement import agreement_report
from datastore.errors import InvalidValue, NotFound
from datastore.forms import at_least_one, form_progress_in
from datastore.models import Run
from datastore.models_forms import FormAnswerRow, FormItemRow
from datastore.models_review import Block
from datastore.win_rate import Judgement, pair_results, win_rate_table

POSITIONS_KEY = "positions"
"""Where a comparison's answer keeps the sides in the order its page showed them (first
shown first), beside the fields' answers."""
SHOWN_FIRST, SHOWN_SECOND = "shown first", "shown second"
"""The two 'models' of the position table: a side that won when shown first or second."""


class FormReportReaders(StoreAccess):
    def form_report(self, run_id: str) -> dict[str, Any] | None:
        """The JSON-ready report of a form run (None for a run that is not one; NotFound for
        no run): {"run_id", "fields", "progress", "agreement", "gold", "comparison"}.

        progress: form_progress with the run's annotations_per_item, and how many gold
        answers came beside them. agreement: agreement_report over the answers to
        non-gold items, per question with a level. gold: the bar (min_answers,
        min_accuracy) and, per worker who answered anything, {answers (non-gold),
        golds_answered, golds_right, gold_accuracy (None without golds), below_bar (the
        task's gold bar), blocked (an active block this run made, as the gold bar makes)}.
        comparison: None, or {field, sides, win_rates (win_rate_table over the non-gold
        answers), positions (how often the side shown first won, with its binomial test
        against a coin toss)}."""
        return self._read(lambda s: _report(s, run_id))


def _report(s: Session, run_id: str) -> dict[str, Any] | None:
    config = s.scalar(select(Run.config).where(Run.run_id == run_id))
    if config is None and s.scalar(select(Run.run_id).where(Run.run_id == run_id)) is None:
        raise NotFound(f"there is no run {run_id!r} in the store")
    form = (config or {}).get("form")
    if form is None:
        return None
    fields: list[dict[str, Any]] = _setting(form, "fields")
    per_item = at_least_one(_setting(form, "annotations_per_item"), "the run's annotations_per_item")
    answers = [dict(row) for row in s.execute(
        select(FormAnswerRow.item_id, FormAnswerRow.worker_id, FormAnswerRow.answers, FormAnswerRow.is_gold,
               FormAnswerRow.gold_correct)
        .where(FormAnswerRow.run_id == run_id).order_by(FormAnswerRow.id)).mappings()]
    compared = _setting(form, "comparison")
    return {
        "run_id": run_id,
        "fields": fields,
        "progress": {**form_progress_in(s, run_id, per_item), "annotations_per_item": per_item,
                     "gold_answers": sum(1 for row in answers if row["is_gold"])},
        "agreement": agreement_report(fields, answers),
        "gold": _gold(s, run_id, form, answers),
        "comparison": None if compared is None else _comparison(s, run_id, compared, answers),
    }


def _setting(form: Mapping[str, Any], key: str) -> Any:
    if key not in form:
        raise InvalidValue(f"the run's form settings have no {key!r}, so its report cannot be made")
    return form[key]


def _gold(s: Session, run_id: str, form: Mapping[str, Any], answers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    min_answers, min_accuracy = _setting(form, "gold_min_answers"), _setting(form, "gold_min_accuracy")
    blocked = set(s.scalars(select(Block.worker_id).where(Block.run_id == run_id, Block.revoked.is_(None))))
    counts: dict[str, Counter[str]] = {}
    for row in answers:
        tally = counts.setdefault(row["worker_id"], Counter())
        if row["is_gold"]:
            tally["golds_answered"] += 1
            tally["golds_right"] += bool(row["gold_correct"])
        else:
            tally["answers"] += 1
    workers = {}
    for worker_id in sorted(counts):
        answered, right = counts[worker_id]["golds_answered"], counts[worker_id]["golds_right"]
        workers[worker_id] = {
            "answers": counts[worker_id]["answers"], "golds_answered": answered, "golds_right": right,
            "gold_accuracy": right / answered if answered else None,
            "below_bar": below_gold_bar(answered, right, min_answers, min_accuracy),
            "blocked": worker_id in blocked,
        }
    return {"min_answers": min_answers, "min_accuracy": min_accuracy, "workers": workers}


def below_gold_bar(answered: int, right: int, min_answers: int, min_accuracy: float | None) -> bool:
    """Whether a worker with this record on the golds is below a form's bar: right on less
    than `min_accuracy` of them once they answered `min_answers` (never, without a bar)."""
    return min_accuracy is not None and answered >= min_answers and right / answered < min_accuracy


def _comparison(s: Session, run_id: str, compared: Mapping[str, Any],
                answers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    field, sides = compared["field"], list(compared["sides"])
    data = {item_id: item_data for item_id, item_data in s.execute(
        select(FormItemRow.item_id, FormItemRow.data).where(FormItemRow.run_id == run_id, FormItemRow.gold.is_(None)))}
    models, positions = [], []
    for row in answers:
        winner = row["answers"].get(field)
        if row["is_gold"] or winner in (None, ""):
            continue
        item_id, worker_id = row["item_id"], row["worker_id"]
        if winner not in sides:
            raise InvalidValue(f"worker {worker_id!r} chose {winner!r} on item {item_id!r}, which is "
                               f"neither side of the comparison ({sides[0]!r} or {sides[1]!r})")
        model = {side: _model(data[item_id], side, item_id) for side in sides}
        models.append(Judgement(item_id, worker_id, model[sides[0]], model[sides[1]], model[winner]))
        shown = row["answers"].get(POSITIONS_KEY)
        if not isinstance(shown, list) or sorted(shown) != sorted(sides):
            raise InvalidValue(f"the answer of worker {worker_id!r} on item {item_id!r} does not say in "
                               f"which order its page showed the sides ({POSITIONS_KEY!r})")
        positions.append(Judgement(item_id, worker_id, SHOWN_FIRST, SHOWN_SECOND,
                                   SHOWN_FIRST if winner == shown[0] else SHOWN_SECOND))
    by_position = pair_results(positions)
    return {"field": field, "sides": sides, "win_rates": win_rate_table(models),
            "positions": by_position[0] if by_position else None}


def _model(data: Mapping[str, Any], side: str, item_id: str) -> str:
    shown = data.get(side)
    if not isinstance(shown, Mapping) or not isinstance(shown.get("model"), str):
        raise InvalidValue(f"item {item_id!r}: data[{side!r}] does not name its model")
    return shown["model"]
