"""Run-wide actions from the dashboard: a preview of exactly which assignments and how much
money, a confirm bound to it that runs as a job with visible progress, each item done once
through the review service, and anything that changed since the preview skipped and reported."""
from __future__ import annotations

import html
import json
import re
import threading
import time

import pytest

from crowd.bulk import BATCH, BulkActions
from datastore.bulk_jobs import MAX_BULK_ITEMS
from tests.support.builders import accept
from tests.support.review_races import SlowProvider, at_once
from tests.webapp.conftest import logged_in_client


def finished_work(handler, run_id: str, worker_id: str, n: int, *, outcome: str = "completed",
                  submit: bool = True) -> str:
    """A worker's assignment that reached the end of its task as `outcome`, then was submitted."""
    assignment_id = accept(handler, run_id, worker_id, n)
    handler.log_waiting(worker_id, assignment_id)
    handler.log_start_task(worker_id, assignment_id, f"c{n}", agent_id="Speaker")
    if outcome in ("completed", "partner_disconnect"):
        handler.log_complete_assignment(worker_id, assignment_id, complete_type=outcome)
    else:
        handler.log_disconnect_assignment(worker_id, assignment_id, disconnect_type=outcome)
    if submit:
        handler.log_submit_assignment(worker_id, assignment_id)
    return assignment_id


@pytest.fixture
def provider(app):
    """Every review call of the app reaches this one provider, which counts them."""
    slow = SlowProvider(round_trip=0.01)
    app.extensions["parley"].review.provider_for = lambda run: slow
    return slow


@pytest.fixture
def run(handler):
    """A local run paying $0.50 an assignment: three complete submitted assignments, one whose
    partner left, one not submitted yet, one still in the task."""
    run_id = handler.log_new_run(5, "qa_data_collection", provider="local", reward="0.50")
    complete = [finished_work(handler, run_id, f"W{n}", n) for n in range(3)]
    partner_left = finished_work(handler, run_id, "W3", 3, outcome="partner_disconnect")
    unsubmitted = finished_work(handler, run_id, "W4", 4, submit=False)
    busy = accept(handler, run_id, "W5", 5)
    return {"run_id": run_id, "complete": complete, "partner_left": partner_left, "unsubmitted": unsubmitted,
            "busy": busy}


def preview(client, run_id: str, action: str) -> dict:
    response = client.get(f"/runs/{run_id}/bulk/{action}.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["preview"]


def confirm(client, run_id: str, shown: dict, **changes):
    form = {"fingerprint": shown["fingerprint"], "as_of": shown["as_of"], "items": shown["items"], **changes}
    return client.post(f"/runs/{run_id}/bulk/{shown['action']}", json=form, headers={"X-CSRF-Token": client.csrf, "Accept": "application/json"})


def wait_for_job(client, url: str, timeout: float = 30.0) -> dict:
    """The job's progress twin once it has ended (polled, as its page does)."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(url).get_json()["job"]
        if job["state"] != "running":
            return job
        assert time.monotonic() < deadline, f"the job is still running: {job}"
        time.sleep(0.05)


def test_the_preview_lists_exactly_the_work_the_world_marked_complete_and_its_money(client, run):
    shown = preview(client, run["run_id"], "approve_complete")
    assert [i["assignment_id"] for i in shown["items"]] == sorted([*run["complete"], run["unsubmitted"]])
    assert shown["money"] == {"USD": 4 * 50}
    everything = preview(client, run["run_id"], "approve_unreviewed")
    assert {i["assignment_id"] for i in everything["items"]} == {*run["complete"], run["unsubmitted"],
                                                                  run["partner_left"]}
    page = client.get(f"/runs/{run['run_id']}/bulk/approve_complete").get_data(as_text=True)
    assert "Approve all work the world marked complete" in page and "$2.00 in USD" in page
    assert all(aid in page for aid in run["complete"]) and run["partner_left"] not in page


def test_confirming_approves_each_listed_assignment_once_and_the_progress_twin_shows_it(client, handler, run,
                                                                                          provider):
    shown = preview(client, run["run_id"], "approve_complete")
    response = confirm(client, run["run_id"], shown)
    assert response.status_code == 202
    job = wait_for_job(client, response.get_json()["progress"])
    assert (job["state"], job["total"], job["done"]) == ("finished", 4, 4)
    assert job["counts"] == {"done": 4, "already_done": 0, "skipped": 0, "failed": 0}
    for aid in shown["items"]:
        assert handler.get_assignment_data(aid["assignment_id"])["status"] == "approved"
        assert provider.reached(aid["assignment_id"]) == {"approve": 1}
    assert handler.get_assignment_data(run["partner_left"])["status"] == "submitted"
    again = confirm(client, run["run_id"], shown)
    assert (again.status_code, again.get_json()["started"]) == (202, False)
    assert sum(provider.reached(i["assignment_id"])["approve"] for i in shown["items"]) == 4
    page = client.get(response.get_json()["progress"].removesuffix(".json")).get_data(as_text=True)
    assert 'data-state="finished"' in page and "<span data-done>4</span> of 4 looked at" in page


def test_an_assignment_reviewed_after_the_preview_is_skipped_and_reported_not_acted_on(client, handler, run,
                                                                                        provider):
    shown = preview(client, run["run_id"], "approve_unreviewed")
    handler_side = run["complete"][0]
    rejected = client.post(f"/assignments/{handler_side}/reject", json={"reason": "Copied"},
                           headers={"X-CSRF-Token": client.csrf})
    assert rejected.status_code == 200
    job = wait_for_job(client, confirm(client, run["run_id"], shown).get_json()["progress"])
    assert job["counts"]["skipped"] == 1 and job["counts"]["done"] == len(shown["items"]) - 1
    [problem] = job["problems"]
    assert problem["assignment_id"] == handler_side
    assert problem["message"] == "changed since the preview (it is rejected now); nothing was done"
    assert handler.get_assignment_data(handler_side)["status"] == "rejected"
    assert provider.reached(handler_side) == {"reject": 1}


def test_a_confirm_that_does_not_match_its_preview_is_refused_and_does_nothing(client, handler, run, provider):
    shown = preview(client, run["run_id"], "approve_complete")
    more = [*shown["items"], {**shown["items"][0], "assignment_id": run["partner_left"]}]
    response = confirm(client, run["run_id"], shown, items=more)
    assert response.status_code == 409
    assert "does not match the preview it came from" in response.get_json()["error"]
    for bad in ({"items": "not json"}, {"as_of": "soon"}, {"items": [{"assignment_id": 1}]}):
        assert confirm(client, run["run_id"], shown, **bad).status_code == 400
    assert client.post(f"/runs/{run['run_id']}/bulk/approve_everything", json={},
                       headers={"X-CSRF-Token": client.csrf}).status_code == 404
    assert client.post(f"/runs/{run['run_id']}/bulk/approve_complete",
                       data={"fingerprint": shown["fingerprint"]}).status_code == 403
    assert provider.calls == [] and handler.get_review_actions(run_id=run["run_id"]) == []


def test_paying_approved_bonuses_pays_each_awarded_bonus_once_in_the_runs_currency(client, handler, run, provider):
    a0, a1, a2 = run["complete"]
    handler.log_award_amount("W0", a0, "1.50", "Extra effort")
    handler.log_award_amount("W1", a1, "0.25", "")
    handler.log_award_amount("W2", a2, "2.00", "Not approved yet")
    for aid in (a0, a1):
        client.post(f"/assignments/{aid}/approve", json={}, headers={"X-CSRF-Token": client.csrf})
    shown = preview(client, run["run_id"], "pay_bonuses")
    assert [(i["assignment_id"], i["amount_cents"]) for i in shown["items"]] == [(a0, 150), (a1, 25)]
    assert shown["money"] == {"USD": 175}
    job = wait_for_job(client, confirm(client, run["run_id"], shown).get_json()["progress"])
    assert job["counts"]["done"] == 2
    bonuses = [a for a in handler.get_review_actions(run_id=run["run_id"]) if a["action"] == "bonus"]
    assert sorted((b["assignment_id"], b["amount_cents"], b["reason"]) for b in bonuses) == [
        (a0, 150, "Extra effort"), (a1, 25, "Bonus")]
    assert preview(client, run["run_id"], "pay_bonuses")["items"] == []
    assert handler.get_worker_assignment_pairing("W2", a2)["bonus_paid"] in (False, 0)


def test_two_confirms_of_one_preview_at_the_same_moment_make_one_job_that_approves_each_once(
        app, client, handler, run, provider):
    shown = preview(client, run["run_id"], "approve_complete")
    reviewers = [logged_in_client(app), logged_in_client(app)]
    answers = [a.get_json() for a in at_once(2, lambda: confirm(reviewers.pop(), run["run_id"], shown))]
    assert sorted(a["started"] for a in answers) == [False, True]
    assert answers[0]["job_id"] == answers[1]["job_id"]
    wait_for_job(client, answers[0]["progress"])
    for item in shown["items"]:
        assert provider.reached(item["assignment_id"]) == {"approve": 1}
        approvals = [a for a in handler.get_review_actions(assignment_id=item["assignment_id"])]
        assert [(a["action"], a["outcome"]) for a in approvals] == [("approve", "succeeded")]


def test_two_processes_running_one_job_at_once_still_pay_each_bonus_once(app, handler, run, provider):
    """Were a job taken up while its first process still worked on it, the review service
    would still act on each item once: the second runner finds each one done or being done."""
    for n, aid in enumerate(run["complete"]):
        handler.log_award_amount(f"W{n}", aid, "1.00", "Thanks")
        app.extensions["parley"].review.approve(aid, actor="alice")
    services = app.extensions["parley"]
    actions = BulkActions(handler, services.review)
    shown = actions.preview(run["run_id"], "pay_bonuses")
    job, _ = actions.confirm(run["run_id"], "pay_bonuses", as_of=shown.as_of, items=shown.items,
                             shown=shown.fingerprint, actor="reviewer")
    ended = at_once(2, lambda: actions.run(job["id"]))
    assert [j["state"] for j in ended] == ["finished", "finished"]
    for aid in run["complete"]:
        assert provider.reached(aid)["bonus"] == 1
        assert len([a for a in handler.get_review_actions(assignment_id=aid) if a["action"] == "bonus"]) == 1


def test_a_preview_lists_at_most_the_cap_and_says_so(client, handler, monkeypatch, run):
    everything = sorted([*run["complete"], run["partner_left"], run["unsubmitted"]])
    monkeypatch.setattr("datastore.bulk_jobs.MAX_BULK_ITEMS", 2)
    shown = preview(client, run["run_id"], "approve_unreviewed")
    assert ([i["assignment_id"] for i in shown["items"]], shown["truncated"]) == (everything[:2], True)
    assert MAX_BULK_ITEMS == 200
    page = client.get(f"/runs/{run['run_id']}/bulk/approve_unreviewed").get_data(as_text=True)
    assert "Only the first 2 are listed" in page


def test_a_capped_preview_takes_the_first_ids_of_the_run_whatever_their_status(client, handler, monkeypatch):
    """The work to approve is in several statuses; the preview lists the lowest ids of all of
    them together, and says it is capped only when something is left over."""
    run_id = handler.log_new_run(6, "qa_data_collection", provider="local", reward="0.50")
    submitted = [finished_work(handler, run_id, f"W{n}", n) for n in (0, 3, 4)]
    unsubmitted = [finished_work(handler, run_id, f"W{n}", n, submit=False) for n in (1, 5)]
    partner_left = finished_work(handler, run_id, "W2", 2, outcome="partner_disconnect", submit=False)
    everything = sorted([*submitted, *unsubmitted, partner_left])
    assert {handler.get_assignment_data(a)["status"] for a in everything} == {
        "submitted", "completed", "partner_disconnect"}
    monkeypatch.setattr("datastore.bulk_jobs.MAX_BULK_ITEMS", 4)
    shown = preview(client, run_id, "approve_unreviewed")
    assert ([i["assignment_id"] for i in shown["items"]], shown["truncated"]) == (everything[:4], True)
    monkeypatch.setattr("datastore.bulk_jobs.MAX_BULK_ITEMS", len(everything))
    shown = preview(client, run_id, "approve_unreviewed")
    assert ([i["assignment_id"] for i in shown["items"]], shown["truncated"]) == (everything, False)


def test_each_previewed_worker_links_their_own_page_even_with_an_id_that_needs_quoting(client, handler):
    run_id = handler.log_new_run(2, "qa_data_collection", provider="local", reward="0.50")
    workers = ["plain_worker", "odd id & co?#%"]
    for n, worker_id in enumerate(workers):
        finished_work(handler, run_id, worker_id, n)
    page = client.get(f"/runs/{run_id}/bulk/approve_unreviewed").get_data(as_text=True)
    links = re.findall(r'<a href="(/workers/[^"]*)">([^<]*)</a>', page)
    assert sorted(html.unescape(name) for _, name in links) == sorted(workers)
    for href, name in links:
        worker = client.get(html.unescape(href) + ".json")
        assert worker.status_code == 200, href
        assert worker.get_json()["worker"]["worker_id"] == html.unescape(name)


def test_a_finished_job_links_the_preview_of_what_is_left(client, handler, monkeypatch, run, provider):
    monkeypatch.setattr("datastore.bulk_jobs.MAX_BULK_ITEMS", 2)
    first = preview(client, run["run_id"], "approve_unreviewed")
    progress_url = confirm(client, run["run_id"], first).get_json()["progress"]
    assert wait_for_job(client, progress_url)["state"] == "finished"
    page = client.get(progress_url.removesuffix(".json")).get_data(as_text=True)
    next_preview = re.search(r'href="([^"]+)" data-preview-next', page).group(1)
    assert next_preview == f"/runs/{run['run_id']}/bulk/approve_unreviewed"
    rest = client.get(next_preview + ".json").get_json()["preview"]["items"]
    assert {i["assignment_id"] for i in rest}.isdisjoint(i["assignment_id"] for i in first["items"])
    assert len(rest) == 2


def test_the_run_page_links_each_run_wide_preview(client, run):
    page = client.get(f"/runs/{run['run_id']}").get_data(as_text=True)
    for action in ("approve_complete", "approve_unreviewed", "pay_bonuses"):
        assert f'href="/runs/{run["run_id"]}/bulk/{action}"' in page
    assert client.get(f"/runs/{run['run_id']}/bulk/nothing.json").status_code == 404
    assert client.get("/runs/nope/bulk/approve_complete").status_code == 404


def test_the_preview_form_carries_what_it_showed(client, run):
    page = client.get(f"/runs/{run['run_id']}/bulk/approve_complete").get_data(as_text=True)
    shown = preview(client, run["run_id"], "approve_complete")
    assert f'name="fingerprint" value="{shown["fingerprint"]}"' in page
    items = re.search(r'name="items" value="([^"]*)"', page).group(1)
    assert json.loads(html.unescape(items)) == shown["items"]
    assert re.search(r'name="as_of" value="(\d+)"', page).group(1) == str(shown["as_of"])


def test_a_confirm_form_of_a_full_preview_with_the_longest_ids_fits_in_one_request(client, run):
    """The form carries the whole list back: at the cap, with 64-character ids and a reason on
    each, it is still read (and judged against its preview), not refused for its size."""
    items = [{"assignment_id": f"{n:064d}", "worker_id": f"{n:064d}", "status": "partner_disconnect",
              "amount_cents": 100_000, "reason": "Great detail in every answer, thank you!"}
             for n in range(MAX_BULK_ITEMS)]
    response = client.post(f"/runs/{run['run_id']}/bulk/pay_bonuses", data={
        "csrf_token": client.csrf, "fingerprint": "0" * 64, "as_of": "0",
        "items": json.dumps(items, separators=(",", ":"))}, headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert "does not match the preview it came from" in response.get_json()["error"]


class GatedProvider(SlowProvider):
    """Approves at once, except the assignment `held`, whose approval waits for `release`."""

    def __init__(self, held: str) -> None:
        super().__init__(round_trip=0)
        self.held, self.reached_held, self.release = held, threading.Event(), threading.Event()

    def approve(self, assignment_id, *, feedback=None, override_rejection=False):
        if assignment_id == self.held:
            self.reached_held.set()
            assert self.release.wait(30)
        return super().approve(assignment_id, feedback=feedback, override_rejection=override_rejection)


def test_the_progress_twin_shows_each_batch_while_the_job_runs(app, client, handler):
    run_id = handler.log_new_run(40, "qa_data_collection", provider="local", reward="0.50")
    work = sorted(finished_work(handler, run_id, f"W{n}", n) for n in range(BATCH + 5))
    gated = GatedProvider(held=work[BATCH])  # the first item of the second batch
    app.extensions["parley"].review.provider_for = lambda run: gated
    progress_url = confirm(client, run_id, preview(client, run_id, "approve_complete")).get_json()["progress"]
    assert gated.reached_held.wait(30)
    job = client.get(progress_url).get_json()["job"]
    assert (job["state"], job["done"], job["total"], job["counts"]["done"]) == ("running", BATCH, BATCH + 5, BATCH)
    page = client.get(progress_url.removesuffix(".json")).get_data(as_text=True)
    assert 'data-state="running"' in page and f"<span data-done>{BATCH}</span> of {BATCH + 5}" in page
    assert "bulk.js" in page  # the page reads its twin until the job ends
    gated.release.set()
    job = wait_for_job(client, progress_url)
    assert (job["state"], job["done"], job["counts"]["done"]) == ("finished", BATCH + 5, BATCH + 5)
