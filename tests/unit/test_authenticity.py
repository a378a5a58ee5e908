"""The server's checks of how a chat message was composed: a message typed as a person types
earns no flag; missing, impossible, superhuman, pasted, inserted and composed-while-away
messages each earn theirs, whatever the page claims."""
from __future__ import annotations

import pytest

from runner.authenticity import (
    AWAY_MS,
    MAX_CHARS_PER_SECOND,
    MAX_SIGNAL,
    SIGNAL_KEYS,
    flags_for,
    paste_refused,
    signals_problem,
    text_length,
)


def typed(text: str, **changes: int) -> dict[str, int]:
    """Signals of `text` typed key by key at 5 characters a second, with `changes`."""
    length = text_length(text)
    return {"compose_ms": length * 200, "keys": length, "chars": length, "pasted_count": 0,
            "pasted_chars": 0, "inserted_chars": 0, "hidden_ms": 0, **changes}


def names(text: str, signals: dict[str, int] | None, policy: str = "flag") -> list[str]:
    return [flag for flag, _ in flags_for(text, signals, policy)]


def test_a_message_typed_key_by_key_earns_no_flag():
    text = "I think the second answer is better, because it names its sources."
    assert flags_for(text, typed(text)) == []
    assert flags_for(text, typed(text, keys=len(text) + 12)) == []  # corrections: more keys


def test_a_message_without_signals_is_flagged_no_signals():
    assert flags_for("hello", None) == [("no_signals", {})]


def test_two_thousand_characters_typed_in_100_ms_are_too_fast():
    text = "a" * 2000
    [(flag, detail)] = flags_for(text, typed(text, compose_ms=100))
    assert flag == "too_fast"
    assert detail == {"typed_chars": 2000, "ms": 100, "chars_per_second": 20000.0,
                      "limit": MAX_CHARS_PER_SECOND}


def test_the_rate_limit_counts_only_typed_characters_and_time_on_the_page():
    text = "b" * 100
    at_limit = typed(text, compose_ms=int(100 / MAX_CHARS_PER_SECOND * 1000))
    assert names(text, at_limit) == []
    assert names(text, typed(text, compose_ms=at_limit["compose_ms"] - 1)) == ["too_fast"]
    # Typed fast enough only if the time away counted as typing.
    away = typed(text, compose_ms=at_limit["compose_ms"] + 1000, hidden_ms=1001)
    assert names(text, away) == ["too_fast"]
    pasted = typed(text, compose_ms=10, keys=0, pasted_count=1, pasted_chars=100)
    assert names(text, pasted) == ["pasted"]


def test_a_short_burst_is_not_judged_by_its_rate():
    assert names("ok thanks", typed("ok thanks", compose_ms=50)) == []


@pytest.mark.parametrize(("changes", "reason"), [
    ({"keys": 3}, "more characters than key presses, pasted and inserted characters"),
    ({"chars": 99}, "chars is 99, the text has 21"),
    ({"pasted_chars": 5, "keys": 16}, "pasted characters without a paste"),
    ({"hidden_ms": 5000, "compose_ms": 4200}, "more time away than time composing"),
])
def test_numbers_no_page_records_are_flagged_impossible(changes, reason):
    text = "twenty-one characters"
    flags = dict(flags_for(text, typed(text, **changes)))
    assert reason in flags["impossible"]["reasons"]


def test_the_text_is_counted_as_the_browser_counts_it():
    text = "🙂 ok"  # the emoji is two UTF-16 code units
    assert text_length(text) == 5
    assert flags_for(text, typed(text)) == []


def test_pasting_is_flagged_unless_the_task_allows_it():
    text = "a paragraph from somewhere else"
    signals = typed(text, keys=0, pasted_count=1, pasted_chars=len(text), compose_ms=900)
    assert flags_for(text, signals) == [("pasted", {"count": 1, "chars": len(text)})]
    assert flags_for(text, signals, "allow") == []


def test_a_refusing_task_refuses_only_messages_with_a_paste():
    text = "pasted"
    pasted = typed(text, keys=0, pasted_count=1, pasted_chars=6)
    assert paste_refused(pasted, "refuse")
    assert not paste_refused(pasted, "flag") and not paste_refused(pasted, "allow")
    assert not paste_refused(typed(text), "refuse") and not paste_refused(None, "refuse")


def test_text_inserted_without_typing_or_pasting_is_flagged_inserted():
    text = "autofilled words"
    assert flags_for(text, typed(text, keys=0, inserted_chars=16)) == [("inserted", {"chars": 16})]


def test_composing_while_the_page_was_away_is_flagged_beyond_the_threshold():
    text = "back again"
    assert names(text, typed(text, compose_ms=AWAY_MS + 9000, hidden_ms=AWAY_MS)) == []
    assert flags_for(text, typed(text, compose_ms=AWAY_MS + 9000, hidden_ms=AWAY_MS + 1)) == [
        ("away", {"ms": AWAY_MS + 1, "limit": AWAY_MS})]


@pytest.mark.parametrize(("signals", "problem"), [
    ([1, 2], "act.signals must be an object"),
    ({**typed("x"), "keystrokes": "abc"}, "act.signals has unknown keys: keystrokes"),
    ({k: v for k, v in typed("x").items() if k != "keys"}, "act.signals lacks keys"),
    (typed("x", keys=-1), f"act.signals.keys must be a whole number from 0 to {MAX_SIGNAL}"),
    (typed("x", compose_ms=MAX_SIGNAL + 1), "act.signals.compose_ms must be a whole number"),
    ({**typed("x"), "hidden_ms": 1.5}, "act.signals.hidden_ms must be a whole number"),
    ({**typed("x"), "chars": True}, "act.signals.chars must be a whole number"),
])
def test_signals_of_the_wrong_shape_are_refused_with_a_sentence(signals, problem):
    assert problem in (signals_problem(signals) or "")


def test_signals_of_the_right_shape_pass():
    assert signals_problem(typed("hello")) is None
    assert set(typed("hello")) == set(SIGNAL_KEYS)
