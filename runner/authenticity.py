"""Whether a worker's chat message (or free-text form answer) looks typed by a person: the composition signals the page
records (timings and counts, never the keys), their shape, and the server's own checks of
them, which trust nothing the page says beyond what the numbers make possible.

Signals, all whole numbers of 0 or more (`SIGNAL_KEYS`): `compose_ms`, milliseconds from
the first keystroke to the send; `keys`, key presses that produced input; `chars`, characters
sent (UTF-16 code units, as the page counts them); `pasted_count` and `pasted_chars`, paste
events and the characters they brought; `inserted_chars`, characters that arrived by other
means (drag-and-drop, autofill, an extension, a script); `hidden_ms`, milliseconds the page
was hidden or unfocused while the message was composed.

Flags (`flags_for`), each stored with its detail:
- `no_signals`: the message came without signals (a forged frame, or a custom component
  that sends without them), so nothing says it was typed.
- `impossible`: numbers no page records: more characters sent than key presses, pasted and
  inserted characters could make; a `chars` that is not the text's length; pasted characters
  without a paste; more time away than time composing.
- `too_fast`: typed characters at a sustained rate above `MAX_CHARS_PER_SECOND`. The
  fastest sustained typist on record, Barbara Blackburn, kept 150 words a minute for 50
  minutes and reached 212 (Guinness World Records, 1985; a word is 5 characters, so
  17.7 characters a second); Sean Wrona's 256 words a minute (Ultimate Typing
  Championship, 2010) was a burst of under a minute. 20 characters a second (240 words a
  minute) is above both; rates are judged only over `MIN_CHARS_FOR_RATE` typed characters,
  since a word or two may come in a burst.
- `pasted`: text was pasted (unless the task allows pasting; a task that refuses it has the
  message refused instead, see `paste_refused`).
- `inserted`: text arrived by other means than typing or pasting.
- `away`: the page was hidden or unfocused for more than `AWAY_MS` while composing, long
  enough to write or fetch the text elsewhere; a glance at a notification is shorter.
"""
from __future__ import annotations

from typing import Any

from datastore.models_authenticity import SIGNAL_KEYS

MAX_SIGNAL = 10**9
"""Above any honest count or timing (about 11 days in milliseconds), and far below what a
JSON column or a PostgreSQL bigint could not hold."""

MAX_CHARS_PER_SECOND = 20.0
MIN_CHARS_FOR_RATE = 20
AWAY_MS = 5_000

NO_SIGNALS, IMPOSSIBLE, TOO_FAST, PASTED, INSERTED, AWAY = (
    "no_signals", "impossible", "too_fast", "pasted", "inserted", "away")
FLAGS = (NO_SIGNALS, IMPOSSIBLE, TOO_FAST, PASTED, INSERTED, AWAY)

PASTE_POLICIES = ("allow", "flag", "refuse")
DEFAULT_PASTE_REFUSED_TEXT = "Please type your message yourself: pasting is not allowed in this task."
DEFAULT_COMPOSITION_NOTICE = (
    "While you write, this page records how each message is composed: how long it took, how "
    "many keys you pressed, and whether text was pasted or inserted, or the page left while "
    "you wrote. It never records which keys you pressed.")

Flag = tuple[str, dict[str, Any]]


def signals_problem(signals: Any, where: str = "act.signals") -> str | None:
    """Why `signals` (a message act's "signals", or what `where` names) is not a set of
    composition signals, as a sentence; None when it is one."""
    if not isinstance(signals, dict):
        return f"{where} must be an object"
    unknown = sorted(set(signals) - set(SIGNAL_KEYS))
    if unknown:
        return f"{where} has unknown keys: {', '.join(unknown)}"
    missing = [key for key in SIGNAL_KEYS if key not in signals]
    if missing:
        return f"{where} lacks {', '.join(missing)}"
    for key in SIGNAL_KEYS:
        value = signals[key]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SIGNAL:
            return f"{where}.{key} must be a whole number from 0 to {MAX_SIGNAL}"
    return None


def text_length(text: str) -> int:
    """The text's length as a browser counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def paste_refused(signals: dict[str, int] | None, paste_policy: str) -> bool:
    """Whether a task with `paste_policy` refuses a message with these signals."""
    return paste_policy == "refuse" and signals is not None and (
        signals["pasted_count"] > 0 or signals["pasted_chars"] > 0)


def flags_for(text: str, signals: dict[str, int] | None, paste_policy: str = "flag") -> list[Flag]:
    """The flags a message with `text` and `signals` (checked by `signals_problem`, or None)
    earns, each with what earned it; empty for a message typed as a person types."""
    if signals is None:
        return [(NO_SIGNALS, {})]
    flags: list[Flag] = []
    sent = text_length(text)
    typed = max(0, sent - signals["pasted_chars"] - signals["inserted_chars"])
    impossible = _impossibilities(signals, sent)
    if impossible:
        flags.append((IMPOSSIBLE, {"reasons": impossible}))
    typing_ms = max(0, signals["compose_ms"] - signals["hidden_ms"])
    if typed >= MIN_CHARS_FOR_RATE and typed * 1000 > MAX_CHARS_PER_SECOND * typing_ms:
        rate = round(typed * 1000 / typing_ms, 1) if typing_ms else None
        flags.append((TOO_FAST, {"typed_chars": typed, "ms": typing_ms, "chars_per_second": rate,
                                 "limit": MAX_CHARS_PER_SECOND}))
    if paste_policy != "allow" and (signals["pasted_count"] or signals["pasted_chars"]):
        flags.append((PASTED, {"count": signals["pasted_count"], "chars": signals["pasted_chars"]}))
    if signals["inserted_chars"]:
        flags.append((INSERTED, {"chars": signals["inserted_chars"]}))
    if signals["hidden_ms"] > AWAY_MS:
        flags.append((AWAY, {"ms": signals["hidden_ms"], "limit": AWAY_MS}))
    return flags


def answer_flags(answers: dict[str, Any], signals: dict[str, dict[str, int]], text_fields: list[str],
                 paste_policy: str = "flag") -> list[dict[str, Any]]:
    """The flags of a form's free-text answers (`text_fields`, the names of its text and long
    text fields), each {"field", "flag", "detail"}, judged as chat messages are: `signals` by
    field name, checked by `signals_problem`; an answer left empty is not judged."""
    found = []
    for name in text_fields:
        text = answers.get(name)
        if isinstance(text, str) and text:
            found += [{"field": name, "flag": flag, "detail": detail}
                      for flag, detail in flags_for(text, signals.get(name), paste_policy)]
    return found


def _impossibilities(signals: dict[str, int], sent: int) -> list[str]:
    reasons = []
    if sent > signals["keys"] + signals["pasted_chars"] + signals["inserted_chars"]:
        reasons.append("more characters than key presses, pasted and inserted characters")
    if signals["chars"] != sent:
        reasons.append(f"chars is {signals['chars']}, the text has {sent}")
    if signals["pasted_chars"] and not signals["pasted_count"]:
        reasons.append("pasted characters without a paste")
    if signals["hidden_ms"] > signals["compose_ms"]:
        reasons.append("more time away than time composing")
    return reasons
