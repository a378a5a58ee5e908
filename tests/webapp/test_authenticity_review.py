"""What the reviewer sees of how workers composed their messages: a badge per flag with its
detail in words (on the conversation page and in the review queue, and in their JSON twins),
a worker's authenticity summary (worker page, queue, conversation page), and filters that
keep only work with flagged messages (queue and run page). Flags inform; they never act."""
from __future__ import annotations

import re

import pytest

from tests.support.builders import completed_conversation
from webapp.authenticity import badges

DETECTOR = "mylab.detect:score"


def signals(text: str, *, compose_ms: int, pasted_count: int = 0, pasted_chars: int = 0,
            hidden_ms: int = 0) -> dict[str, int]:
    """A page's record of `text`: every character not pasted typed with one key press."""
    return {"compose_ms": compose_ms, "keys": len(text) - pasted_chars, "chars": len(text),
            "pasted_count": pasted_count, "pasted_chars": pasted_chars, "inserted_chars": 0,
            "hidden_ms": hidden_ms}


def say(handler, built, n, text, turn, record, flags=(), score=None):
    """Worker n of `built` sends `text` with `record`'s signals, `flags` and a detector's
    `score`; answers its row id."""
    worker, assignment = built.workers[n], built.assignments[n]
    return handler.log_message(
        built.run_id, built.conversation_id, ("Asker", "Answerer")[n], {"text": text},
        worker_id=worker, assignment_id=assignment, client_msg_id=f"{assignment}-{turn}", turn_index=turn,
        signals=record, flags=list(flags), detector_score=score).id


@pytest.fixture
def world(handler):
    """Run R: conversation t_2 (W3 typed a message; W4 sent none), then t_1, where W1 typed
    one message and wrote another away from the page (a detector flagged it too), and W2
    pasted most of a message near-identical to W3's, then typed one."""
    other = completed_conversation(handler, conversation_id="t_2", workers=("W3", "W4"), turns=0)
    run_id = other.run_id
    original = "Paris is in France, in Europe."
    of_w3 = say(handler, other, 0, original, 0, signals(original, compose_ms=10_000))
    built = completed_conversation(handler, run_id=run_id, conversation_id="t_1", turns=0)
    say(handler, built, 0, "Where is Paris?", 0, signals("Where is Paris?", compose_ms=5_000), score=0.12)
    say(handler, built, 0, "And what river runs there?", 1,
        signals("And what river runs there?", compose_ms=20_000, hidden_ms=12_000),
        [("away", {"ms": 12_000, "limit": 5_000}),
         ("detector", {"score": 0.87, "threshold": 0.5, "detector": DETECTOR})], score=0.87)
    pasted = "Paris is in France, in Europe!"
    say(handler, built, 1, pasted, 0, signals(pasted, compose_ms=4_000, pasted_count=2, pasted_chars=20),
        [("pasted", {"count": 2, "chars": 20}),
         ("duplicate", {"of_message_pk": of_w3, "of_worker_id": "W3", "similarity": 0.93})])
    say(handler, built, 1, "The Seine", 1, signals("The Seine", compose_ms=2_000))
    return built, other


def badge(page: str, flag: str) -> tuple[str, str]:
    """The (title, text) of the one badge of `flag` on `page`."""
    [found] = re.findall(rf'class="badge badge--\w+" data-flag="{flag}" title="([^"]*)"[^>]*>([^<]*)<', page)
    return found


def worker_messages(messages, worker_id):
    return [m for m in messages if m.get("worker_id") == worker_id]


def test_the_conversation_page_badges_each_flag_with_its_detail_in_words(client, world):
    built, _ = world
    page = client.get(f"/runs/{built.run_id}/conversations/t_1").get_data(as_text=True)
    assert badge(page, "pasted") == ("pasted 2 times, 20 characters", "pasted")
    assert badge(page, "duplicate") == ("93% alike to a message of worker W3 in conversation t_2",
                                        "duplicate of another worker")
    assert re.search(rf'data-flag="duplicate" title="[^"]*" href="/runs/{built.run_id}/conversations/t_2"', page)
    assert badge(page, "away") == ("the page was hidden or out of focus for 12.0 s while this was written "
                                   "(more than 5.0 s)", "composed while away")
    assert badge(page, "detector") == (f"{DETECTOR} scored it 0.87, at or above its threshold of 0.50",
                                       "detector 0.87")
    typed = re.findall(r'data-flag="typed" title="([^"]*)"', page)
    assert typed == ["typed: 15 key presses for 15 characters in 5.0 s",
                     "typed: 9 key presses for 9 characters in 2.0 s"]
    assert "badge--quiet" in page.split('data-flag="typed"')[0].rsplit("<span", 1)[1]


def test_the_conversation_twin_carries_signals_flags_score_and_badges_per_message(client, world):
    built, _ = world
    data = client.get(f"/runs/{built.run_id}/conversations/t_1.json").get_json()["conversation"]
    [pasted, typed] = worker_messages(data["messages"], "W2")
    assert pasted["signals"]["pasted_chars"] == 20
    assert [f["flag"] for f in pasted["flags"]] == ["pasted", "duplicate"]
    assert pasted["flags"][1]["detail"]["of_worker_id"] == "W3"
    assert pasted["detector_score"] is None and typed["detector_score"] is None
    assert [(b["flag"], b["text"], b["tone"]) for b in pasted["badges"]] == [
        ("pasted", "pasted", "warn"), ("duplicate", "duplicate of another worker", "warn")]
    assert [(b["flag"], b["tone"]) for b in typed["badges"]] == [("typed", "quiet")]
    assert "badges" not in data["messages"][0]  # the world's opening message is no worker's


def test_each_worker_on_the_conversation_page_has_their_summary_in_the_run(client, world):
    built, _ = world
    workers = client.get(f"/runs/{built.run_id}/conversations/t_1.json").get_json()["conversation"]["workers"]
    by_id = {w["worker_id"]: w["authenticity"] for w in workers}
    assert by_id["W2"] == {"messages": 2, "with_signals": 2, "flagged": 1, "flags": {"duplicate": 1, "pasted": 1},
                           "pasted_share": 0.5, "median_chars_per_second": 3.5}
    assert by_id["W1"]["flags"] == {"away": 1, "detector": 1}
    # W1 typed 15 characters in 5 s and 26 in the 8 s the page was in view.
    assert by_id["W1"]["median_chars_per_second"] == pytest.approx((3.0 + 3.25) / 2, abs=0.05)
    page = client.get(f"/runs/{built.run_id}/conversations/t_1").get_data(as_text=True)
    assert "Composition: 1 flagged" in page


def test_the_worker_page_and_its_twin_summarise_how_the_worker_composed(client, world):
    summary = client.get("/workers/W2.json").get_json()["authenticity"]
    assert (summary["messages"], summary["flagged"], summary["flags"], summary["pasted_share"],
            summary["median_chars_per_second"]) == (2, 1, {"duplicate": 1, "pasted": 1}, 0.5, 3.5)
    page = client.get("/workers/W2").get_data(as_text=True)
    assert '<dd data-summary="messages">2</dd>' in page
    assert re.search(r'<dd data-summary="flagged">1 <span[^>]*data-flag="duplicate">duplicate 1</span> '
                     r'<span[^>]*data-flag="pasted">pasted 1</span></dd>', page)
    assert '<dd data-summary="pasted_share">50% of messages</dd>' in page
    assert "3.5 characters a second" in page
    assert "No messages." in client.get("/workers/W4").get_data(as_text=True)
    assert client.get("/workers/W4.json").get_json()["authenticity"] == {
        "messages": 0, "with_signals": 0, "flagged": 0, "flags": {}, "pasted_share": None,
        "median_chars_per_second": None}


def test_the_queue_shows_the_units_badges_and_its_workers_summary(client, world):
    built, _ = world
    w2 = built.assignments[1]
    page = client.get(f"/runs/{built.run_id}/queue?at={w2}").get_data(as_text=True)
    assert badge(page, "pasted") == ("pasted 2 times, 20 characters", "pasted")
    assert badge(page, "detector")[1] == "detector 0.87"
    assert '<dd data-summary="pasted_share">50% of messages</dd>' in page
    unit = client.get(f"/runs/{built.run_id}/queue.json?at={w2}").get_json()["unit"]
    assert unit["authenticity"]["flags"] == {"duplicate": 1, "pasted": 1}
    [pasted, _] = worker_messages(unit["messages"], "W2")
    assert [b["flag"] for b in pasted["badges"]] == ["pasted", "duplicate"]
    assert pasted["signals"]["pasted_count"] == 2 and "detector_score" in pasted


def test_the_queue_keeps_only_units_with_flagged_messages_when_asked(client, world):
    built, other = world
    everyone = client.get(f"/runs/{built.run_id}/queue.json").get_json()
    assert (everyone["unit"]["assignment_id"], everyone["next"]) == (other.assignments[0], other.assignments[1])
    flagged = client.get(f"/runs/{built.run_id}/queue.json?authenticity=flagged").get_json()
    assert flagged["filter"]["authenticity"] == "flagged"
    assert (flagged["unit"]["assignment_id"], flagged["next"]) == tuple(built.assignments)
    last = client.get(f"/runs/{built.run_id}/queue.json?authenticity=flagged&after={built.assignments[1]}")
    assert last.get_json()["unit"] is None
    page = client.get(f"/runs/{built.run_id}/queue?authenticity=flagged").get_data(as_text=True)
    assert 'name="authenticity" value="flagged" checked' in page
    assert f"/runs/{built.run_id}/queue?authenticity=flagged&amp;after={built.assignments[0]}" in page


def test_the_run_page_lists_only_conversations_with_flagged_messages_when_asked(client, world):
    built, _ = world
    listed = client.get(f"/runs/{built.run_id}.json").get_json()["conversations"]
    assert [c["conversation_id"] for c in listed] == ["t_2", "t_1"]
    flagged = client.get(f"/runs/{built.run_id}.json?authenticity=flagged").get_json()["conversations"]
    assert [c["conversation_id"] for c in flagged] == ["t_1"]
    page = client.get(f"/runs/{built.run_id}").get_data(as_text=True)
    assert f'href="/runs/{built.run_id}?authenticity=flagged" data-filter="authenticity"' in page


@pytest.mark.parametrize("path", ["/runs/{run}/queue", "/runs/{run}/queue.json", "/runs/{run}", "/runs/{run}.json"])
def test_an_unknown_authenticity_filter_is_a_400_with_a_sentence(client, world, path):
    built, _ = world
    response = client.get(path.format(run=built.run_id) + "?authenticity=pasted")
    assert response.status_code == 400
    assert "authenticity must be &#39;flagged&#39; (or left out), not &#39;pasted&#39;." in response.get_data(
        as_text=True).replace("'", "&#39;")


def test_flags_decide_nothing_the_reviewer_did_not(client, handler, world):
    built, other = world
    for path in (f"/runs/{built.run_id}/conversations/t_1", f"/runs/{built.run_id}/queue?authenticity=flagged",
                 "/workers/W2", f"/runs/{built.run_id}?authenticity=flagged"):
        assert client.get(path).status_code == 200
    assert handler.get_review_actions() == []
    assert {handler.get_assignment_data(a)["status"] for a in built.assignments + other.assignments} == {"completed"}


def test_the_stored_detector_scores_show_on_the_page_and_in_its_twin(client, world):
    built, _ = world
    page = client.get(f"/runs/{built.run_id}/conversations/t_1").get_data(as_text=True)
    assert badge(page, "score") == ("the detector scored it 0.12, below its threshold: not flagged", "detector 0.12")
    twin = client.get(f"/runs/{built.run_id}/conversations/t_1.json").get_json()["conversation"]
    scores = {m["text"]: m["detector_score"] for m in twin["messages"] if m.get("worker_id")}
    assert scores == {"Where is Paris?": 0.12, "And what river runs there?": 0.87,
                      "Paris is in France, in Europe!": None, "The Seine": None}


def test_a_detector_score_below_its_threshold_is_a_quiet_number():
    message = {"worker_id": "W1", "signals": signals("Hi there", compose_ms=3_000), "flags": [],
               "detector_score": 0.123}
    assert [(b["flag"], b["text"], b["tone"]) for b in badges(message, {})] == [
        ("score", "detector 0.12", "quiet"), ("typed", "typed", "quiet")]
    flagged = {**message, "detector_score": 0.9,
               "flags": [{"flag": "detector", "detail": {"score": 0.9, "threshold": 0.5, "detector": DETECTOR}}]}
    assert [b["text"] for b in badges(flagged, {})] == ["detector 0.90"]


def test_a_message_without_a_record_is_badged_so():
    message = {"worker_id": "W1", "signals": None, "flags": [{"flag": "no_signals", "detail": {}}]}
    [only] = badges(message, {})
    assert (only["text"], only["title"]) == (
        "no composition record", "the message came without a record of how it was composed, so nothing says it was typed")
