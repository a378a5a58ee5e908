"""The review queue page and its JSON twin: one unit at a time, filters, a verdict that sends
the reviewer on to the next unit of the same queue, a bonus that stays, and a sentence with a
400 for a filter or position it cannot take."""
from __future__ import annotations

import re

import pytest

from datastore.review_queue import WORLD_FLAG_KEY
from tests.support.builders import run_of_conversations


@pytest.fixture
def three(handler):
    return run_of_conversations(handler, 3)


def units_in_order(built):
    return [a for conversation in built for a in conversation.assignments]


def act(client, assignment_id, action, next_path, **form):
    return client.post(f"/assignments/{assignment_id}/{action}",
                       data={"csrf_token": client.csrf, "next": next_path, **form})


def shown_unit(client, path):
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    found = re.search(r'data-unit="([^"]+)"', page.get_data(as_text=True))
    return found.group(1) if found else None


def test_the_twin_shows_the_first_unit_and_names_its_neighbours_for_a_script(client, three):
    run_id, units = three[0].run_id, units_in_order(three)
    data = client.get(f"/runs/{run_id}/queue.json").get_json()
    assert data["unit"]["assignment_id"] == units[0]
    assert (data["previous"], data["next"], data["unreviewed"]) == (None, units[1], 6)
    assert data["filter"] == {"status": "unreviewed", "worker": None, "flagged": False, "authenticity": None}
    assert [m["text"] for m in data["unit"]["messages"]][:2] == ["Read the paragraph.", "Asker says 0"]
    assert data["unit"]["task_data"] == {"paragraph": "Paris is in France."}
    assert data["unit"]["world_data"] == {"rating": 4}
    assert data["unit"]["custom_data"] == {"topic": "geography"}
    assert [p["worker_id"] for p in data["unit"]["partners"]] == ["W1b"]
    walked, at = [], units[0]
    while at is not None:
        walked.append(at)
        at = client.get(f"/runs/{run_id}/queue.json?at={at}").get_json()["next"]
    assert walked == units


def test_approving_from_the_queue_goes_to_the_next_unit_of_the_same_filtered_queue(client, handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    page = client.get(f"/runs/{run_id}/queue?status=all").get_data(as_text=True)
    onward = re.search(r'name="next" value="([^"]+)"', page).group(1).replace("&amp;", "&")
    response = act(client, units[0], "approve", onward)
    assert response.status_code == 303
    assert shown_unit(client, response.headers["Location"]) == units[1]
    assert "status=all" in response.headers["Location"]
    assert handler.get_assignment_data(units[0])["status"] == "approved"
    assert [a["action"] for a in handler.get_review_actions(assignment_id=units[0])] == ["approve"]


def test_the_flash_after_an_action_is_short_and_does_not_lead_with_the_assignment_id(client, three):
    run_id, units = three[0].run_id, units_in_order(three)
    page = client.post(f"/assignments/{units[0]}/approve", follow_redirects=True,
                       data={"csrf_token": client.csrf, "next": f"/runs/{run_id}/queue?after={units[0]}"})
    text = page.get_data(as_text=True)
    assert '<p class="flash flash--ok">Approved.</p>' in text
    again = client.post(f"/assignments/{units[0]}/reject", follow_redirects=True,
                        data={"csrf_token": client.csrf, "reason": "Too short.", "next": f"/runs/{run_id}/queue"})
    assert ('<p class="flash flash--error">This assignment is already approved; an approved assignment '
            'cannot be rejected.</p>') in again.get_data(as_text=True)


def test_a_bonus_from_the_queue_stays_on_the_unit_and_a_rejection_moves_on(client, handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    page = client.get(f"/runs/{run_id}/queue").get_data(as_text=True)
    stay = re.search(r'action="/assignments/[^"]+/bonus">\s*<input[^>]*><input type="hidden" name="next" value="([^"]+)"',
                     page).group(1).replace("&amp;", "&")
    bonus = act(client, units[0], "bonus", stay, amount="0.25", reason="Thorough.")
    assert shown_unit(client, bonus.headers["Location"]) == units[0]
    onward = f"/runs/{run_id}/queue?after={units[0]}"
    rejected = act(client, units[0], "reject", onward, reason="Answered another question.")
    assert shown_unit(client, rejected.headers["Location"]) == units[1]
    assert [a["action"] for a in handler.get_review_actions(assignment_id=units[0])] == ["bonus", "reject"]


def test_skip_and_back_move_through_the_queue_without_deciding(client, handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    page = client.get(f"/runs/{run_id}/queue?at={units[1]}").get_data(as_text=True)
    skip = re.search(r'rel="next" data-key="s j" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    back = re.search(r'rel="prev" data-key="k" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert shown_unit(client, skip) == units[2]
    assert shown_unit(client, back) == units[0]
    assert handler.get_review_actions() == []


def test_filters_by_worker_status_and_world_flag(client, handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    handler.save_world_data({"worker_data": {"W2b": {WORLD_FLAG_KEY: "Copied the paragraph."}}}, run_id, "t_2")
    flagged = client.get(f"/runs/{run_id}/queue.json?flagged=1").get_json()
    assert (flagged["unit"]["assignment_id"], flagged["unit"]["flag"], flagged["next"]) == (
        units[3], "Copied the paragraph.", None)
    assert "The world flagged this: Copied the paragraph." in client.get(
        f"/runs/{run_id}/queue?flagged=1").get_data(as_text=True)
    assert client.get(f"/runs/{run_id}/queue.json?worker=W3a").get_json()["unit"]["assignment_id"] == units[4]
    handler.log_approve_assignment(units[2])
    approved = client.get(f"/runs/{run_id}/queue.json?status=approved").get_json()
    assert (approved["unit"]["assignment_id"], approved["next"]) == (units[2], None)


def test_the_end_of_the_queue_says_so_and_offers_the_units_skipped(client, handler, three):
    run_id, units = three[0].run_id, units_in_order(three)
    for unit in units[1:]:
        handler.log_approve_assignment(unit)
    assert "Nothing before this one." in client.get(f"/runs/{run_id}/queue?before={units[0]}").get_data(as_text=True)
    page = client.get(f"/runs/{run_id}/queue?after={units[5]}").get_data(as_text=True)
    assert "That was the last one; the ones skipped are still to review." in page
    assert f'href="/runs/{run_id}/queue"' in page and "Start again from the first left" in page
    handler.log_approve_assignment(units[0])
    empty = client.get(f"/runs/{run_id}/queue").get_data(as_text=True)
    assert "Nothing left in this queue." in empty and "Start again" not in empty


@pytest.mark.parametrize(("query", "sentence"), [
    ("status=lost", "status must be one of unreviewed, reviewed, all"),
    ("flagged=maybe", "flagged must be 1 or 0"),
    ("worker=nobody", "There is no worker 'nobody'."),
    ("at=A-none", "there is no assignment 'A-none' to review in this run"),
    ("after=x&before=y", "give at most one of at, after and before"),
])
def test_a_bad_filter_or_position_is_a_400_with_a_sentence(client, three, query, sentence):
    response = client.get(f"/runs/{three[0].run_id}/queue.json?{query}")
    assert response.status_code == 400
    assert sentence in response.get_json()["error"]
    assert sentence.replace("'", "&#39;") in client.get(f"/runs/{three[0].run_id}/queue?{query}").get_data(as_text=True)


def test_a_queue_of_a_run_that_does_not_exist_is_a_404(client):
    assert client.get("/runs/nope/queue.json").status_code == 404


def test_the_run_page_links_to_its_queue(client, three):
    page = client.get(f"/runs/{three[0].run_id}").get_data(as_text=True)
    assert f'href="/runs/{three[0].run_id}/queue">Review queue' in page
