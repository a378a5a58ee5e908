"""When the store cannot write (a full or failing disk: the driver's "disk I/O error" at
COMMIT), nothing is half-written and everyone is told so in a sentence: a worker's message
is refused for a later retry and stored once when it comes back; the dashboard answers 503;
an approve cut short never leaves the audit log claiming what the store does not hold."""
from __future__ import annotations

import pytest

from datastore import open_store
from tests.faults.failing_store import FailingCommits
from tests.support.builders import completed_conversation
from tests.support.live_runner import LiveRunner, Worker
from tests.webapp.conftest import PASSWORD, logged_in_client
from webapp import create_app

STORE_DOWN = "The database cannot answer right now. Try again in a moment."


@pytest.fixture
def failing(store_url):
    """The per-test store, with a switch that makes its commits fail."""
    fault = FailingCommits(open_store(store_url))
    yield fault
    fault.uninstall()


@pytest.fixture
def live(store_url):
    runner = LiveRunner(store_url, "pair_chat", num_conversations=1)
    yield runner
    runner.stop()


def frames_about(worker: Worker, cid: str) -> list[dict]:
    return [f for f in list(worker.frames) if f.get("cid") == cid and f["type"] in ("ack", "error")]


def send_and_wait_for_answer(worker: Worker, cid: str, text: str) -> dict:
    """What the page does on a (re)send: the same client id, then wait for its ack or error."""
    seen = len(frames_about(worker, cid))
    worker.say(text, cid=cid, wait_ack=False)
    worker.wait_for(lambda f: len(frames_about(worker, cid)) > seen)
    return frames_about(worker, cid)[seen]


def test_a_message_the_store_cannot_write_gets_a_retry_error_and_is_stored_once_when_resent(live, failing):
    alice, bob = live.join("WALICE"), live.join("WBOB")
    alice.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "You are Alice.")
    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "You are Bob.")
    before = live.handler.get_messages(live.run_id, "t_1")

    failing.fail_writes()
    for _ in range(2):  # the page's first try, then its retry while the disk is still failing
        answer = send_and_wait_for_answer(alice, "m1", "hello")
        assert answer["type"] == "error" and answer["retry"] is True, answer
        assert answer["error"] == "Your message could not be saved yet; it will be sent again."
    assert failing.failed >= 2
    failing.heal()

    assert live.handler.get_messages(live.run_id, "t_1") == before, "nothing of the refused message was kept"
    assert "hello" not in bob.texts(), "a message that is not stored is not relayed"
    assert {a["status"] for a in live.handler.get_assignments_for_run(live.run_id)} == {"in_task"}
    assert all(s.left is None for s in live.manager.sessions.values()), "nobody was thrown out"

    ack = send_and_wait_for_answer(alice, "m1", "hello")  # the page's retry, once writes work
    assert ack["type"] == "ack"
    again = send_and_wait_for_answer(alice, "m1", "hello")  # and a duplicate after a reconnect
    assert (again["type"], again["id"]) == ("ack", ack["id"])
    stored = [m for m in live.handler.get_messages(live.run_id, "t_1") if m.get("message_id") == "m1"]
    assert [(m["text"], m["assignment_id"]) for m in stored] == [("hello", alice.config["assignment_id"])]

    bob.wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "hello")
    bob.say("hi")
    alice.say("bye")
    for worker in (alice, bob):
        worker.wait_state("done")
    assert bob.texts() == ["You are Bob.", "hello", "bye"], "the resent message reached the partner once"
    texts = [m["text"] for m in live.handler.get_messages(live.run_id, "t_1")]
    assert texts == ["You are Alice.", "You are Bob.", "hello", "hi", "bye"]


# The reviewer's webapp ---------------------------------------------------------------------

@pytest.fixture
def reviewer(store_url, tmp_path, monkeypatch):
    """A logged-in reviewer's client of a real webapp (not in testing mode: errors take the
    path they take in production)."""
    monkeypatch.setenv("PARLEY_CONFIG", str(tmp_path / "webapp.json"))
    return logged_in_client(create_app({"DATABASE_URL": store_url, "ADMIN_PASSWORD": PASSWORD,
                                        "SECRET_KEY": "fault-tests"}))


@pytest.fixture
def built(handler):
    return completed_conversation(handler, provider="local")


def test_every_page_answers_503_with_a_sentence_while_the_store_is_down(reviewer, failing, built):
    pages = ["/", f"/runs/{built.run_id}", f"/runs/{built.run_id}/conversations/t_1", "/live",
             f"/workers/{built.workers[0]}"]
    failing.fail_everything()
    for path in pages:
        page = reviewer.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 503, (path, page.status_code, html[:300])
        assert STORE_DOWN in html and "Traceback" not in html and "OperationalError" not in html, path
        twin = reviewer.get("/index.json" if path == "/" else f"{path}.json")
        assert (twin.status_code, twin.get_json()) == (503, {"error": STORE_DOWN}), path
    health = reviewer.get("/healthz")
    assert health.status_code == 503 and health.get_json()["ok"] is False
    failing.heal()
    assert [reviewer.get(path).status_code for path in pages] == [200] * len(pages)


@pytest.mark.parametrize(("writes_that_succeed", "audit", "status"), [
    (0, [], "completed"),                # the intent could not be logged: nothing was done
    (1, ["pending"], "completed"),       # logged, provider asked, then the disk failed
    (2, ["pending"], "approved"),        # the approval is stored; only its outcome is not logged
], ids=["intent-fails", "new-status-fails", "outcome-fails"])
def test_an_approve_cut_short_by_the_store_is_a_503_and_never_logged_as_succeeded_without_its_effect(
        reviewer, failing, handler, built, writes_that_succeed, audit, status):
    assignment = built.assignments[0]
    failing.fail_writes(after=writes_that_succeed)
    response = reviewer.post(f"/assignments/{assignment}/approve", json={},
                             headers={"X-CSRF-Token": reviewer.csrf, "Accept": "application/json"})
    assert failing.failed >= 1 and failing.write_commits == writes_that_succeed
    failing.heal()
    assert (response.status_code, response.get_json()) == (503, {"error": STORE_DOWN})
    rows = handler.get_review_actions(assignment_id=assignment)
    assert [r["outcome"] for r in rows] == audit
    assert handler.get_assignment_data(assignment)["status"] == status
    assert handler.get_assignment_data(built.assignments[1])["status"] == "completed"
    # Once the store is back, approving again finishes the job: the row the failure left
    # pending is settled first (it never waits out a lease), and nothing stays pending.
    again = reviewer.post(f"/assignments/{assignment}/approve", json={},
                          headers={"X-CSRF-Token": reviewer.csrf, "Accept": "application/json"})
    assert again.status_code == 200, again.get_json()
    assert handler.get_assignment_data(assignment)["status"] == "approved"
    outcomes = [r["outcome"] for r in handler.get_review_actions(assignment_id=assignment)]
    assert outcomes[-1] == "succeeded" and "pending" not in outcomes and "unknown" not in outcomes
