"""How the review pages show what the runner found in how workers composed their messages: a
short badge per flag, its detail said in words in the badge's title, a discreet "typed" mark
on a message with a record and no flag, and a detector's score below its threshold as a
neutral number. Badges inform the reviewer; nothing here approves or rejects anyone.

Each badge is `{flag, text, title, tone, href}` (tone: "warn" for a flag, "quiet" for the
rest; href: a link for a duplicate, else None), carried by the JSON twins too."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, request, url_for

from datastore import MTurkDataHandler
from runner.authenticity import AWAY, IMPOSSIBLE, INSERTED, NO_SIGNALS, PASTED, TOO_FAST
from runner.duplicates import DUPLICATE
from runner.text_detector import DETECTOR

TYPED, SCORE = "typed", "score"
"""The quiet marks: a record with no flag, and a detector's score with no detector flag."""

FLAGGED = "flagged"
AUTHENTICITY_ARG = "authenticity"
"""`?authenticity=flagged` keeps only work with a flagged message (queue and run pages)."""

Badge = dict[str, Any]
Places = dict[int, dict[str, Any]]


def _plural(n: Any, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else words or word + 's'}"


def _seconds(ms: Any) -> str:
    return f"{ms / 1000:.1f} s" if isinstance(ms, (int, float)) else "an unknown time"


def _pasted(detail: dict[str, Any], _: Places) -> tuple[str, str]:
    return "pasted", f"pasted {_plural(detail.get('count', '?'), 'time')}, {_plural(detail.get('chars', '?'), 'character')}"


def _too_fast(detail: dict[str, Any], _: Places) -> tuple[str, str]:
    rate = detail.get("chars_per_second")
    speed = f"{rate} characters a second" if rate is not None else "with no time at all to type them"
    return "implausibly fast", (f"{_plural(detail.get('typed_chars', '?'), 'character')} typed in "
                                f"{_seconds(detail.get('ms'))}: {speed}, above the {detail.get('limit', '?')} "
                                "a second nobody sustains")


def _away(detail: dict[str, Any], _: Places) -> tuple[str, str]:
    return "composed while away", (f"the page was hidden or out of focus for {_seconds(detail.get('ms'))} "
                                   f"while this was written (more than {_seconds(detail.get('limit'))})")


def _inserted(detail: dict[str, Any], _: Places) -> tuple[str, str]:
    return "inserted text", (f"{_plural(detail.get('chars', '?'), 'character')} arrived neither typed nor "
                             "pasted (dropped, autofilled, or put there by an extension or a script)")


def _no_signals(_: dict[str, Any], __: Places) -> tuple[str, str]:
    return "no composition record", "the message came without a record of how it was composed, so nothing says it was typed"


def _impossible(detail: dict[str, Any], _: Places) -> tuple[str, str]:
    reasons = detail.get("reasons") or ["numbers that do not fit together"]
    return "impossible record", "no page records this: " + "; ".join(map(str, reasons))


def _duplicate(detail: dict[str, Any], places: Places) -> tuple[str, str]:
    similarity = detail.get("similarity")
    alike = f"{similarity:.0%} alike" if isinstance(similarity, (int, float)) else "near-identical"
    place = _place(detail, places)
    where = f" in conversation {place['conversation_id']}" if place else ""
    return "duplicate of another worker", f"{alike} to a message of worker {detail.get('of_worker_id', '?')}{where}"


def _place(detail: dict[str, Any], places: Places) -> dict[str, Any] | None:
    """Where the message a duplicate's detail names is (None if not stored, or not named)."""
    pk = detail.get("of_message_pk")
    return places.get(pk) if isinstance(pk, int) else None


def _detector(detail: dict[str, Any], _: Places) -> tuple[str, str]:
    score, threshold = detail.get("score"), detail.get("threshold")
    return f"detector {_score(score)}", (f"{detail.get('detector', 'the detector')} scored it {_score(score)}, "
                                         f"at or above its threshold of {_score(threshold)}")


def _score(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) else "?"


DESCRIBED: dict[str, Callable[[dict[str, Any], Places], tuple[str, str]]] = {
    PASTED: _pasted, TOO_FAST: _too_fast, AWAY: _away, INSERTED: _inserted, NO_SIGNALS: _no_signals,
    IMPOSSIBLE: _impossible, DUPLICATE: _duplicate, DETECTOR: _detector,
}
"""Each flag's badge text and title, from its detail (and where messages it names are)."""


def _flag_badge(flag: dict[str, Any], places: Places) -> Badge:
    name, detail = flag["flag"], flag.get("detail") or {}
    describe = DESCRIBED.get(name)
    if describe is None:  # a check this webapp does not know yet: its name and detail as given
        text, title = name.replace("_", " "), "; ".join(f"{k}: {v}" for k, v in detail.items()) or name
    else:
        text, title = describe(detail, places)
    place = _place(detail, places) if name == DUPLICATE else None
    href = url_for("review.conversation", run_id=place["run_id"], conversation_id=place["conversation_id"]) \
        if place else None
    return {"flag": name, "text": text, "title": title, "tone": "warn", "href": href}


def badges(message: dict[str, Any], places: Places) -> list[Badge]:
    """The badges of one worker's message (see the module's docstring)."""
    flags = message.get("flags") or []
    shown = [_flag_badge(flag, places) for flag in flags]
    score = message.get("detector_score")
    if score is not None and not any(flag["flag"] == DETECTOR for flag in flags):
        shown.append({"flag": SCORE, "text": f"detector {_score(score)}", "tone": "quiet", "href": None,
                      "title": f"the detector scored it {_score(score)}, below its threshold: not flagged"})
    signals = message.get("signals")
    if signals and not flags:
        shown.append({"flag": TYPED, "text": "typed", "tone": "quiet", "href": None,
                      "title": (f"typed: {_plural(signals.get('keys', '?'), 'key press', 'key presses')} for "
                                f"{_plural(signals.get('chars', '?'), 'character')} in "
                                f"{_seconds(signals.get('compose_ms'))}")})
    return shown


def with_badges(handler: MTurkDataHandler, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`messages` with each worker's message given its `badges` and a `detector_score` (None
    where no detector scored it); one query finds the messages duplicates name."""
    named = {flag["detail"].get("of_message_pk") for m in messages for flag in m.get("flags") or []
             if flag["flag"] == DUPLICATE and isinstance(flag.get("detail"), dict)}
    places = handler.message_places({pk for pk in named if isinstance(pk, int)})
    return [{**m, "detector_score": m.get("detector_score"), "badges": badges(m, places)}
            if m.get("worker_id") is not None else m for m in messages]


def flagged_only() -> bool:
    """Whether the page is asked for flagged work only (`?authenticity=flagged`); any other
    value is a 400 with a sentence."""
    value = request.args.get(AUTHENTICITY_ARG) or None
    if value not in (None, FLAGGED):
        abort(400, description=f"{AUTHENTICITY_ARG} must be {FLAGGED!r} (or left out), not {value!r}.")
    return value == FLAGGED
