"""A form task from launch to payment on the fake MTurk (real boto3 client, real JSON
protocol): two workers accept its HITs and answer every item on their pages, every item ends
up answered twice in the store, the assignments are submitted on MTurk, and the review
service's approvals and bonus reach MTurk."""
from __future__ import annotations

from crowd.mturk.provider import MTurkProvider, client_config
from crowd.review import ReviewService
from tests.support.form_tasks import dialog_rating_copy, good_answers
from tests.support.live_runner import LiveRunner
from tests.support.mturk import settings, work

ITEMS = ["weather", "recipe", "gold-capital"]


def test_dialog_rating_on_mturk_two_workers_answer_every_item_twice_and_are_approved_and_paid_there(
        store_url, fake, tmp_path):
    # Two dialogs and a gold, three items an assignment, two answers an item: two workers.
    task = dialog_rating_copy(tmp_path, item_ids=ITEMS, items_per_assignment=3, annotations_per_item=2,
                              gold_rate=0.34)
    provider = MTurkProvider(is_sandbox=True, client=fake.client(config=client_config()),
                             settings=settings("http://127.0.0.1", title="Rate dialogs",
                                               block_qualification="parley_dialog_rating_block"))
    run = LiveRunner(store_url, str(task), provider=provider, num_conversations=2, reward="0.50")
    try:
        assignments = {}
        for worker_id, hit_id in zip(("AWORKERRAY", "AWORKERSUE"), run.provider.hit_ids):
            assignment_id, page = work(run, fake, worker_id, hit_id)
            items = page.wait_for(lambda f: f["type"] == "form")["items"]
            assert sorted(item["item_id"] for item in items) == sorted(ITEMS)
            for item in items:
                assert page.answer(item["item_id"], good_answers(item))["type"] == "ack"
            page.wait_state("done")
            page.send_frame({"type": "done"})
            page.wait_state("submitted")
            fake.submit(assignment_id, {"parley_done": "true"})  # the page's externalSubmit, on MTurk
            assignments[worker_id] = assignment_id
        assert run.manager.wait(15)
    finally:
        run.stop()

    h = run.handler
    assert h.get_run_data(run.run_id)["status"] == "completed"
    answered = sorted((r["item_id"], r["worker_id"], r["assignment_id"]) for r in h.get_form_answers(run.run_id))
    assert answered == sorted((item_id, worker_id, assignment_id) for item_id in ITEMS
                              for worker_id, assignment_id in assignments.items())
    assert h.form_progress(run.run_id, 2) == {"items": 2, "complete": 2, "answers": 4}
    a1, a2 = assignments["AWORKERRAY"], assignments["AWORKERSUE"]
    assert {h.get_assignment_data(a)["status"] for a in (a1, a2)} == {"submitted"}
    assert {fake.assignments[a]["AssignmentStatus"] for a in (a1, a2)} == {"Submitted"}

    review = ReviewService(h, lambda _run: provider)
    assert review.approve(a1, actor="t").succeeded
    assert review.approve(a2, actor="t", feedback="Careful labels.").succeeded
    assert review.bonus(a2, "0.20", actor="t", reason="Careful labels").succeeded
    assert {fake.assignments[a]["AssignmentStatus"] for a in (a1, a2)} == {"Approved"}
    assert fake.assignments[a2]["RequesterFeedback"] == "Careful labels."
    assert [(b["AssignmentId"], b["WorkerId"], b["BonusAmount"]) for b in fake.bonuses] == [
        (a2, "AWORKERSUE", "0.20")]
    assert {h.get_assignment_data(a)["status"] for a in (a1, a2)} == {"approved"}
