"""The review service: the one way Parley approves, rejects, pays bonuses, blocks and unblocks.

Each action (1) checks its inputs, (2) writes its intent to the audit log (`review_actions`)
under an idempotency token derived from what is asked, (3) calls the run's provider with that
token, and (4) records the answer and the new state. A second identical request finds the
first one's log row and answers its result without calling the provider again.

Approve, reject and bonus are also guarded by the store: step (2) takes the assignment's
verdict or bonus slot in the same transaction that re-reads the assignment under a lock
(`review_rules` decides what may go ahead), so of two different requests that arrive at the
same moment only one reaches the marketplace, and the other gets a sentence saying why. A call
that fails is recorded as failed and frees the slot; a call whose answer was lost (or whose
process died) is recorded as unknown, and before anything else is done on that assignment the
provider is asked whether it acted.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from crowd import registry, review_rules
from crowd.base import NotDone, OutcomeUnknown, Progress, Provider, Refused
from crowd.options import run_block_qualifications
from crowd.review_rules import OVERRODE_REJECTION, ReviewRefused, Unsettled, this_process
from datastore import DatastoreError, IllegalTransition, MTurkDataHandler
from datastore.ledger import Admit
from datastore.money import to_cents, to_dollars
from datastore.records import Record
from datastore.states import ACTION_SLOTS, BlockKind, ReviewAction, ReviewOutcome

__all__ = ["OVERRODE_REJECTION", "ReviewRefused", "ReviewResult", "ReviewService", "bonus_request", "rejection_reason",
           "rejection_request", "request_token"]

log = logging.getLogger("parley.review")

MAX_REASON_CHARS = 1024  # the tightest marketplace limit on feedback and bonus reasons
SETTLE_ROUNDS = 3
"""Claims tried on one request, each after settling the slot's unknown holder."""


@dataclass(frozen=True)
class ReviewResult:
    action: Record
    """The audit-log row that holds the outcome (the first one, for a repeated request)."""
    repeated: bool
    """True when an identical earlier request had already done (or is doing) this."""

    @property
    def outcome(self) -> str:
        return str(self.action["outcome"])

    @property
    def succeeded(self) -> bool:
        return self.outcome == ReviewOutcome.SUCCEEDED


MAX_TOKEN_CHARS = 64  # the tightest marketplace limit on an idempotency token

ProviderFor = Callable[[Record], Provider]
ProviderNamed = Callable[[str, bool], Provider]
"""The provider called `name` (on its sandbox or not), for actions on a worker no run is for."""
ProviderCall = Callable[[Provider, Record, str, Progress], dict[str, Any]]
"""Calls the provider for an assignment (its row) with the request's token, and what records
the call's steps on its audit row."""


class ReviewService:
    def __init__(self, handler: MTurkDataHandler, provider_for: ProviderFor,
                 provider_named: ProviderNamed | None = None) -> None:
        """`provider_for(run)` answers the provider that runs `run` (a `get_run_data` row);
        `provider_named(name, is_sandbox)` the provider of a worker action no run is for
        (default: the registry's)."""
        self.handler, self.provider_for = handler, provider_for
        self.provider_named = provider_named or (
            lambda name, is_sandbox: registry.provider_for_worker(handler, name, is_sandbox=is_sandbox))

    # Assignment actions: guarded by the assignment's slots -----------------------------

    def approve(self, assignment_id: str, *, actor: str, feedback: str | None = None) -> ReviewResult:
        """Approve finished work (a rejected one needs `override_rejection`)."""
        feedback = _reason(feedback or "", required=False)
        return self._guarded(
            ReviewAction.APPROVE, assignment_id, actor=actor, reason=feedback, key=[False],
            admit=review_rules.verdict(ReviewAction.APPROVE),
            call=lambda provider, assignment, token, progress: provider.approve(assignment_id, feedback=feedback or None),
        )

    def override_rejection(self, assignment_id: str, *, actor: str, reason: str) -> ReviewResult:
        """Approve a rejected assignment after all, telling the worker `reason` (required).
        Audited as an approval that says it overrode a rejection; at most once, like every
        verdict: asked again, or at the same moment, it answers the first override."""
        reason = _reason(reason, required=True, what="overriding a rejection needs a reason the worker will see")
        return self._guarded(
            ReviewAction.APPROVE, assignment_id, actor=actor, reason=reason, key=[True],
            admit=review_rules.verdict(ReviewAction.APPROVE, override_rejection=True),
            call=lambda provider, assignment, token, progress: {
                **provider.override_rejection(assignment_id, feedback=reason), OVERRODE_REJECTION: True},
        )

    def reject(self, assignment_id: str, *, actor: str, reason: str, category: str | None = None) -> ReviewResult:
        """Reject with `reason`, which the worker is shown, filed under `category` when the
        run's marketplace files rejections under one (`rejection_request` checks both before
        anything is written). The audit row's provider response keeps the category."""
        reason, category = rejection_request(self._assignment(assignment_id)[1]["provider"], reason, category)
        filed = {"category": category} if category is not None else {}
        return self._guarded(
            ReviewAction.REJECT, assignment_id, actor=actor, reason=reason, key=[category] if filed else [],
            admit=review_rules.verdict(ReviewAction.REJECT),
            call=lambda provider, assignment, token, progress: {
                **provider.reject(assignment_id, feedback=reason, category=category), **filed},
        )

    def bonus(self, assignment_id: str, amount: int | float | str, *, actor: str, reason: str,
              token: str | None = None) -> ReviewResult:
        """Pay `amount` dollars for this assignment. One bonus per assignment: the same bonus
        asked again answers the first payment; a different one is refused. A caller's own
        `token` (a script's unique request token) names the request instead: the same token
        again answers its payment, and one used for another bonus, or another token for
        this assignment's bonus, is refused."""
        cents, reason = bonus_request(amount, reason)
        request = None if token is None else self._bonus_token(token, assignment_id, cents, reason)
        return self._guarded(
            ReviewAction.BONUS, assignment_id, actor=actor, reason=reason, key=[cents], amount_cents=cents,
            admit=review_rules.bonus(cents, reason, request), token=request,
            call=lambda provider, assignment, token, progress: provider.bonus(
                assignment["worker_id"], assignment_id, amount_cents=cents, reason=reason, token=token,
                progress=progress),
        )

    def _bonus_token(self, token: str, assignment_id: str, cents: int, reason: str) -> str:
        """The request token of a bonus a caller names by `token`; refused when that token
        was used for a different bonus (another assignment, amount or reason)."""
        if not 0 < len(token.strip()) <= MAX_TOKEN_CHARS:
            raise ReviewRefused(f"a token must be 1 to {MAX_TOKEN_CHARS} characters")
        request = request_token(ReviewAction.BONUS, "token", token.strip())
        earlier = self.handler.get_review_action(request)
        if earlier is not None and (earlier["assignment_id"], earlier["amount_cents"], earlier["reason"]) != (
                assignment_id, cents, reason):
            raise ReviewRefused(f"token {token!r} was used for another bonus (${to_dollars(earlier['amount_cents'])} "
                                f"for assignment {earlier['assignment_id']}); nothing was paid now")
        return request

    def settle(self, action: Record) -> Record:
        """Finish an approve, reject or bonus that may or may not have acted (unknown, or
        pending in a process that is gone): from the store if its effect is there, else by
        the provider, which asks its marketplace and finishes a call of several steps from
        the step it recorded (`Provider.resume`). Answers the row as finished; raises
        ReviewRefused when it cannot be told now (the row then stays unknown)."""
        token = action["token"]
        if action["outcome"] == ReviewOutcome.PENDING:
            action = self._finish(token, ReviewOutcome.UNKNOWN, error="the process calling the provider "
                                  "stopped before it recorded the answer")
            if action["outcome"] != ReviewOutcome.UNKNOWN:
                return action
        if self._effect_stored(action):
            return self._finish(token, ReviewOutcome.SUCCEEDED,
                                provider_response={"settled": "its effect was already in the store"})
        provider = self.provider_for(self._run(action["run_id"]))
        try:
            response = provider.resume(action, self._progress(token))
        except NotDone as exc:
            return self._finish(token, ReviewOutcome.FAILED, error=str(exc))
        except Refused as exc:
            raise ReviewRefused(
                f"an earlier {action['action']} of assignment {action['assignment_id']} may or may not have "
                f"reached {provider.name}, which cannot be asked now ({exc}); nothing more is done on this "
                "assignment until it can be. Try again in a minute.") from None
        self._store_effect(action)
        return self._finish(token, ReviewOutcome.SUCCEEDED, provider_response=_jsonable(response))

    def _progress(self, token: str) -> Progress:
        """What records the steps of the provider call of the action `token` on its audit row."""
        return lambda step, detail, after: self.handler.record_review_progress(token, step, detail, after=after)

    def settle_interrupted(self) -> list[Record]:
        """Settle every unknown action and every pending one whose process is gone (a start-up
        sweep); answers the rows that are still unsettled because their provider cannot be asked."""
        left = []
        for action in self.handler.get_review_actions(outcomes=(ReviewOutcome.PENDING, ReviewOutcome.UNKNOWN)):
            if action["outcome"] == ReviewOutcome.PENDING and not review_rules.interrupted(action):
                continue
            if action["action"] == ReviewAction.COMPENSATE:
                # Money with no assignment of ours to ask about: it stays unknown, never failed,
                # because a failed request may be sent again and could pay twice. A person
                # looks on the marketplace; a deliberate new payment takes a new --token.
                if action["outcome"] == ReviewOutcome.PENDING:
                    self._finish(action["token"], ReviewOutcome.UNKNOWN,
                                 error="the process calling the provider stopped before it recorded the answer")
                log.warning("compensation %s to %s may or may not have been paid; check the marketplace",
                            action["token"], action["worker_id"])
                left.append(action)
                continue
            if action["action"] not in ACTION_SLOTS:  # a block: asking it again is harmless
                self._finish(action["token"], ReviewOutcome.FAILED,
                             error="the process calling the provider stopped before it recorded the answer")
                continue
            try:
                self.settle(action)
            except ReviewRefused as exc:
                log.warning("%s", exc)
                left.append(action)
        return left

    def _guarded(self, action: str, assignment_id: str, *, actor: str, reason: str, key: list[Any],
                 admit: Admit, call: ProviderCall, amount_cents: int | None = None,
                 token: str | None = None) -> ReviewResult:
        """`token` is the request's, when the caller named it; else derived from the request."""
        assignment, run = self._assignment(assignment_id)
        token = token or request_token(action, run["run_id"], assignment_id, assignment["worker_id"], reason, *key)
        for _ in range(SETTLE_ROUNDS):
            try:
                row, created = self.handler.claim_review_action(
                    token, action, assignment_id=assignment_id, admit=admit, actor=actor, reason=reason,
                    amount=None if amount_cents is None else to_dollars(amount_cents), owner=this_process())
                break
            except Unsettled as exc:
                self.settle(exc.action)
        else:
            raise ReviewRefused(f"assignment {assignment_id} is busy with other review actions; try again")
        if not created:
            return ReviewResult(row, repeated=True)
        provider = self.provider_for(run)
        return self._call(row, lambda: call(provider, assignment, token, self._progress(row["token"])),
                          effect=lambda: self._store_effect(row),
                          unanswered=ReviewOutcome.UNKNOWN)

    # Worker actions --------------------------------------------------------------------

    def soft_block(self, worker_id: str, *, run_id: str, actor: str, reason: str,
                   qualification_name: str) -> ReviewResult:
        """Keep the worker out of tasks that require not having `qualification_name`."""
        run = self._run(run_id)
        reason = _reason(reason, required=True, what="a block needs a reason")
        if self._blocked(worker_id, "soft", run, qualification_name):
            return self._earlier(ReviewAction.SOFT_BLOCK, worker_id=worker_id)
        provider = self.provider_for(run)
        self.handler.ensure_qualification(qualification_name, run["is_sandbox"],
                                          description=f"blocked from {run['taskname']}")
        return self._do(
            ReviewAction.SOFT_BLOCK, actor=actor, run_id=run_id, worker_id=worker_id, reason=reason, key=[qualification_name, self._blocks(worker_id, "soft")],
            call=lambda token: provider.soft_block(worker_id, qualification_name=qualification_name,
                                                   reason=reason),
            record=lambda: self.handler.log_block(worker_id, BlockKind.SOFT, run["is_sandbox"],
                                                  reason=reason, run_id=run_id,
                                                  qualification_name=qualification_name),
        )

    def grant_qualification(self, worker_id: str, name: str, value: int = 1, *, run_id: str, actor: str,
                            reason: str) -> ReviewResult:
        """Give the worker the qualification `name` with `value`, on the run's marketplace and
        in the store. The same grant asked again (from any run) answers the first one until the
        qualification is revoked; only then does a grant call the provider again."""
        run, name, reason = self._qualification_request(run_id, name, reason, what="a qualification grant")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ReviewRefused(f"a qualification's value is a whole number, not {value!r}")
        provider = self.provider_for(run)
        self.handler.ensure_qualification(name, run["is_sandbox"], description=f"granted by {run['taskname']}")
        token = self._qualification_token(ReviewAction.GRANT_QUALIFICATION, worker_id, name, run, value)
        return self._do(
            ReviewAction.GRANT_QUALIFICATION, actor=actor, run_id=run_id, worker_id=worker_id, reason=reason,
            key=[], token=token,
            call=lambda token: {**provider.grant_qualification(worker_id, qualification_name=name, value=value,
                                                               reason=reason), **_about(name, run)},
            record=lambda: self.handler.grant_qualification(worker_id, name, run["is_sandbox"], value),
        )

    def revoke_qualification(self, worker_id: str, name: str, *, run_id: str, actor: str,
                             reason: str) -> ReviewResult:
        """Take the qualification `name` from the worker; refused when the store says they do
        not hold it. Idempotent like a grant: asked again, it answers the first revocation."""
        run, name, reason = self._qualification_request(run_id, name, reason, what="revoking a qualification")
        token = self._qualification_token(ReviewAction.REVOKE_QUALIFICATION, worker_id, name, run)
        held = any(q["name"] == name and bool(q["is_sandbox"]) == bool(run["is_sandbox"])
                   for q in self.handler.get_worker_qualifications(worker_id))
        if not held and self.handler.get_review_action(token) is None:
            raise ReviewRefused(f"{worker_id} does not hold the qualification {name!r}")
        provider = self.provider_for(run)
        return self._do(
            ReviewAction.REVOKE_QUALIFICATION, actor=actor, run_id=run_id, worker_id=worker_id, reason=reason,
            key=[], token=token,
            call=lambda token: {**provider.revoke_qualification(worker_id, qualification_name=name,
                                                                reason=reason), **_about(name, run)},
            record=lambda: self._revoke_stored(worker_id, name, run),
        )

    def _revoke_stored(self, worker_id: str, name: str, run: Record) -> None:
        self.handler.revoke_qualification(worker_id, name, run["is_sandbox"])

    def hard_block(self, worker_id: str, *, run_id: str, actor: str, reason: str) -> ReviewResult:
        """Block the worker from every task of this requester (the marketplace's own block)."""
        run = self._run(run_id)
        reason = _reason(reason, required=True, what="a block needs a reason")
        if self._blocked(worker_id, "hard", run):
            return self._earlier(ReviewAction.HARD_BLOCK, worker_id=worker_id)
        provider = self.provider_for(run)
        return self._do(
            ReviewAction.HARD_BLOCK, actor=actor, run_id=run_id, worker_id=worker_id, reason=reason, key=[self._blocks(worker_id, "hard")],
            call=lambda token: provider.hard_block(worker_id, reason=reason),
            record=lambda: self.handler.log_block(worker_id, BlockKind.HARD, run["is_sandbox"],
                                                  reason=reason, run_id=run_id),
        )

    def compensate(self, worker_id: str, amount: int | float | str, *, provider_name: str, is_sandbox: bool,
                   actor: str, reason: str, token: str | None = None) -> ReviewResult:
        """Pay `amount` dollars to a worker whom no assignment in the store is for (someone
        whose work was lost, or who was sent away unfairly). Once per request: its token is
        `token` if given, else derived from the worker, amount, reason and marketplace, and
        the same request again answers the first. The audit row is written (and its token
        taken, which the database keeps unique) before the provider is called, so of two
        identical requests at the same moment only one pays."""
        worker_id = (worker_id or "").strip()
        if not worker_id:
            raise ReviewRefused("a compensation needs the worker's id")
        cents, reason = _money_request(amount, reason, what="a compensation")
        if token is not None and not 0 < len(token.strip()) <= MAX_TOKEN_CHARS:
            raise ReviewRefused(f"a token must be 1 to {MAX_TOKEN_CHARS} characters")
        action = ReviewAction.COMPENSATE
        key = (request_token(action, "token", token.strip()) if token is not None
               else request_token(action, provider_name, bool(is_sandbox), worker_id, reason, cents))
        try:
            provider = self.provider_named(provider_name, bool(is_sandbox))
        except Refused as exc:
            raise ReviewRefused(str(exc)) from None
        row, created = self.handler.begin_review_action(
            key, action, actor=actor, worker_id=worker_id, reason=reason, amount=to_dollars(cents),
            owner=this_process())
        if not created:
            if (row["worker_id"], row["amount_cents"], row["reason"]) != (worker_id, cents, reason):
                raise ReviewRefused(f"token {token!r} was used for another compensation "
                                    f"(${to_dollars(row['amount_cents'])} to {row['worker_id']}); "
                                    "nothing was paid now")
            return ReviewResult(row, repeated=True)
        return self._call(row, lambda: provider.compensate(worker_id, amount_cents=cents, reason=reason, token=key),
                          effect=lambda: None, unanswered=ReviewOutcome.UNKNOWN)

    def notify(self, worker_ids: list[str], subject: str, message: str, *, actor: str, run_id: str | None = None,
               provider_name: str | None = None, is_sandbox: bool = False) -> list[ReviewResult]:
        """Send a message to workers on the marketplace of run `run_id` (or of the provider
        called `provider_name`). One audit row per worker, written before the provider is
        called under a token derived from the worker, subject, message and run, so the same
        message to the same worker within a run is sent once however often it is asked.
        Answers each worker's result, in the order given."""
        subject, message = (subject or "").strip(), (message or "").strip()
        workers = list(dict.fromkeys(w.strip() for w in worker_ids if w and w.strip()))
        if not workers:
            raise ReviewRefused("a message needs at least one worker")
        if not subject or not message:
            raise ReviewRefused("a message needs a subject and a text")
        where: list[Any]
        if run_id is not None:
            run = self._run(run_id)
            provider, where = self.provider_for(run), [run_id]
        elif provider_name is not None:
            try:
                provider = self.provider_named(provider_name, bool(is_sandbox))
            except Refused as exc:
                raise ReviewRefused(str(exc)) from None
            where = [provider_name, bool(is_sandbox)]
        else:
            raise ReviewRefused("a message needs a run, or the marketplace to send it on")
        for what, text, limit in (("subject", subject, provider.max_subject_chars),
                                  ("message", message, provider.max_message_chars)):
            if len(text) > limit:
                raise ReviewRefused(f"the {what} is {len(text):,} characters; {provider.name} sends at most "
                                    f"{limit:,}")
        action = ReviewAction.NOTIFY
        results: dict[str, ReviewResult] = {}
        to_send: list[Record] = []
        for worker_id in workers:
            row, created = self.handler.begin_review_action(
                request_token(action, *where, worker_id, subject, message), action, actor=actor,
                worker_id=worker_id, run_id=run_id, reason=f"{subject}\n\n{message}", owner=this_process())
            if created:
                to_send.append(row)
            else:
                results[worker_id] = ReviewResult(row, repeated=True)
        for start in range(0, len(to_send), provider.max_notified):
            batch = to_send[start:start + provider.max_notified]
            for row in self._send(provider, batch, subject, message):
                results[row["worker_id"]] = ReviewResult(row, repeated=False)
        return [results[w] for w in workers]

    def _send(self, provider: Provider, rows: list[Record], subject: str, message: str) -> list[Record]:
        """One notify call for these workers' audit rows, and each row finished by its answer."""
        try:
            failed = provider.notify([r["worker_id"] for r in rows], subject, message)
            answer = {r["worker_id"]: (ReviewOutcome.FAILED, failed[r["worker_id"]]) if r["worker_id"] in failed
                      else (ReviewOutcome.SUCCEEDED, None) for r in rows}
        except OutcomeUnknown as exc:
            answer = {r["worker_id"]: (ReviewOutcome.UNKNOWN, str(exc)) for r in rows}
        except Refused as exc:
            answer = {r["worker_id"]: (ReviewOutcome.FAILED, str(exc)) for r in rows}
        except Exception as exc:
            log.exception("notify: the provider call raised")
            answer = {r["worker_id"]: (ReviewOutcome.UNKNOWN, f"{type(exc).__name__}: {exc}") for r in rows}
        return [self._finish(r["token"], outcome, error=error) for r in rows
                for outcome, error in [answer[r["worker_id"]]]]

    def unblock(self, worker_id: str, *, run_id: str, actor: str, reason: str,
                qualification_name: str | None = None) -> ReviewResult:
        """Lift the blocks that keep the worker out of this run: soft blocks on its block and
        disconnect qualifications, and a hard block; or, given `qualification_name`, only the
        soft block on that qualification. One audited action: the same request again, or at
        the same moment, lifts them once."""
        run = self._run(run_id)
        reason = _reason(reason, required=True, what="an unblock needs a reason")
        names, hard, lifted = self._lifts(worker_id, run, qualification_name)
        if not lifted:  # lifted already, or being lifted: the blocks go before the row is finished
            earlier = [r for r in self.handler.get_review_actions(worker_id=worker_id)
                       if r["action"] == ReviewAction.UNBLOCK and r["run_id"] == run_id
                       and r["outcome"] in (ReviewOutcome.SUCCEEDED, ReviewOutcome.PENDING)]
            if earlier:
                return ReviewResult(earlier[-1], repeated=True)
            raise ReviewRefused(f"{worker_id} has no block that keeps them out of run {run_id}; "
                                "nothing was lifted")
        provider = self.provider_for(run)

        def record() -> None:  # all at once: a concurrent request sees every block lifted or none
            self.handler.lift_blocks(worker_id, lifted)

        return self._do(
            ReviewAction.UNBLOCK, actor=actor, run_id=run_id, worker_id=worker_id, reason=reason,
            key=sorted(lifted),
            call=lambda token: provider.unblock(worker_id, qualification_names=names, hard=hard, reason=reason),
            record=record,
        )

    def _lifts(self, worker_id: str, run: Record, only: str | None) -> tuple[list[str], bool, list[int]]:
        """What an unblock from `run` lifts: the names of the soft-block qualifications the
        worker is blocked by (only the one named `only`, if given), whether they are
        hard-blocked (never lifted with `only`), and those blocks' ids."""
        sandbox = run["is_sandbox"]
        active = [b for b in self.handler.get_blocks_for_worker(worker_id) if b["is_sandbox"] == sandbox]
        names, lifted = [], []
        for name in [only] if only else run_block_qualifications(run["config"] or {}, run["taskname"]):
            qual = self.handler.get_qualification(name, sandbox)
            ids = [b["id"] for b in active if qual is not None and b["qualification_id"] == qual["id"]]
            if ids:
                names.append(name)
                lifted += ids
        hard = [] if only else [b["id"] for b in active if b["kind"] == BlockKind.HARD]
        return names, bool(hard), lifted + hard

    # What every action shares ------------------------------------------------------------

    def _do(self, action: str, *, actor: str, run_id: str, worker_id: str, reason: str, key: list[Any],
            call: Callable[[str], dict[str, Any]], record: Callable[[], object],
            token: str | None = None) -> ReviewResult:
        """A block or a qualification: logged and idempotent, but not guarded by an
        assignment's slot (doing it twice is harmless on every marketplace), so a call that
        fails in any way is failed. The token is the request's (run, worker, `key`) unless one
        is given: not its reason, since a block is a state, and the same block asked at the
        same moment for two reasons (two golds of one worker found short at once) is one."""
        token = token or request_token(action, run_id, None, worker_id, *key)
        row, created = self.handler.begin_review_action(token, action, actor=actor, worker_id=worker_id,
                                                        run_id=run_id, reason=reason, owner=this_process())
        if not created:  # an identical request did it, or is doing it
            return ReviewResult(row, repeated=True)
        return self._call(row, lambda: call(token), effect=record, unanswered=ReviewOutcome.FAILED)

    def _call(self, row: Record, call: Callable[[], dict[str, Any]], *, effect: Callable[[], object],
              unanswered: str) -> ReviewResult:
        """Call the provider for the audit row `row` and finish it: failed when the provider
        refused, `unanswered` when the call may have acted but no answer came, succeeded
        once the effect is stored. Never leaves the row pending while this process lives."""
        token, response = row["token"], None
        outcome: str
        try:
            response = call()
            outcome, error = ReviewOutcome.SUCCEEDED, None
        except OutcomeUnknown as exc:
            outcome, error = unanswered, str(exc)
        except Refused as exc:
            outcome, error = ReviewOutcome.FAILED, str(exc)
        except Exception as exc:
            log.exception("%s %s: the provider call raised", row["action"], row["assignment_id"] or row["worker_id"])
            outcome, error = unanswered, f"{type(exc).__name__}: {exc}"
        try:
            if outcome == ReviewOutcome.SUCCEEDED:
                # Stored before the row says succeeded: a row never claims a change the store lacks.
                effect()
            finished = self._finish(token, outcome, error=error,
                                    provider_response=None if response is None else _jsonable(response))
        except Exception:
            review_rules.abandon(token)  # settled by the next request, not after the lease
            if outcome == ReviewOutcome.SUCCEEDED:
                with _quietly():
                    self._finish(token, unanswered, error="the provider acted, but the store could not record it")
            raise
        return ReviewResult(finished, repeated=False)

    def _finish(self, token: str, outcome: str, *, provider_response: dict[str, Any] | None = None,
                error: str | None = None) -> Record:
        """Finish the row; if another request finished it first, answer it as that one left it."""
        try:
            return self.handler.finish_review_action(token, outcome=outcome, provider_response=provider_response,
                                                     error=error)
        except IllegalTransition:
            row = self.handler.get_review_action(token)
            assert row is not None
            return row

    def _effect_stored(self, action: Record) -> bool:
        """Whether what the approve, reject or bonus of `action` does is already in the store."""
        assignment = self.handler.get_assignment_data(action["assignment_id"])
        if action["action"] == ReviewAction.BONUS:
            pairing = self.handler.get_worker_assignment_pairing(action["worker_id"], action["assignment_id"])
            return bool(pairing is not None and pairing["bonus_paid"]
                        and pairing["bonus_amount_cents"] == action["amount_cents"])
        wanted = {ReviewAction.APPROVE: "approved", ReviewAction.REJECT: "rejected"}[action["action"]]
        return assignment is not None and assignment["status"] == wanted

    def _store_effect(self, action: Record) -> None:
        """Store what a succeeded approve, reject or bonus of `action` does."""
        assignment_id, worker_id = action["assignment_id"], action["worker_id"]
        if action["action"] == ReviewAction.APPROVE:
            self.handler.log_approve_assignment(assignment_id)
        elif action["action"] == ReviewAction.REJECT:
            self.handler.log_reject_assignment(assignment_id, action["reason"])
        else:
            self.handler.log_award_amount(worker_id, assignment_id, to_dollars(action["amount_cents"]),
                                          action["reason"])
            self.handler.log_bonus_paid(worker_id, assignment_id)

    def _earlier(self, action: str, *, worker_id: str) -> ReviewResult:
        """The block is already in effect: answer the audit-log row that put it there."""
        rows = [r for r in self.handler.get_review_actions(worker_id=worker_id) if r["action"] == action]
        for outcome in (ReviewOutcome.SUCCEEDED, ReviewOutcome.PENDING):
            done = [r for r in rows if r["outcome"] == outcome]
            if done:
                return ReviewResult(done[-1], repeated=True)
        raise ReviewRefused(f"{worker_id} already has this {action.replace('_', ' ')} "
                            "(done outside Parley's review, so there is no earlier result to show)")

    def _qualification_request(self, run_id: str, name: str, reason: str, *, what: str) -> tuple[Record, str, str]:
        run = self._run(run_id)
        name = (name or "").strip()
        if not name:
            raise ReviewRefused(f"{what} needs the qualification's name")
        return run, name, _reason(reason, required=True, what=f"{what} needs a reason")

    def _qualification_token(self, action: str, worker_id: str, name: str, run: Record, *key: Any) -> str:
        """The same change of one qualification is one request, whichever run or reason asks
        for it, until the opposite change succeeds (a grant after a revocation is new)."""
        opposite = (ReviewAction.REVOKE_QUALIFICATION if action == ReviewAction.GRANT_QUALIFICATION
                    else ReviewAction.GRANT_QUALIFICATION)
        undone = sum(1 for r in self.handler.get_review_actions(worker_id=worker_id)
                     if r["action"] == opposite and r["outcome"] == ReviewOutcome.SUCCEEDED
                     and (r["provider_response"] or {}).get("qualification") == _about(name, run)["qualification"])
        return request_token(action, worker_id, name, bool(run["is_sandbox"]), undone, *key)

    # Lookups ---------------------------------------------------------------------------

    def _assignment(self, assignment_id: str) -> tuple[Record, Record]:
        assignment = self.handler.get_assignment_data(assignment_id)
        if assignment is None:
            raise ReviewRefused(f"there is no assignment {assignment_id!r}")
        return assignment, self._run(assignment["run_id"])

    def _run(self, run_id: str) -> Record:
        run = self.handler.get_run_data(run_id)
        if run is None:
            raise ReviewRefused(f"there is no run {run_id!r}")
        return run

    def _blocked(self, worker_id: str, kind: str, run: Record, qualification_name: str | None = None) -> bool:
        qual = (self.handler.get_qualification(qualification_name, run["is_sandbox"])
                if qualification_name else None)
        if qualification_name and qual is None:
            return False
        return any(b["kind"] == kind and b["is_sandbox"] == run["is_sandbox"]
                   and (qual is None or b["qualification_id"] == qual["id"])
                   for b in self.handler.get_blocks_for_worker(worker_id))

    def _blocks(self, worker_id: str, kind: str) -> int:
        """Blocks of `kind` the worker has had, lifted or not: part of a block's token, so a
        block after an unblock is a new action while a double click is the same one."""
        return sum(1 for b in self.handler.get_blocks_for_worker(worker_id, active_only=False)
                   if b["kind"] == kind and b["revoked"] is not None)


def request_token(*parts: Any) -> str:
    """The idempotency token of a request: the same request always gives the same token.
    64 hex characters, inside every marketplace's limit on an idempotency token."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def rejection_reason(reason: str) -> str:
    """The reason of a rejection, checked (raises ReviewRefused with a sentence)."""
    return _reason(reason, required=True, what="a rejection needs a reason the worker will see")


def rejection_request(provider: str, reason: str, category: str | None) -> tuple[str, str | None]:
    """The reason and category of a rejection of work on a run of `provider`, checked against
    what its marketplace declares: a category from its `rejection_categories` when it has
    some and none when it has none, and a reason of at least its `min_rejection_chars`
    (raises ReviewRefused with a sentence)."""
    reason = rejection_reason(reason)
    label, categories, min_chars = registry.rejection_rules(provider)
    category = (category or "").strip() or None
    choices = ", ".join(categories)
    if category is None and categories:
        raise ReviewRefused(f"{label} files every rejection under a category: choose one of {choices}")
    if category is not None and not categories:
        raise ReviewRefused(f"{label} takes no rejection category ({category!r} was given); reject without one")
    if category is not None and category not in categories:
        raise ReviewRefused(f"{category!r} is not a rejection category of {label}: choose one of {choices}")
    if len(reason) < min_chars:
        raise ReviewRefused(f"{label} needs a rejection reason of at least {min_chars} characters for the "
                            f"worker (this one has {len(reason)}); nothing was rejected")
    return reason, category


def bonus_request(amount: int | float | str, reason: str) -> tuple[int, str]:
    """A bonus's amount in cents and its reason, checked (raises ReviewRefused with a sentence)."""
    return _money_request(amount, reason, what="a bonus")


def _money_request(amount: int | float | str, reason: str, *, what: str) -> tuple[int, str]:
    try:
        cents = to_cents(amount)
    except DatastoreError as exc:
        raise ReviewRefused(str(exc)) from None
    if cents == 0:
        raise ReviewRefused(f"{what} must be more than $0.00")
    return cents, _reason(reason, required=True, what=f"{what} needs a reason the worker will see")


def _reason(text: str, *, required: bool, what: str = "") -> str:
    text = (text or "").strip()
    if required and not text:
        raise ReviewRefused(what)
    if len(text) > MAX_REASON_CHARS:
        raise ReviewRefused(f"the reason is {len(text)} characters; at most {MAX_REASON_CHARS} are allowed")
    return text


def _about(name: str, run: Record) -> dict[str, Any]:
    """What the audit row of a qualification change keeps of which qualification it was (the
    row has no column for it), whatever the provider answers."""
    return {"qualification": f"{name}{' (sandbox)' if run['is_sandbox'] else ''}"}


def _jsonable(response: Any) -> dict[str, Any]:
    return json.loads(json.dumps(response if isinstance(response, dict) else {"response": response}, default=str))


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """For bookkeeping on a path that is already failing: its own error must not hide that one."""
    try:
        yield
    except Exception:
        log.exception("could not record the outcome of a review action")
