"""Form tasks in the store: a form run's items, the claims that hand them to workers'
assignments, and the answers, gold ones scored as they are stored.

An item counts as taken by its answers and its open claims, so `claim_form_items` gives each
item to N distinct workers and no more, as long as an assignment that ends without answering
releases its claims (`release_form_claims`) for the item to go to someone else. The claims of
one run are made one transaction at a time: on PostgreSQL each takes the run's row lock (FOR NO
KEY UPDATE, which rows referring to the run need not wait for); on SQLite the write transaction
holds the whole store. So two workers claiming at the same moment never push an item past N.
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    and_,
    case,
    exists,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from datastore.access import StoreAccess, records
from datastore.errors import InvalidValue, NotFound
from datastore.hot_path import check_holder, missing_assignment
from datastore.lifecycle import _json_ready
from datastore.models import ID_LENGTH, Assignment, Run
from datastore.models_forms import FormAnswerRow, FormClaim, FormItemRow
from datastore.records import Record
from datastore.states import HELD_CLAIMS, ClaimState

ITEM_KEYS = frozenset({"item_id", "data", "gold"})


@dataclass(frozen=True)
class FormItem:
    """An item as a worker's page may see it: never a gold item's known answers."""

    item_id: str
    data: dict[str, Any]
    is_gold: bool


@dataclass(frozen=True)
class FormAnswer:
    """What log_form_answer stored, and whether this call stored it (False: the same answers
    were stored before, by an earlier call this one repeats)."""

    id: int
    run_id: str
    item_id: str
    assignment_id: str
    worker_id: str
    answers: dict[str, Any]
    is_gold: bool
    gold_correct: bool | None
    answered_at: float
    created: bool


class FormStore(StoreAccess):
    def register_form_items(self, run_id: str, items: Iterable[Mapping[str, Any]]) -> int:
        """Store a form run's items ({"item_id", "data", "gold"}; gold: the known answers by
        field name, or None), placed in the order given after any the run already has. Items
        whose ids the run already has are left as they are, so registering the same items
        again writes nothing. Answers how many items were new. An item id given twice, or an
        item that cannot be stored, is refused and nothing is written."""
        checked = _checked_items(items)

        def write(s: Session) -> int:
            self._lock_run(s, run_id)
            known = set(s.scalars(select(FormItemRow.item_id).where(FormItemRow.run_id == run_id)))
            new = [item for item in checked if item["item_id"] not in known]
            if new:
                last = s.scalar(select(func.max(FormItemRow.position)).where(FormItemRow.run_id == run_id))
                start = 0 if last is None else last + 1
                s.execute(insert(FormItemRow), [{**item, "run_id": run_id, "position": start + n}
                                                for n, item in enumerate(new)])
            return len(new)

        return self._write(write)

    def claim_form_items(self, run_id: str, assignment_id: str, worker_id: str, count: int,
                         annotations_per_item: int, gold_rate: float = 0.0) -> list[FormItem]:
        """Hand up to `count` items of the run to the worker's assignment; they come back in an
        order shuffled by the assignment's id (so golds have no fixed place).

        Items to annotate are those with fewer than `annotations_per_item` answers and open
        claims together, fewest first, then in the run's order; golds (round(count x
        gold_rate) of them, at least one when gold_rate > 0 and the run has golds) may go to
        every worker. Never an item this worker was handed before in this run. When no item to
        annotate is left for the worker, nothing is handed (an empty list), golds included,
        unless every item asked for is a gold (gold_rate 1).

        An assignment that was handed items before gets the same ones back (those not
        released), and never new ones."""
        count = at_least_one(count, "the number of items to claim")
        wanted = at_least_one(annotations_per_item, "the number of annotations per item")
        if isinstance(gold_rate, bool) or not isinstance(gold_rate, Real) or not 0 <= gold_rate <= 1:
            raise InvalidValue(f"the gold rate is a fraction from 0 to 1, not {gold_rate!r}")

        def write(s: Session) -> list[FormItem]:
            self._lock_run(s, run_id)
            _check_assignment(s, run_id, assignment_id, worker_id)
            claims = s.execute(select(FormClaim.item_id, FormClaim.state)
                               .where(FormClaim.assignment_id == assignment_id).order_by(FormClaim.id)).all()
            if not claims:
                claims = [(item_id, ClaimState.OPEN)
                          for item_id in self._new_claims(s, run_id, assignment_id, worker_id,
                                                          count, wanted, float(gold_rate))]
            order = _shuffled([item_id for item_id, _ in claims], assignment_id)
            held = {item_id for item_id, state in claims if state in HELD_CLAIMS}
            return _items(s, run_id, [item_id for item_id in order if item_id in held])

        return self._write(write)

    def release_form_claims(self, assignment_id: str) -> int:
        """The assignment ended without answering some of its items: their claims become
        released, and the items can go to someone else. Answers how many were released."""

        def write(conn: Connection) -> int:
            if conn.scalar(select(Assignment.assignment_id).where(Assignment.assignment_id == assignment_id)) is None:
                raise missing_assignment(assignment_id)
            return conn.execute(update(FormClaim)
                                .where(FormClaim.assignment_id == assignment_id, FormClaim.state == ClaimState.OPEN)
                                .values(state=ClaimState.RELEASED)).rowcount

        return self._write_rows(write)

    def log_form_answer(self, run_id: str, assignment_id: str, worker_id: str, item_id: str,
                        answers: dict[str, Any], *, signals: dict[str, Any] | None = None,
                        flags: Sequence[dict[str, Any]] = ()) -> FormAnswer:
        """Store the worker's answers to an item their assignment holds (an open claim), scored
        when it is a gold (correct: every known answer given, compared as JSON values), and
        mark the claim answered, in one transaction. `signals`: how each free-text answer was
        composed, by field name; `flags`: what the checks found in them, each {"field", "flag",
        "detail"} (see FormAnswerRow). The same answers again answer the stored
        row (created=False); other answers to an item already answered are refused, as is an
        item the assignment does not hold, and nothing changes."""
        if not isinstance(answers, dict):
            raise InvalidValue("a form's answers are a dict of field name -> value")
        as_stored = json.loads(json.dumps(_json_ready(answers, "the answers")))
        _check_answer_composition(signals, flags)

        def write(s: Session) -> FormAnswer:
            claim = s.scalar(select(FormClaim).where(
                FormClaim.run_id == run_id, FormClaim.assignment_id == assignment_id,
                FormClaim.item_id == item_id).with_for_update())
            if claim is None:
                raise InvalidValue(f"item {item_id!r} of run {run_id!r} was not handed to "
                                   f"assignment {assignment_id!r}, so it cannot be answered there")
            check_holder(assignment_id, claim.worker_id, worker_id)
            if claim.state == ClaimState.RELEASED:
                raise InvalidValue(f"item {item_id!r} was released from assignment {assignment_id!r} "
                                   "when it ended, so it cannot be answered there any more")
            if claim.state == ClaimState.ANSWERED:
                return _repeated_answer(s, assignment_id, item_id, as_stored)
            item = s.get(FormItemRow, (run_id, item_id))
            assert item is not None  # the claim's foreign key
            row = FormAnswerRow(
                run_id=run_id, item_id=item_id, assignment_id=assignment_id, worker_id=claim.worker_id,
                answers=as_stored, is_gold=item.gold is not None,
                gold_correct=None if item.gold is None else gold_correct(item.gold, as_stored),
                answered_at=time.time(), signals=signals, flags=list(flags),
            )
            s.add(row)
            claim.state = ClaimState.ANSWERED
            s.flush()
            return _answer(row, created=True)

        return self._write(write)

    def get_form_answers(self, run_id: str, *, assignment_id: str | None = None, item_id: str | None = None,
                         worker_id: str | None = None) -> list[Record]:
        """A run's answers in the order they were stored, narrowed by any of the given ids."""
        query = answers_query(run_id, assignment_id=assignment_id, item_id=item_id, worker_id=worker_id)
        return self._read(lambda s: records(s.execute(query)))

    def get_form_items(self, run_id: str) -> list[Record]:
        """A run's items in order (item_id, position, data, is_gold, answers: how many answers
        it has), gold ones too but never their known answers."""
        answered = _answers_per_item(run_id)
        query = (select(FormItemRow.item_id, FormItemRow.position, FormItemRow.data,
                        type_coerce(FormItemRow.gold.is_not(None), Boolean).label("is_gold"),
                        func.coalesce(answered.c.answers, 0).label("answers"))
                 .outerjoin(answered, answered.c.item_id == FormItemRow.item_id)
                 .where(FormItemRow.run_id == run_id).order_by(FormItemRow.position))
        return self._read(lambda s: records(s.execute(query)))

    def gold_accuracy(self, run_id: str, worker_id: str) -> tuple[int, int]:
        """(gold items the worker answered in the run, how many of those they got right)."""
        query = (select(func.count(), _how_many(FormAnswerRow.gold_correct.is_(True)))
                 .where(FormAnswerRow.run_id == run_id, FormAnswerRow.worker_id == worker_id,
                        FormAnswerRow.is_gold.is_(True)))
        answered, correct = self._read(lambda s: s.execute(query).one())
        return int(answered), int(correct)

    def form_progress(self, run_id: str, annotations_per_item: int) -> dict[str, int]:
        """How far the run's items to annotate (golds left out) are: {"items": how many,
        "complete": how many have `annotations_per_item` answers or more, "answers": how many
        answers they have in all}."""
        wanted = at_least_one(annotations_per_item, "the number of annotations per item")
        return self._read(lambda s: form_progress_in(s, run_id, wanted))

    # Inside a transaction ---------------------------------------------------------------

    @staticmethod
    def _lock_run(s: Session, run_id: str) -> None:
        """Take the run's row (PostgreSQL; SQLite's write transaction holds the whole store),
        so the run's claims and item registrations happen one at a time."""
        locked = s.scalar(select(Run.run_id).where(Run.run_id == run_id).with_for_update(key_share=True))
        if locked is None:
            raise NotFound(f"there is no run {run_id!r}")

    @staticmethod
    def _new_claims(s: Session, run_id: str, assignment_id: str, worker_id: str, count: int, wanted: int,
                    gold_rate: float) -> list[str]:
        """Choose and claim items for an assignment that holds none; answers their ids."""
        golds = _golds_wanted(count, gold_rate, _has_golds(s, run_id))
        chosen = _candidates(s, run_id, worker_id, gold=True, limit=golds) if golds else []
        if len(chosen) < count:
            to_annotate = _candidates(s, run_id, worker_id, gold=False, limit=count - len(chosen),
                                      below=wanted)
            if not to_annotate:
                return []
            chosen += to_annotate
        now = time.time()
        if chosen:
            s.execute(insert(FormClaim), [
                {"run_id": run_id, "item_id": item_id, "assignment_id": assignment_id,
                 "worker_id": worker_id, "state": ClaimState.OPEN, "claimed_at": now}
                for item_id in chosen])
        return chosen


def form_progress_in(s: Session, run_id: str, annotations_per_item: int) -> dict[str, int]:
    """`FormStore.form_progress` inside the caller's transaction (one query)."""
    answered = _answers_per_item(run_id)
    per_item = (select(func.coalesce(answered.c.answers, 0).label("answers"))
                .select_from(FormItemRow)
                .outerjoin(answered, answered.c.item_id == FormItemRow.item_id)
                .where(FormItemRow.run_id == run_id, FormItemRow.gold.is_(None)).subquery())
    query = select(func.count(), _how_many(per_item.c.answers >= annotations_per_item),
                   func.coalesce(func.sum(per_item.c.answers), 0))
    items, complete, answers = s.execute(query).one()
    return {"items": int(items), "complete": int(complete), "answers": int(answers)}


def _checked_items(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The items as rows to insert, each checked; the first problem is refused."""
    if isinstance(items, str | bytes | Mapping):
        raise InvalidValue("form items are given as a list of {item_id, data, gold} dicts")
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, Mapping) or not {"item_id", "data"} <= item.keys() <= ITEM_KEYS:
            raise InvalidValue(f"form item {n} is not a dict with the keys item_id, data and optionally gold")
        item_id, data, gold = item["item_id"], item["data"], item.get("gold")
        if not isinstance(item_id, str) or not 0 < len(item_id) <= ID_LENGTH:
            raise InvalidValue(f"form item {n}: an item id is text of 1 to {ID_LENGTH} characters, "
                               f"not {item_id!r}")
        if item_id in seen:
            raise InvalidValue(f"form item {n}: the item id {item_id!r} is given twice")
        seen.add(item_id)
        if not isinstance(data, dict):
            raise InvalidValue(f"form item {item_id!r}: its data is a dict, not {type(data).__name__}")
        if gold is not None and (not isinstance(gold, dict) or not gold):
            raise InvalidValue(f"form item {item_id!r}: a gold is a dict of field name -> known answer, "
                               "with at least one field")
        checked.append({"item_id": item_id, "data": _json_ready(data, f"form item {item_id!r}'s data"),
                        "gold": _json_ready(gold, f"form item {item_id!r}'s gold answers")})
    return checked


def at_least_one(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue(f"{what} is a whole number, 1 or more, not {value!r}")
    return value


def _check_assignment(s: Session, run_id: str, assignment_id: str, worker_id: str) -> None:
    assignment = s.get(Assignment, assignment_id)
    if assignment is None:
        raise missing_assignment(assignment_id)
    check_holder(assignment_id, assignment.worker_id, worker_id)
    if assignment.run_id != run_id:
        raise InvalidValue(f"assignment {assignment_id!r} is of run {assignment.run_id!r}, not {run_id!r}")


def _golds_wanted(count: int, gold_rate: float, has_golds: bool) -> int:
    if not has_golds or gold_rate == 0:
        return 0
    return min(count, max(1, round(count * gold_rate)))


def _has_golds(s: Session, run_id: str) -> bool:
    return bool(s.scalar(select(exists().where(FormItemRow.run_id == run_id, FormItemRow.gold.is_not(None)))))


def _candidates(s: Session, run_id: str, worker_id: str, *, gold: bool, limit: int,
                below: int | None = None) -> list[str]:
    """Up to `limit` items (golds, or items to annotate) the worker was never handed, those
    with the fewest answers and open claims first, then in the run's order; only those with
    fewer than `below` when given."""
    of_the_item = and_(FormClaim.run_id == FormItemRow.run_id, FormClaim.item_id == FormItemRow.item_id)
    load = (select(func.count()).where(of_the_item, FormClaim.state.in_(HELD_CLAIMS))
            .correlate(FormItemRow).scalar_subquery())
    handed_before = exists().where(of_the_item, FormClaim.worker_id == worker_id)
    query = (select(FormItemRow.item_id)
             .where(FormItemRow.run_id == run_id, ~handed_before,
                    FormItemRow.gold.is_not(None) if gold else FormItemRow.gold.is_(None))
             .order_by(load, FormItemRow.position).limit(limit))
    if below is not None:
        query = query.where(load < below)
    return list(s.scalars(query))


def _shuffled(item_ids: list[str], assignment_id: str) -> list[str]:
    """The items in an order fixed by the assignment's id (the same in every process)."""
    order = list(item_ids)
    random.Random(assignment_id).shuffle(order)
    return order


def _items(s: Session, run_id: str, item_ids: list[str]) -> list[FormItem]:
    if not item_ids:
        return []
    rows = s.execute(select(FormItemRow.item_id, FormItemRow.data, FormItemRow.gold.is_not(None))
                     .where(FormItemRow.run_id == run_id, FormItemRow.item_id.in_(item_ids)))
    found = {item_id: FormItem(item_id, data, bool(is_gold)) for item_id, data, is_gold in rows}
    return [found[item_id] for item_id in item_ids]


def _repeated_answer(s: Session, assignment_id: str, item_id: str, answers: dict[str, Any]) -> FormAnswer:
    row = s.scalar(select(FormAnswerRow).where(FormAnswerRow.assignment_id == assignment_id,
                                               FormAnswerRow.item_id == item_id))
    assert row is not None  # an answered claim has its answer, written in the same transaction
    if not same_json(row.answers, answers):
        raise InvalidValue(f"item {item_id!r} was already answered in assignment {assignment_id!r}, "
                           "with other answers; the first answers are kept")
    return _answer(row, created=False)


def answers_query(run_id: str, *, assignment_id: str | None = None, item_id: str | None = None,
                  worker_id: str | None = None) -> Any:
    """The select of a run's answers (every column) in the order they were stored, narrowed by
    any of the given ids: get_form_answers's, and the conversation readers'."""
    query = select(*FormAnswerRow.__table__.columns).where(FormAnswerRow.run_id == run_id)
    for column, value in ((FormAnswerRow.assignment_id, assignment_id), (FormAnswerRow.item_id, item_id),
                          (FormAnswerRow.worker_id, worker_id)):
        if value is not None:
            query = query.where(column == value)
    return query.order_by(FormAnswerRow.id)


def _check_answer_composition(signals: dict[str, Any] | None, flags: Sequence[dict[str, Any]]) -> None:
    if signals is not None and not (isinstance(signals, dict) and all(isinstance(v, dict) for v in signals.values())):
        raise InvalidValue("an answer's signals are a dict of field name -> signals")
    _json_ready(signals, "the answer's signals")
    for flag in flags:
        if not isinstance(flag, dict) or set(flag) != {"field", "flag", "detail"}:
            raise InvalidValue(f"an answer's flag is a dict of field, flag and detail, not {flag!r}")
    _json_ready(list(flags), "the answer's flags")


def _answer(row: FormAnswerRow, *, created: bool) -> FormAnswer:
    return FormAnswer(id=row.id, run_id=row.run_id, item_id=row.item_id, assignment_id=row.assignment_id,
                      worker_id=row.worker_id, answers=row.answers, is_gold=row.is_gold,
                      gold_correct=row.gold_correct, answered_at=row.answered_at, created=created)


def _answers_per_item(run_id: str) -> Any:
    """A subquery: (item_id, answers) for each of the run's items that has answers."""
    return (select(FormAnswerRow.item_id, func.count().label("answers"))
            .where(FormAnswerRow.run_id == run_id).group_by(FormAnswerRow.item_id).subquery())


def _how_many(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SQL: how many rows meet `condition` (0 when there are none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def gold_correct(gold: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Whether `answers` gives every known answer of a gold item."""
    return all(name in answers and same_json(answers[name], known) for name, known in gold.items())


def same_json(a: Any, b: Any) -> bool:
    """Whether two JSON values are the same: numbers by value (3 is 3.0), but true is not 1,
    and lists in order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[key], b[key]) for key in a)
    return type(a) is type(b) and a == b
