"""The conversation page with several workers: a message sent to each worker alone is shown
once with its recipients, each worker's context pane is shown side by side, the keyboard's
actions belong to the worker selected (visibly), and a verdict moves on to the next worker
or conversation still to review."""
from __future__ import annotations

import re

import pytest

from tests.support.builders import completed_conversation


@pytest.fixture
def trio(handler):
    """A three-worker conversation whose world told each worker their secret alone, and
    everyone that time is up, once to each."""
    built = completed_conversation(handler, provider="local", workers=("W1", "W2", "W3"),
                                   roles=("Asker", "Answerer", "Judge"))
    for role, secret in (("Asker", "red"), ("Answerer", "blue"), ("Judge", "green")):
        handler.log_message(built.run_id, built.conversation_id, "System",
                            {"text": f"Your secret is {secret}.", "task_data": {"secret": secret}},
                            recipients=[role])
    for role in ("Asker", "Answerer", "Judge"):
        handler.log_message(built.run_id, built.conversation_id, "System",
                            {"text": "Time is up.", "message_id": f"up-{role}"}, recipients=[role])
    return built


def page_of(client, built, query=""):
    response = client.get(f"/runs/{built.run_id}/conversations/{built.conversation_id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def card(page, assignment_id):
    return re.search(rf'<article class="card worker" data-assignment="{assignment_id}"[^>]*>', page).group(0)


def test_a_message_sent_to_each_worker_is_shown_once_with_its_recipients(client, trio):
    page = page_of(client, trio)
    assert page.count("Time is up.") == 1
    assert re.search(r"to Asker, Answerer, Judge</span>.*?Time is up\.", page, re.S)
    for role, secret in (("Asker", "red"), ("Answerer", "blue"), ("Judge", "green")):
        assert re.search(rf"to {role}</span>.*?Your secret is {secret}\.", page, re.S)


def test_each_workers_context_pane_is_shown_side_by_side(client, trio):
    page = page_of(client, trio)
    panes = dict(re.findall(r'data-context-of="([^"]+)">(.*?)</div>\s*(?=<div class="context"|</div>)', page, re.S))
    assert list(panes) == trio.assignments
    for assignment_id, mine, others in zip(trio.assignments, ("red", "blue", "green"),
                                           (("blue", "green"), ("red", "green"), ("red", "blue"))):
        assert f">{mine}<" in panes[assignment_id]
        assert "Paris is in France." in panes[assignment_id]  # the opening message went to all
        assert not any(f">{other}<" in panes[assignment_id] for other in others)
    twin = client.get(f"/runs/{trio.run_id}/conversations/{trio.conversation_id}.json").get_json()
    assert [w["task_data"]["secret"] for w in twin["conversation"]["workers"]] == ["red", "blue", "green"]


def test_the_keys_belong_to_the_selected_worker_first_the_first_with_work_to_review(client, handler, trio):
    handler.log_approve_assignment(trio.assignments[0])
    page = page_of(client, trio)
    assert 'aria-current="true"' not in card(page, trio.assignments[0])
    assert 'aria-current="true"' in card(page, trio.assignments[1])
    chosen = page_of(client, trio, f"?worker={trio.assignments[2]}")
    assert 'aria-current="true"' in card(chosen, trio.assignments[2])
    assert chosen.count('aria-current="true"') == 1
    assert chosen.count('data-key="a"') == 3 and chosen.count("data-key-scope") == 3


def test_a_verdict_moves_on_to_the_next_worker_to_review_then_to_the_next_conversation(client, handler, trio):
    later = completed_conversation(handler, run_id=trio.run_id, conversation_id="t_2", workers=("W4",),
                                   roles=("Asker",))
    onward = f"/runs/{trio.run_id}/conversations/{trio.conversation_id}/onward"
    page = page_of(client, trio)
    assert f'name="next" value="{onward}"' in page
    handler.log_approve_assignment(trio.assignments[0])
    response = client.get(onward)
    assert response.headers["Location"].endswith(
        f"/conversations/{trio.conversation_id}?worker={trio.assignments[1]}")
    for assignment_id in trio.assignments[1:]:
        handler.log_approve_assignment(assignment_id)
    nxt = client.get(client.get(onward).headers["Location"])
    assert nxt.headers["Location"].endswith(f"/conversations/{later.conversation_id}")


def test_a_bonus_or_block_returns_to_the_same_worker(client, trio):
    page = page_of(client, trio)
    here = f"/runs/{trio.run_id}/conversations/{trio.conversation_id}?worker={trio.assignments[1]}"
    response = client.post(f"/assignments/{trio.assignments[1]}/bonus", data={
        "amount": "0.10", "reason": "Kind.", "csrf_token": client.csrf, "next": here})
    assert response.headers["Location"] == here
    assert f'value="{here}"' in page.replace("&amp;", "&")
