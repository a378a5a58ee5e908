"""A ParlAI-MTurk task's run (examples/parlai_mturk/qa_collection through parlai_compat)
shows on the reviewer's dashboard and in the exports as a native task's run does: the same
fields on the runs list, the run page, the conversation's review page and in the JSON
Lines and CSV exports, with the compat worker's messages and the task's custom data where
the native task's are. The native run is tasks/qa_data_collection, also one worker who asks
and answers a question about a paragraph."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from datastore import MTurkDataHandler
from datastore.export import export_csv, export_jsonl
from tests.integration.test_parlai_compat_tasks import ask_and_answer, onboard, qa_manager
from tests.support.live_runner import running
from tests.support.parlai_compat import open_link, wait_until

NATIVE_TASK = Path(__file__).resolve().parents[2] / "tasks" / "qa_data_collection"
QUESTION, ANSWER = "Where does the Rhine rise?", "In the Swiss Alps."


def compat_run(store_url: str) -> tuple[str, str]:
    """A finished compat run (local provider): its run id and conversation id."""
    with qa_manager(store_url) as (manager, thread):
        task_manager = manager.task_manager
        worker = open_link(wait_until(lambda: task_manager.run_id and task_manager.provider.worker_links())[0])
        onboard(worker, "travel books")
        ask_and_answer(worker, QUESTION, ANSWER)
        thread.join(30)
        worker.close()
        [pairing] = task_manager.handler.get_pairings_for_run(task_manager.run_id)
        return task_manager.run_id, pairing["conversation_id"]


def native_run(store_url: str) -> tuple[str, str]:
    """A finished run of the native qa_data_collection task: its run id and conversation id."""
    with running(store_url, NATIVE_TASK) as runner:
        worker = runner.join("W-native")
        for said, text in enumerate(("What is the paragraph about?", "Its first sentence says.")):
            worker.wait_for(lambda f, n=said: f["type"] == "message" and f["act"]["id"] == "System"
                            and sum(1 for g in worker.frames if g["type"] == "message"
                                    and g["act"]["id"] == "System") > n)
            worker.say(text)
        worker.wait_state("done")
        worker.send_frame({"type": "done"})
        worker.wait_state("submitted")
        assert runner.manager.wait(30)
        [pairing] = runner.handler.get_pairings_for_run(runner.run_id)
        return runner.run_id, pairing["conversation_id"]


def keys(rows: list[dict]) -> set[str]:
    return {key for row in rows for key in row}


def test_a_compat_run_shows_on_the_dashboard_and_in_the_exports_with_a_native_runs_fields(store_url, client):
    compat, compat_conversation = compat_run(store_url)
    native, native_conversation = native_run(store_url)

    listed = {r["run_id"]: r for r in client.get("/.json").get_json()["runs"]}
    assert {compat, native} <= set(listed)
    assert set(listed[compat]) == set(listed[native])
    assert listed[compat]["taskname"] == "qa_collection"

    pages = {run: client.get(f"/runs/{run}.json").get_json() for run in (compat, native)}
    assert set(pages[compat]) == set(pages[native])
    assert set(pages[compat]["run"]) == set(pages[native]["run"])
    assert keys(pages[compat]["conversations"]) == keys(pages[native]["conversations"])
    assert [c["conversation_id"] for c in pages[compat]["conversations"]] == [compat_conversation]

    shown = {run: client.get(f"/runs/{run}/conversations/{cid}.json").get_json()["conversation"]
             for run, cid in ((compat, compat_conversation), (native, native_conversation))}
    assert set(shown[compat]) == set(shown[native])
    assert keys(shown[compat]["workers"]) == keys(shown[native]["workers"])
    [worker] = shown[compat]["workers"]
    assert (worker["worker_id"], worker["agent_id"], worker["status"]) == ("local-worker-1", "Worker", "approved")
    assert worker["onboarding"]["answers"] == {"likes_to_read": "travel books"}
    assert [a["action"] for a in worker["review_actions"]] == ["approve"]
    said = {run: [m for m in shown[run]["messages"] if m.get("worker_id")] for run in shown}
    assert [m["text"] for m in said[compat]] == [QUESTION, ANSWER]
    assert keys(said[compat]) == keys(said[native])
    assert shown[native]["custom_data"] and shown[compat]["custom_data"]["context"].split()[0] == "The"
    assert [a["text"] for a in shown[compat]["custom_data"]["acts"]] == [QUESTION, ANSWER]

    page = client.get(f"/runs/{compat}/conversations/{compat_conversation}").get_data(as_text=True)
    native_page = client.get(f"/runs/{native}/conversations/{native_conversation}").get_data(as_text=True)
    for text in (QUESTION, ANSWER, "The world's data", "travel books"):
        assert text in page
    assert "The world's data" in native_page
    run_page = client.get(f"/runs/{compat}").get_data(as_text=True)
    assert f"/runs/{compat}/conversations/{compat_conversation}" in run_page

    handler = MTurkDataHandler(db_url=store_url)
    lines = {}
    for run, cid in ((compat, compat_conversation), (native, native_conversation)):
        out = io.StringIO()
        export_jsonl(handler, run, out)
        exported = {line["conversation_id"]: line for line in map(json.loads, out.getvalue().splitlines())}
        lines[run] = exported[cid]
        # Onboarding is exported as its own conversation, as for a native task with one.
        assert all(c == cid or c.startswith("o_") for c in exported)
    assert set(lines[compat]) == set(lines[native])
    # The workers' messages carry the same fields (the native task's own System messages
    # also carry task_data, its paragraph for the context pane, which the ParlAI task puts
    # in the text instead).
    assert keys([m for m in lines[compat]["dialog"] if m.get("worker_id")]) == keys(
        [m for m in lines[native]["dialog"] if m.get("worker_id")])
    assert [m["text"] for m in lines[compat]["dialog"] if m.get("worker_id")] == [QUESTION, ANSWER]
    assert lines[compat]["custom_data"] == shown[compat]["custom_data"]

    rows = {}
    for run in (compat, native):
        out = io.StringIO(newline="")
        export_csv(handler, run, out)
        rows[run] = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert keys(rows[compat]) == keys(rows[native])
    worker_rows = [r for r in rows[compat] if r["worker_id"] and r["conversation_id"] == compat_conversation]
    assert [(r["worker_id"], r["text"]) for r in worker_rows] == [("local-worker-1", QUESTION),
                                                                  ("local-worker-1", ANSWER)]
