"""The readers behind the reviewer's dashboard: pages of runs, of a run's conversations and of
a worker's history, with the counts, money and charts around them, as JSON-ready dicts.

Lists page by keyset behind an opaque `next` cursor, never by OFFSET, and every count or sum is
a grouped query over an index for the ids of one page only, so a page costs the same whatever
the size of the store. A run's own totals and charts (its assignments and HITs by status,
outcomes per hour, task durations, bonuses) are read from `run_totals`, which the writers keep current
(datastore/run_totals.py), never counted over the run's rows. Money is integer cents; times are
epoch seconds.
"""
from __future__ import annotations

import base64
import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, tuple_
from sqlalchemy.orm import Session

from datastore import run_totals
from datastore.access import StoreAccess
from datastore.authenticity_summary import conversation_has_flagged_messages
from datastore.errors import InvalidValue
from datastore.models import Assignment, Conversation, Pairing, Run, Worker
from datastore.models_dashboard import RunTotal
from datastore.models_review import Block, Qualification, WorkingTime
from datastore.query_types import AnyRow, AnySelect
from datastore.readers import MESSAGE_COUNT, WORKER_COLUMNS, workers_by_conversation
from datastore.run_totals import HOUR, RunTallies, Tally, bonus_key
from datastore.states import FAILED, FINISHED_TASK, LIVE, REVIEWABLE, RunStatus
from datastore.states import AssignmentStatus as S
from datastore.worker_admin import qualifications_held, utc_day

MAX_PAGE = 500
UNPAID_BONUS_LIST_CAP = 100
"""Unpaid bonuses a run's payments list by default (the sums count them all)."""
DURATION_BINS = 10
MAX_TIMELINE_BUCKETS = 48
UNREVIEWED_PROBE = 2000
"""Conversations the unreviewed filter checks one by one before it looks up the run's whole
reviewable work instead (see _with_work_to_review)."""

IS_TASK_CONVERSATION = run_totals.is_task_conversation()

RUN_FIELDS: Sequence[Any] = (
    Run.run_id,
    Run.taskname,
    Run.provider,
    Run.is_sandbox,
    Run.is_test,
    Run.status,
    Run.launch_time,
    Run.end_time,
    Run.maximum.label("target"),
    Run.reward_cents,
    Run.currency,
    Run.config,
    Run.stop_requested_at,
    Run.stop_requested_by,
    Run.discarded_at,
)


# Cursors and pages ---------------------------------------------------------------------------

def encode_cursor(kind: str, *key: Any) -> str:
    """An opaque, URL-safe cursor carrying the sort key of a page's last item."""
    text = json.dumps([kind, *key], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, *types: type) -> tuple[Any, ...]:
    """The key `encode_cursor(kind, ...)` put in `cursor`, each part checked against `types`
    (float, int or str); anything else raises InvalidValue."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (TypeError, ValueError, RecursionError):  # bad base64, UTF-8 or JSON; JSON nested too deep
        decoded = None
    if (
        isinstance(decoded, list)
        and len(decoded) == len(types) + 1
        and decoded[0] == kind
        and all(_is_a(value, type_) for value, type_ in zip(decoded[1:], types))
    ):
        return tuple(float(v) if t is float else v for v, t in zip(decoded[1:], types))
    shown = cursor if isinstance(cursor, str) and len(cursor) <= 60 else f"{str(cursor)[:60]}..."
    raise InvalidValue(
        f"{shown!r} is not a page cursor of this list; start again from the first page"
    )


def _is_a(value: Any, type_: type) -> bool:
    if isinstance(value, bool):
        return False
    if type_ is float:
        return isinstance(value, int | float) and math.isfinite(value)
    if type_ is int:  # a key of an Integer column: anything wider fails in the database
        return isinstance(value, int) and -(2**31) <= value < 2**31
    return isinstance(value, type_)


def _page_size(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidValue("a page must hold at least one item")
    return min(limit, MAX_PAGE)


def _page(
    rows: Sequence[AnyRow], limit: int, cursor_of: Callable[[AnyRow], str]
) -> tuple[Sequence[AnyRow], str | None]:
    """Split the `limit + 1` rows a page query fetched into the page and the next page's
    cursor, None when this page is the last: no page link ever leads to an empty page."""
    if len(rows) > limit:
        return rows[:limit], cursor_of(rows[limit - 1])
    return rows, None


# Counts and money ---------------------------------------------------------------------------

def _count_in(statuses: Counter[str], group: Collection[str]) -> int:
    return sum(n for status, n in statuses.items() if status in group)


def earnings(s: Session, worker_ids: Sequence[str]) -> dict[str, dict[bool, dict[str, int]]]:
    """{worker: {is_sandbox: {currency: cents}}}: the rewards of their approved assignments
    plus the bonuses paid to them, summed in each currency apart (a worker with none: absent)."""
    earned: defaultdict[str, defaultdict[bool, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    rewards = (
        select(Assignment.worker_id, Run.is_sandbox, Run.currency, func.sum(Run.reward_cents))
        .join(Run, Run.run_id == Assignment.run_id)
        .where(Assignment.worker_id.in_(worker_ids), Assignment.status == S.APPROVED)
        .group_by(Assignment.worker_id, Run.is_sandbox, Run.currency)
    )
    bonuses = (
        select(Pairing.worker_id, Run.is_sandbox, Run.currency, func.sum(Pairing.bonus_amount_cents))
        .join(Run, Run.run_id == Pairing.run_id)
        .where(Pairing.worker_id.in_(worker_ids), Pairing.bonus_paid.is_(True))
        .group_by(Pairing.worker_id, Run.is_sandbox, Run.currency)
    )
    for query in (rewards, bonuses):
        for worker_id, is_sandbox, currency, cents in s.execute(query):
            earned[worker_id][bool(is_sandbox)][currency] += int(cents)
    return {worker: {sandbox: dict(sorted(by.items())) for sandbox, by in kinds.items()}
            for worker, kinds in earned.items()}


def _approval_rate(statuses: Counter[str]) -> float | None:
    reviewed = statuses[S.APPROVED] + statuses[S.REJECTED]
    return statuses[S.APPROVED] / reviewed if reviewed else None


def _tallies(s: Session, run_ids: Sequence[str], *kinds: Tally) -> dict[str, RunTallies]:
    """The runs' kept totals (run_totals.py): one query over its primary key for the lot."""
    return run_totals.read(s, run_ids, kinds or tuple(Tally))


@dataclass(frozen=True)
class Bonuses:
    paid: int = 0
    unpaid: int = 0

    @classmethod
    def of(cls, tallies: RunTallies) -> Bonuses:
        return cls(tallies.bonus_cents[True], tallies.bonus_cents[False])


@dataclass(frozen=True)
class RunMoney:
    """What a run has paid and still owes, from its reward, assignment counts and bonuses."""

    reward_cents: int
    statuses: Counter[str]
    bonuses: Bonuses

    @property
    def base_paid(self) -> int:
        return self.reward_cents * self.statuses[S.APPROVED]

    @property
    def base_owed(self) -> int:
        """Work done and not reviewed yet is owed: it is paid unless someone rejects it."""
        return self.reward_cents * _count_in(self.statuses, REVIEWABLE)

    @property
    def paid(self) -> int:
        return self.base_paid + self.bonuses.paid

    @property
    def owed(self) -> int:
        return self.base_owed + self.bonuses.unpaid


def _run_dict(run: AnyRow, tallies: RunTallies) -> dict[str, Any]:
    """A run (RUN_FIELDS) as the dashboard shows it, with its kept totals: not its config (the
    runner's flags), only the `interruption` record a run whose runner died was ended with
    (else None)."""
    statuses = tallies.statuses
    money = RunMoney(run.reward_cents, statuses, Bonuses.of(tallies))
    fields = run._asdict()
    config = fields.pop("config") or {}
    return {
        **fields,
        "interruption": config.get("interruption"),
        "conversations": tallies.conversations,
        "conversations_done": tallies.conversations_done,
        "completed": _count_in(statuses, FINISHED_TASK),
        "failed": _count_in(statuses, FAILED),
        "live": _count_in(statuses, LIVE),
        "cost_cents": money.paid,
        "owed_cents": money.owed,
    }


def _run_dicts(s: Session, runs: Sequence[AnyRow]) -> list[dict[str, Any]]:
    """Run rows (RUN_FIELDS) with their counts and money: one query for the lot."""
    if not runs:
        return []
    ids = [run.run_id for run in runs]
    tallies = _tallies(s, ids, Tally.STATUS, Tally.CONVERSATIONS, Tally.CONVERSATIONS_DONE, Tally.BONUS_CENTS)
    return [_run_dict(run, tallies[run.run_id]) for run in runs]


# Charts -------------------------------------------------------------------------------------

def _clamp(bucket: Any, buckets: int) -> int:
    """Values below the first bucket or above the last land in the first or last one."""
    return min(max(int(bucket), 0), buckets - 1)


def _durations(seconds: Mapping[int, int]) -> dict[str, Any]:
    """A histogram of task durations, from {whole seconds: finished tasks}: DURATION_BINS bins
    from the shortest to the longest (one when they are all as long)."""
    if not seconds:
        return {"bins": []}
    low, high = min(seconds), max(seconds)
    bins = DURATION_BINS if high > low else 1
    width = (high - low) / bins
    edges = [low + width * i for i in range(bins)] + [high]
    counts: Counter[int] = Counter()
    for duration, n in seconds.items():
        counts[_clamp((duration - low) // width, bins) if width else 0] += n
    return {"bins": [
        {"start": edges[i], "end": edges[i + 1], "count": counts.get(i, 0)} for i in range(bins)
    ]}


def _outcomes_over_time(run: AnyRow, by_hour: Mapping[tuple[int, bool], int], now: float) -> list[dict[str, Any]]:
    """Assignments finished and failed per hour of the run's life (to its end, or `now`), the
    hours widened to keep at most MAX_TIMELINE_BUCKETS buckets."""
    start = run.launch_time
    span = max((run.end_time if run.end_time is not None else now) - start, 0.0)
    hours = max(1, math.ceil(span / HOUR / MAX_TIMELINE_BUCKETS))
    count = max(1, math.ceil(span / (HOUR * hours)))
    buckets = [{"start": start + HOUR * hours * i, "completed": 0, "failed": 0} for i in range(count)]
    for (hour, failed), n in by_hour.items():
        buckets[_clamp(hour // hours, count)]["failed" if failed else "completed"] += n
    return buckets


# Conversations ------------------------------------------------------------------------------

def _work_to_review_in(run_id: str) -> ColumnElement[bool]:
    """The conversation has an assignment that can be approved or rejected now: the run's
    reviewable work collected first, at a cost in proportion to how much there is."""
    return Conversation.conversation_id.in_(
        select(Pairing.conversation_id)
        .join(Assignment, Assignment.assignment_id == Pairing.assignment_id)
        .where(Assignment.run_id == run_id, Assignment.status.in_(REVIEWABLE))
    )


def _has_work_to_review(run_id: str) -> ColumnElement[bool]:
    """The same, checked for each conversation in turn: a few index steps each."""
    return (
        select(Pairing.id)
        .join(Assignment, Assignment.assignment_id == Pairing.assignment_id)
        .where(Pairing.run_id == run_id, Pairing.conversation_id == Conversation.conversation_id,
               Assignment.status.in_(REVIEWABLE))
        .exists()
    )


def _with_work_to_review(
    s: Session, run_id: str, query: AnySelect, after_pk: int | None, limit: int
) -> Sequence[AnyRow]:
    """The first `limit` rows of `query` (the run's task conversations after `after_pk`, in
    `list_conversations` order) with work to review. Checking conversations one by one stops
    as soon as it has found them, which is quick while work to review is common, and reads
    the whole run when little is left; so it is tried on the next UNREVIEWED_PROBE
    conversations only, and when they did not hold enough, the run's reviewable work is
    collected whole instead, which costs in proportion to how much of it there is."""
    edge_query = (
        select(Conversation.id).where(Conversation.run_id == run_id)
        .order_by(Conversation.id).offset(UNREVIEWED_PROBE - 1).limit(1)
    )
    if after_pk is not None:
        query = query.where(Conversation.id > after_pk)
        edge_query = edge_query.where(Conversation.id > after_pk)
    edge = s.scalar(edge_query)
    probe = query.where(_has_work_to_review(run_id))
    if edge is not None:
        probe = probe.where(Conversation.id <= edge)
    rows = s.execute(probe.limit(limit)).all()
    if len(rows) == limit or edge is None:
        return rows
    return s.execute(query.where(_work_to_review_in(run_id)).limit(limit)).all()


class DashboardReaders(StoreAccess):
    # Runs ---------------------------------------------------------------------------------

    def list_runs(
        self,
        *,
        after: str | None = None,
        limit: int = 50,
        task: str | None = None,
        provider: str | None = None,
        status: str | None = None,
        is_sandbox: bool | None = None,
        include_tests: bool = False,
        include_discarded: bool = False,
    ) -> dict[str, Any]:
        """A page of runs, newest first: `{"items": [run, ...], "next": cursor or None}`.
        Discarded runs are left out unless `include_discarded`.
        Each run carries its conversations, completed / failed / live assignments, and what
        it has paid (`cost_cents`) and still owes (`owed_cents`)."""
        limit = _page_size(limit)
        query = select(*RUN_FIELDS).order_by(Run.launch_time.desc(), Run.run_id).limit(limit + 1)
        for column, value in ((Run.taskname, task), (Run.provider, provider),
                              (Run.status, status), (Run.is_sandbox, is_sandbox)):
            if value is not None:
                query = query.where(column == value)
        if not include_tests:
            query = query.where(Run.is_test.is_(False))
        if not include_discarded:
            query = query.where(Run.discarded_at.is_(None))
        if after is not None:
            launched, run_id = decode_cursor(after, "runs", float, str)
            query = query.where(or_(
                Run.launch_time < launched,
                and_(Run.launch_time == launched, Run.run_id > run_id),
            ))

        def read(s: Session) -> dict[str, Any]:
            rows, next_page = _page(
                s.execute(query).all(), limit, lambda r: encode_cursor("runs", r.launch_time, r.run_id)
            )
            return {"items": _run_dicts(s, rows), "next": next_page}

        return self._read(read)

    def list_tasks_with_runs(self) -> list[str]:
        """Every task name that has a run, alphabetically (the runs filter's choices)."""
        query = select(Run.taskname).distinct().order_by(Run.taskname)
        return self._read(lambda s: list(s.scalars(query)))

    def run_summary(self, run_id: str) -> dict[str, Any] | None:
        """The run as `list_runs` shows it, plus its assignments and HITs by status, the
        approval rate, a histogram of task durations, outcomes per hour, how many assignments
        wait for review, and `as_of`: when they were read. All are current (the writers keep
        them, see run_totals.py): three queries whatever the size of the run. None for an
        unknown run."""

        def read(s: Session) -> dict[str, Any] | None:
            now = time.time()
            run = s.execute(select(*RUN_FIELDS).where(Run.run_id == run_id)).first()
            if run is None:
                return None
            totals = _tallies(s, [run_id])[run_id]
            statuses = totals.statuses
            return {
                **_run_dict(run, totals),
                "assignments_by_status": dict(statuses),
                "hits_by_status": dict(totals.hits),
                "approval_rate": _approval_rate(statuses),
                "durations": _durations(totals.durations),
                "outcomes_over_time": _outcomes_over_time(run, totals.hours, now),
                "unreviewed": _count_in(statuses, REVIEWABLE),
                "as_of": now,
            }

        return self._read(read)

    def payments_for_run(self, run_id: str, *, bonus_list_cap: int | None = None) -> dict[str, Any] | None:
        """What a run has paid and owes, base rewards and bonuses apart, with the bonuses
        awarded but not paid yet (the first `bonus_list_cap`, by default UNPAID_BONUS_LIST_CAP).
        The base amounts come from the run's kept totals, the bonuses from the store. None
        for an unknown run."""
        cap = bonus_list_cap or UNPAID_BONUS_LIST_CAP
        # The page's pairings found in the bonuses' index alone, then joined: joining first
        # looked up the assignment of every unpaid bonus of the run before sorting them.
        first_unpaid = (
            select(Pairing.id)
            .where(Pairing.run_id == run_id, Pairing.bonus_paid.is_(False), Pairing.bonus_amount_cents > 0)
            .order_by(Pairing.id)
            .limit(cap + 1)
        )

        def read(s: Session) -> dict[str, Any] | None:
            run = s.execute(select(*RUN_FIELDS).where(Run.run_id == run_id)).first()
            if run is None:
                return None
            totals = _tallies(s, [run_id], Tally.STATUS, Tally.BONUS_CENTS)[run_id]
            bonuses = Bonuses.of(totals)
            money = RunMoney(run.reward_cents, totals.statuses, bonuses)
            unpaid = s.execute(
                select(Pairing.assignment_id, Pairing.worker_id,
                       Pairing.bonus_amount_cents.label("amount_cents"),
                       Pairing.bonus_text.label("reason"), Assignment.status)
                .join(Assignment, Assignment.assignment_id == Pairing.assignment_id)
                .where(Pairing.id.in_(first_unpaid.scalar_subquery()))
                .order_by(Pairing.id)
            ).all()
            return {
                "currency": run.currency,
                "reward_cents": run.reward_cents,
                "base_paid_cents": money.base_paid,
                "base_owed_cents": money.base_owed,
                "bonus_awarded_cents": bonuses.paid + bonuses.unpaid,
                "bonus_paid_cents": bonuses.paid,
                "bonus_unpaid_cents": bonuses.unpaid,
                "unpaid_bonuses": [row._asdict() for row in unpaid[:cap]],
                "unpaid_bonuses_truncated": len(unpaid) > cap,
            }

        return self._read(read)

    def payments_by_currency(self, *, is_sandbox: bool = False) -> list[dict[str, Any]]:
        """What every run (live and local ones, or with `is_sandbox` the sandbox ones; never
        test runs) has paid and owes, summed per currency and never across currencies: one
        dict per currency, alphabetically, with its runs, base rewards paid and owed, bonuses
        paid and awarded but not paid, and the totals paid and owed. Two grouped queries, over
        the runs' kept totals: what they cost grows with the number of runs, not their size."""
        runs = (Run.is_sandbox.is_(is_sandbox), Run.is_test.is_(False))
        money = (
            select(Run.currency, RunTotal.kind, RunTotal.key,
                   func.sum(case((RunTotal.kind == Tally.STATUS, Run.reward_cents), else_=1) * RunTotal.n))
            .join(RunTotal, RunTotal.run_id == Run.run_id)
            .where(*runs, or_(and_(RunTotal.kind == Tally.STATUS, RunTotal.key.in_({S.APPROVED, *REVIEWABLE})),
                              RunTotal.kind == Tally.BONUS_CENTS))
            .group_by(Run.currency, RunTotal.kind, RunTotal.key)
        )
        counted = select(Run.currency, func.count()).where(*runs).group_by(Run.currency)
        sum_of = {(Tally.STATUS, S.APPROVED): "base_paid_cents", (Tally.BONUS_CENTS, bonus_key(True)): "bonus_paid_cents",
                  (Tally.BONUS_CENTS, bonus_key(False)): "bonus_unpaid_cents"}

        def read(s: Session) -> list[dict[str, Any]]:
            sums: dict[str, Counter[str]] = {currency: Counter(runs=n) for currency, n in s.execute(counted)}
            for currency, kind, key, cents in s.execute(money):
                sums[currency][sum_of.get((kind, key), "base_owed_cents")] += int(cents)
            return [
                {"currency": currency, "runs": by["runs"],
                 **{key: by[key] for key in ("base_paid_cents", "base_owed_cents", "bonus_paid_cents",
                                             "bonus_unpaid_cents")},
                 "paid_cents": by["base_paid_cents"] + by["bonus_paid_cents"],
                 "owed_cents": by["base_owed_cents"] + by["bonus_unpaid_cents"]}
                for currency, by in sorted(sums.items())
            ]

        return self._read(read)

    def live_runs_activity(self) -> list[dict[str, Any]]:
        """Every running run with its workers in each live state, its completed assignments,
        its conversations started and done, and its target, newest first: two queries for
        all of them."""

        def read(s: Session) -> list[dict[str, Any]]:
            runs = s.execute(
                select(Run.run_id, Run.taskname, Run.provider, Run.is_sandbox,
                       Run.maximum.label("target"))
                .where(Run.status == RunStatus.RUNNING)
                .order_by(Run.launch_time.desc(), Run.run_id)
            ).all()
            tallies = _tallies(s, [run.run_id for run in runs], Tally.STATUS, Tally.CONVERSATIONS,
                               Tally.CONVERSATIONS_DONE)
            return [
                {
                    **run._asdict(),
                    **{str(state): tallies[run.run_id].statuses[state] for state in
                       (S.ACCEPTED, S.ONBOARDING, S.WAITING, S.IN_TASK)},
                    "completed": _count_in(tallies[run.run_id].statuses, FINISHED_TASK),
                    "conversations": tallies[run.run_id].conversations,
                    "conversations_done": tallies[run.run_id].conversations_done,
                }
                for run in runs
            ]

        return self._read(read)

    # Conversations ------------------------------------------------------------------------

    def list_conversations(
        self,
        run_id: str,
        *,
        after: str | None = None,
        limit: int = 50,
        unreviewed_only: bool = False,
        flagged_only: bool = False,
    ) -> dict[str, Any]:
        """A page of a run's task conversations (not onboarding ones) in the order they
        began, each with its message count, its workers and whether any of their work waits
        for review: two queries a page, whatever the size of the run (a few more for just
        the unreviewed ones, see _with_work_to_review). `flagged_only`: just those holding
        a message with an authenticity flag."""
        limit = _page_size(limit)
        query = (
            select(Conversation.id, Conversation.conversation_id, Conversation.started,
                   Conversation.ended, MESSAGE_COUNT.label("message_count"))
            .where(Conversation.run_id == run_id, IS_TASK_CONVERSATION)
            .order_by(Conversation.id)
        )
        if flagged_only:
            query = query.where(conversation_has_flagged_messages(run_id))
        after_pk = decode_cursor(after, "conversations", int)[0] if after is not None else None

        def read(s: Session) -> dict[str, Any]:
            if unreviewed_only:
                found = _with_work_to_review(s, run_id, query, after_pk, limit + 1)
            else:
                page = query if after_pk is None else query.where(Conversation.id > after_pk)
                found = s.execute(page.limit(limit + 1)).all()
            rows, next_page = _page(found, limit, lambda r: encode_cursor("conversations", r.id))
            workers = workers_by_conversation(s, run_id, [r.conversation_id for r in rows]) if rows else {}
            items = []
            for row in rows:
                people = workers.get(row.conversation_id, [])
                items.append({
                    "conversation_id": row.conversation_id,
                    "started": row.started,
                    "ended": row.ended,
                    "message_count": row.message_count,
                    "workers": people,
                    "unreviewed": any(worker["status"] in REVIEWABLE for worker in people),
                })
            return {"items": items, "next": next_page}

        return self._read(read)

    def next_unreviewed_conversation(
        self, run_id: str, after_conversation_id: str | None = None
    ) -> str | None:
        """The first conversation after `after_conversation_id` (in `list_conversations`
        order) with work to review, wrapping round to the start of the run; so the given
        conversation itself comes back only when it is the last one left. None when nothing
        in the run waits for review."""
        first = (
            select(Conversation.id, Conversation.conversation_id)
            .where(Conversation.run_id == run_id, IS_TASK_CONVERSATION)
            .order_by(Conversation.id)
        )

        def read(s: Session) -> str | None:
            if after_conversation_id is not None:
                current = s.scalar(
                    select(Conversation.id).where(Conversation.run_id == run_id,
                                                  Conversation.conversation_id == after_conversation_id)
                )
                if current is not None:
                    found = _with_work_to_review(s, run_id, first, current, 1)
                    if found:
                        return found[0].conversation_id
            found = _with_work_to_review(s, run_id, first, None, 1)
            return found[0].conversation_id if found else None

        return self._read(read)

    # Workers ------------------------------------------------------------------------------

    def worker_summary(
        self, worker_id: str, *, after: str | None = None, limit: int = 50
    ) -> dict[str, Any] | None:
        """A worker's row (as get_worker_data), a page of their assignments newest first,
        their assignments by status, approval rate, qualifications, blocks (lifted ones too),
        working time today and in all, and what they earned in cents by currency: `earned` on
        live and local runs, `earned_sandbox` apart, since sandbox money is not real. None if unknown."""
        limit = _page_size(limit)
        page = (
            select(Assignment.run_id, Run.taskname, Run.provider, Run.is_sandbox, Run.currency,
                   Assignment.assignment_id,
                   Pairing.conversation_id, Assignment.status, Assignment.accepted,
                   func.coalesce(Pairing.bonus_amount_cents, 0).label("bonus_amount_cents"),
                   func.coalesce(Pairing.bonus_paid, False).label("bonus_paid"))
            .join(Run, Run.run_id == Assignment.run_id)
            .outerjoin(Pairing, Pairing.assignment_id == Assignment.assignment_id)
            .where(Assignment.worker_id == worker_id)
            .order_by(Assignment.accepted.desc(), Assignment.assignment_id.desc())
            .limit(limit + 1)
        )
        if after is not None:
            accepted, assignment_id = decode_cursor(after, "worker_assignments", float, str)
            page = page.where(tuple_(Assignment.accepted, Assignment.assignment_id)
                              < tuple_(accepted, assignment_id))

        def read(s: Session) -> dict[str, Any] | None:
            worker = s.execute(select(*WORKER_COLUMNS).where(Worker.worker_id == worker_id)).first()
            if worker is None:
                return None
            rows, next_page = _page(
                s.execute(page).all(), limit,
                lambda r: encode_cursor("worker_assignments", r.accepted, r.assignment_id),
            )
            statuses: Counter[str] = Counter(dict(s.execute(
                select(Assignment.status, func.count())
                .where(Assignment.worker_id == worker_id).group_by(Assignment.status)
            ).all()))
            blocks = s.execute(
                select(Block.id, Block.kind, Block.is_sandbox, Block.reason, Block.run_id,
                       Block.created, Block.revoked, Qualification.name.label("qualification"))
                .outerjoin(Qualification, Qualification.id == Block.qualification_id)
                .where(Block.worker_id == worker_id)
                .order_by(Block.id)
            ).all()
            today = s.get(WorkingTime, (worker_id, utc_day()))
            total = s.scalar(
                select(func.sum(WorkingTime.seconds)).where(WorkingTime.worker_id == worker_id)
            )
            earned = earnings(s, [worker_id]).get(worker_id, {})
            return {
                **worker._asdict(),
                "assignments": [row._asdict() for row in rows],
                "next": next_page,
                "counts_by_status": dict(statuses),
                "approval_rate": _approval_rate(statuses),
                "qualifications": [row._asdict() for row in s.execute(qualifications_held(worker_id))],
                "blocks": [row._asdict() for row in blocks],
                "working_time_today": today.seconds if today is not None else 0.0,
                "working_time_total": float(total or 0.0),
                "earned": earned.get(False, {}),
                "earned_sandbox": earned.get(True, {}),
            }

        return self._read(read)
