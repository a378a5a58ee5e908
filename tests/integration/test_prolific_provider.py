"""The Prolific provider's requests (paths, bodies) and what it records, against a scripted
local HTTP server that answers as Prolific's API documents; and `--provider prolific` on the
command line. (A whole fake Prolific, with participants, comes with tests/fakes.)"""
from __future__ import annotations

import itertools
import socket
import time

import pytest

from crowd.base import Launch, Refused
from crowd.prolific.client import ProlificClient
from crowd.prolific.launch import prolific_provider
from crowd.prolific.provider import (
    COMPLETE_URL,
    HARD_BLOCK_GROUP,
    ProlificProvider,
    StudySettings,
    completion_code,
)
from crowd.review import ReviewRefused, ReviewService
from datastore import MTurkDataHandler
from datastore.states import HitStatus
from runner.cli import build_parser, options_from
from runner.cli import main as runner_main
from runner.tasks import load_task
from tests.integration.test_orphaned_runs import gone_pid
from tests.support.builders import completed_conversation
from tests.support.live_runner import LiveRunner, fetch, task_with_config
from tests.support.mturk import PAIR_CHAT
from tests.support.review_races import at_once
from tests.support.scripted_http import DROP, ScriptedServer

LONG_REASON = "Your answers did not follow the task's instructions: " + "the conversation was off topic. " * 3


class Prolific:
    """What the scripted server answers: a workspace, participant groups, studies and their
    submissions, as Prolific's API documents them."""

    def __init__(self) -> None:
        self.groups: dict[str, dict] = {}
        self.members: dict[str, set[str]] = {}
        self.studies: dict[str, dict] = {}
        self.submissions: dict[str, dict] = {}
        self.total_cost: int | None = None
        self.currency: str | None = None
        self.ids = itertools.count(1)

    def __call__(self, request):
        path, body = request.path, request.body or {}
        if path == "/api/v1/workspaces/":
            return 200, {"results": [{"id": "W1", "title": "mine"}]}, {}
        if path == "/api/v1/participant-groups/":
            if request.method == "POST":
                group = {"id": f"G{next(self.ids)}", "name": body["name"], "workspace_id": body["workspace_id"]}
                self.groups[group["id"]] = group
                return 201, group, {}
            return 200, {"results": list(self.groups.values())}, {}
        if path.startswith("/api/v1/participant-groups/") and path.endswith("/participants/"):
            members = self.members.setdefault(path.split("/")[4], set())
            ids = set(body["participant_ids"])
            members |= ids if request.method == "POST" else set()
            members -= ids if request.method == "DELETE" else set()
            return 200, {"results": [{"participant_id": p} for p in sorted(members)]}, {}
        if path == "/api/v1/studies/" and request.method == "POST":
            study = {**body, "id": f"S{next(self.ids)}", "status": "UNPUBLISHED"}
            if self.total_cost is not None:
                study["total_cost"] = self.total_cost
            if self.currency is not None:
                study["currency_code"] = self.currency
            self.studies[study["id"]] = study
            return 201, study, {}
        if path.startswith("/api/v1/studies/"):
            study_id, rest = path.split("/")[4], path.split("/")[5:]
            study = self.studies[study_id]
            if rest == ["transition", ""]:
                study["status"] = {"PUBLISH": "ACTIVE", "PAUSE": "PAUSED", "STOP": "AWAITING REVIEW"}[body["action"]]
            elif rest == ["submissions", ""]:
                subs = [{**s, "participant_id": s["participant"]} for s in self.submissions.values()
                        if s["study_id"] == study_id]
                return 200, {"results": subs, "_links": {"next": {"href": None}}}, {}
            elif request.method == "PATCH":
                study.update(body)
            elif request.method == "DELETE":
                del self.studies[study_id]
                return 204, None, {}
            return 200, study, {}
        if path == "/api/v1/submissions/bonus-payments/":
            amount = float(body["csv_bonuses"].split(",")[1])
            return 201, {"id": "B1", "study": body["study_id"], "amount": amount * 100,
                         "total_amount": amount * 100 * 1.33}, {}
        if path.startswith("/api/v1/submissions/") and path.count("/") == 5:
            return 200, self.submissions[path.split("/")[4]], {}
        return 200, {}, {}


@pytest.fixture
def prolific():
    state = Prolific()
    with ScriptedServer(answer=state) as server:
        server.state = state
        yield server


def settings(**overrides) -> StudySettings:
    return StudySettings(**{"name": "Chat with a partner", "description": "Talk about a topic.",
                            "reward_cents": 150, "public_url": "https://collect.example.org",
                            "estimated_minutes": 12, "blocklist_groups": ["parley_pair_chat_block"],
                            "submit_grace_seconds": 0, **overrides})


def provider_for(prolific, handler, publish=False, **overrides) -> ProlificProvider:
    provider = ProlificProvider(is_sandbox=not publish, client=ProlificClient("tok", prolific.url),
                                settings=settings(publish=publish, **overrides))
    run_id = handler.log_new_run(2, "pair_chat", provider="prolific", is_sandbox=not publish)
    provider.bind(handler, run_id, "")
    return provider


def test_a_sandbox_launch_creates_a_draft_study_that_is_not_published_and_is_one_hit_row(prolific, handler):
    provider = provider_for(prolific, handler)
    assert provider.launch(provider.hits_for(1, 2)) == ["S3"]
    body = prolific.sent("POST", "/api/v1/studies/")[0].body
    run_id = provider.run_id
    assert body["external_study_url"] == (
        f"https://collect.example.org/task/{run_id}?PROLIFIC_PID={{{{%PROLIFIC_PID%}}}}"
        "&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}")
    assert (body["total_available_places"], body["reward"], body["estimated_completion_time"]) == (4, 150, 12)
    assert [(c["code"], c["code_type"]) for c in body["completion_codes"]] == [
        (completion_code(run_id, "completed"), "COMPLETED"), (completion_code(run_id, "partner_left"), "OTHER"),
        (completion_code(run_id, "timed_out"), "OTHER")]
    groups = {g["name"]: g["id"] for g in prolific.state.groups.values()}
    assert body["filters"] == [{"filter_id": "participant_group_blocklist",
                                "selected_values": [groups["parley_pair_chat_block"], groups[HARD_BLOCK_GROUP]]}]
    assert prolific.sent("POST", "/api/v1/studies/S3/transition/") == []
    [hit] = handler.get_hits_for_run(run_id)
    assert (hit["hit_id"], hit["hit_status"]) == ("S3", HitStatus.UNASSIGNABLE)
    assert any("S3" in line and "not published" in line for line in provider.launch_summary())


def test_a_live_launch_publishes_and_a_later_launch_adds_places(prolific, handler):
    provider = provider_for(prolific, handler, publish=True)
    provider.launch(2)
    assert prolific.sent("POST", "/api/v1/studies/S3/transition/")[0].body == {"action": "PUBLISH"}
    provider.launch(1)
    assert prolific.sent("PATCH", "/api/v1/studies/S3/")[0].body == {"total_available_places": 3}
    [hit] = handler.get_hits_for_run(provider.run_id)
    assert (hit["hit_status"], hit["assignments_available"]) == (HitStatus.ASSIGNABLE, 3)


def test_a_draft_whose_cost_for_every_place_the_run_may_open_is_over_the_budget_is_deleted(prolific, handler):
    prolific.state.total_cost = 665  # Prolific's cost of the 2 places the draft opens at first
    provider = provider_for(prolific, handler, publish=True, budget_cents=1000, max_open_places=2)
    with pytest.raises(Refused, match=r"cost at 13.30 for 4 place\(s\), over the budget 10.00; the draft was deleted"):
        provider.launch(4)
    assert prolific.sent("POST", "/api/v1/studies/")[0].body["total_available_places"] == 2
    assert prolific.sent("DELETE", "/api/v1/studies/S3/") and not prolific.sent(
        "POST", "/api/v1/studies/S3/transition/")
    assert provider.hit_ids == []
    assert [h["hit_status"] for h in handler.get_hits_for_run(provider.run_id)] == [HitStatus.DISPOSED]


def test_places_asked_for_later_past_the_budget_are_refused_and_not_added(prolific, handler):
    prolific.state.total_cost = 1000  # 250 a place
    provider = provider_for(prolific, handler, publish=True, budget_cents=1000)
    provider.launch(4)
    with pytest.raises(Refused, match=r"cost at 12.50 for 5 place\(s\), over the budget 10.00; no places were added"):
        provider.launch(1)
    assert prolific.sent("PATCH", "/api/v1/studies/S3/") == []


def test_max_open_places_opens_the_rest_one_by_one_as_participants_end(prolific, handler):
    provider = provider_for(prolific, handler, publish=True, max_open_places=2)
    provider.launch(5)
    assert prolific.sent("POST", "/api/v1/studies/")[0].body["total_available_places"] == 2
    assert any("3 more to open as participants end" in line for line in provider.launch_summary())
    for n in range(4):
        provider.assignment_ended("S3", f"SUB{n}")
    assert [r.body for r in prolific.sent("PATCH", "/api/v1/studies/S3/")] == [
        {"total_available_places": 3}, {"total_available_places": 4}, {"total_available_places": 5}]
    [hit] = handler.get_hits_for_run(provider.run_id)
    assert (hit["hit_status"], hit["assignments_available"]) == (HitStatus.ASSIGNABLE, 5)


@pytest.mark.parametrize("ending", ["expire_hits", "cleanup"])
def test_a_paused_or_stopped_study_gets_no_more_places_which_would_reopen_it(prolific, handler, ending):
    provider = provider_for(prolific, handler, publish=True, max_open_places=1)
    provider.launch(3)
    getattr(provider, ending)(*([provider.hit_ids] if ending == "expire_hits" else []))
    provider.assignment_ended("S3", "SUB1")
    with pytest.raises(Refused, match="Prolific reactivates a study that gains places"):
        provider.launch(1)
    assert prolific.sent("PATCH", "/api/v1/studies/S3/") == []


def test_the_task_configs_filters_and_devices_go_in_the_study_with_parleys_blocklist_merged(prolific, handler):
    prolific.state.groups["G-mine"] = {"id": "G-mine", "name": "my earlier study", "workspace_id": "W1"}
    task_filters = [{"filter_id": "handedness", "selected_values": ["0"]},
                    {"filter_id": "age", "selected_range": {"lower": 18, "upper": 30}},
                    {"filter_id": "participant_group_blocklist", "selected_values": ["G-mine"]}]
    provider = provider_for(prolific, handler, filters=task_filters, device_compatibility=["desktop", "tablet"])
    provider.launch(2)
    body = prolific.sent("POST", "/api/v1/studies/")[0].body
    groups = {g["name"]: g["id"] for g in prolific.state.groups.values()}
    assert body["device_compatibility"] == ["desktop", "tablet"]
    assert body["filters"] == [
        {"filter_id": "handedness", "selected_values": ["0"]},
        {"filter_id": "age", "selected_range": {"lower": 18, "upper": 30}},
        {"filter_id": "participant_group_blocklist",
         "selected_values": ["G-mine", groups["parley_pair_chat_block"], groups[HARD_BLOCK_GROUP]]}]


def test_the_page_takes_prolifics_ids_and_sends_the_participant_back_with_the_codes(prolific, store_url):
    provider = ProlificProvider(client=ProlificClient("tok", prolific.url), settings=settings())
    runner = LiveRunner(store_url, str(PAIR_CHAT), provider=provider, num_conversations=1, reward="1.50")
    try:
        study = provider.hit_ids[0]
        prolific.state.submissions["SUB1"] = {"id": "SUB1", "study_id": study, "participant": "P1",
                                              "status": "ACTIVE"}
        base = f"{runner.server.url}/task/{runner.run_id}"
        page = fetch(f"{base}?PROLIFIC_PID=P1&STUDY_ID={study}&SESSION_ID=SUB1")
        assert page.status == 200
        codes = {o: COMPLETE_URL + completion_code(runner.run_id, o) for o in ("completed", "partner_left", "timed_out")}
        assert page.config["submit"] == {"kind": "redirect", "url": codes["completed"], "by_state": {
            "partner_disconnect": codes["partner_left"], "released": codes["timed_out"]}}
        assert page.config["assignment_id"] == "SUB1"
        missing = fetch(f"{base}?PROLIFIC_PID=P1&STUDY_ID={study}")
        assert missing.status == 400 and "missing the Prolific study, session or participant" in missing.html
        prolific.state.submissions["SUB9"] = {"id": "SUB9", "study_id": study, "participant": "P3",
                                              "status": "ACTIVE"}
        other = fetch(f"{base}?PROLIFIC_PID=P2&STUDY_ID={study}&SESSION_ID=SUB9")
        assert other.status == 403 and "belongs to another participant" in other.html
    finally:
        runner.stop()


def test_verdicts_go_to_the_submissions_transition_and_a_short_rejection_is_refused_unsent(prolific, handler):
    provider = provider_for(prolific, handler)
    provider.approve("SUB1")
    assert prolific.sent("POST", "/api/v1/submissions/SUB1/transition/")[0].body == {"action": "APPROVE"}
    with pytest.raises(Refused, match="at least 100 characters"):
        provider.reject("SUB2", feedback="bad")
    with pytest.raises(Refused, match="rejection category is one of"):
        provider.reject("SUB2", feedback=LONG_REASON, category="RUDE")
    assert prolific.sent("POST", "/api/v1/submissions/SUB2/transition/") == []
    provider.reject("SUB2", feedback=LONG_REASON, category="FAILED_INSTRUCTIONS")
    assert prolific.sent("POST", "/api/v1/submissions/SUB2/transition/")[0].body == {
        "action": "REJECT", "message": LONG_REASON, "rejection_category": "FAILED_INSTRUCTIONS"}
    prolific.state.submissions["SUB2"] = {"id": "SUB2", "status": "REJECTED", "bonus_payments": []}
    assert provider.review_outcome({"action": "reject", "assignment_id": "SUB2"}) is True
    assert provider.review_outcome({"action": "approve", "assignment_id": "SUB2"}) is False


def test_a_bonus_is_set_up_for_the_submission_then_paid_once_and_read_back(prolific, handler):
    provider = provider_for(prolific, handler)
    provider.launch(2)
    handler.log_worker_accept_assignment("P1", "SUB1", "S3", provider.run_id)
    answer = provider.bonus("P1", "SUB1", amount_cents=125, reason="great chat", token="tok-1")
    assert prolific.sent("POST", "/api/v1/submissions/bonus-payments/")[0].body == {
        "study_id": "S3", "csv_bonuses": "SUB1,1.25\n"}
    assert len(prolific.sent("POST", "/api/v1/bulk-bonus-payments/B1/pay/")) == 1
    assert answer["bonus_id"] == "B1" and answer["token"] == "tok-1"
    action = {"action": "bonus", "assignment_id": "SUB1", "amount_cents": 125}
    prolific.state.submissions["SUB1"] = {"id": "SUB1", "status": "APPROVED", "bonus_payments": []}
    with pytest.raises(Refused, match="cannot tell yet"):  # not shown yet: maybe still on its way
        provider.review_outcome(action)
    prolific.state.submissions["SUB1"]["bonus_payments"] = [125.0]
    assert provider.review_outcome(action) is True
    with pytest.raises(Refused, match="only through a submission"):
        provider.compensate("P1", amount_cents=100, reason="sorry", token="t")


def test_blocks_are_participant_groups_and_unblocking_takes_the_participant_out(prolific, handler):
    provider = provider_for(prolific, handler)
    provider.soft_block("P1", qualification_name="parley_pair_chat_block", reason="failed onboarding")
    provider.hard_block("P1", reason="abuse")
    groups = {g["name"]: g["id"] for g in prolific.state.groups.values()}
    assert all(g["workspace_id"] == "W1" for g in prolific.state.groups.values())
    assert prolific.state.members[groups["parley_pair_chat_block"]] == {"P1"}
    assert prolific.state.members[groups[HARD_BLOCK_GROUP]] == {"P1"}
    provider.unblock("P1", qualification_names=["parley_pair_chat_block"], hard=True, reason="appeal")
    assert prolific.state.members[groups["parley_pair_chat_block"]] == set()
    assert prolific.state.members[groups[HARD_BLOCK_GROUP]] == set()
    assert len(prolific.sent("POST", "/api/v1/participant-groups/")) == 2  # each group made once


def test_with_a_unique_qual_name_a_participant_who_starts_joins_its_group(prolific, handler):
    provider = provider_for(prolific, handler, unique_group="parley_once", blocklist_groups=["parley_once"])
    provider.launch(2)
    provider.worker_started("P7")
    groups = {g["name"]: g["id"] for g in prolific.state.groups.values()}
    assert prolific.state.members[groups["parley_once"]] == {"P7"}
    blocked = prolific.sent("POST", "/api/v1/studies/")[0].body["filters"][0]["selected_values"]
    assert groups["parley_once"] in blocked


def test_messages_go_in_bulk_about_the_participants_study(prolific, handler):
    provider = provider_for(prolific, handler)
    provider.launch(2)
    assert provider.notify(["P1", "P2"], "Thanks", "A bonus is on its way.") == {}
    assert prolific.sent("POST", "/api/v1/messages/bulk/")[0].body == {
        "ids": ["P1", "P2"], "body": "Thanks\n\nA bonus is on its way.", "study_id": "S3"}


def test_cleanup_stops_a_published_study_and_records_its_submissions(prolific, handler):
    provider = provider_for(prolific, handler, publish=True)
    provider.launch(2)
    handler.log_worker_accept_assignment("P1", "SUB1", "S3", provider.run_id)
    handler.log_worker_accept_assignment("P2", "SUB2", "S3", provider.run_id)
    prolific.state.submissions.update({
        "SUB1": {"id": "SUB1", "study_id": "S3", "participant": "P1", "status": "AWAITING REVIEW"},
        "SUB2": {"id": "SUB2", "study_id": "S3", "participant": "P2", "status": "RETURNED"},
        "SUB3": {"id": "SUB3", "study_id": "S3", "participant": "P3", "status": "APPROVED"}})
    provider.cleanup()
    assert prolific.sent("POST", "/api/v1/studies/S3/transition/")[-1].body == {"action": "STOP"}
    statuses = {a["assignment_id"]: a["status"] for a in handler.get_assignments_for_run(provider.run_id)}
    assert statuses == {"SUB1": "submitted", "SUB2": "returned", "SUB3": "approved"}


def test_cleanup_deletes_a_draft_that_was_never_published(prolific, handler):
    provider = provider_for(prolific, handler)
    provider.launch(2)
    provider.cleanup()
    assert prolific.sent("DELETE", "/api/v1/studies/S3/")
    assert handler.get_hits_for_run(provider.run_id)[0]["hit_status"] == HitStatus.DISPOSED


@pytest.mark.parametrize(("flags", "sentence"), [
    (["--public-url", "https://c.example"], "no Prolific API token: set PROLIFIC_API_TOKEN"),
    ([], "--public-url is required with --provider prolific"),
    (["--public-url", "https://c.example", "--live"], "--budget is required with --live"),
    (["--public-url", "http://c.example", "--live", "--budget", "50"], "must start with https:// for --live"),
    (["--public-url", "https://c.example", "--live", "--budget", "2.00"],
     "4 place(s) at 1.50 already cost 6.00 before Prolific's fees, over the budget 2.00; nothing was launched"),
])
def test_bad_prolific_launches_exit_2_with_a_sentence_and_call_nothing(prolific, store_url, monkeypatch, capsys,
                                                                       flags, sentence):
    monkeypatch.setenv("PARLEY_PROLIFIC_ENDPOINT", prolific.url)
    if "PROLIFIC_API_TOKEN" not in sentence:
        monkeypatch.setenv("PROLIFIC_API_TOKEN", "tok")
    else:
        monkeypatch.delenv("PROLIFIC_API_TOKEN", raising=False)
    code = runner_main(["run", str(PAIR_CHAT), "--provider", "prolific", "-r", "1.50", "--db", store_url, *flags])
    assert code == 2
    assert sentence in capsys.readouterr().err
    assert prolific.requests == []


@pytest.mark.parametrize(("config", "sentence"), [
    ({"participant_filters": {"filter_id": "age"}}, "participant_filters must be a list of Prolific filter objects"),
    ({"participant_filters": [{"selected_values": ["0"]}]}, "participant_filters[0] must be an object with a filter_id"),
    ({"participant_filters": [{"filter_id": "handedness"}]}, "needs either selected_values (a select filter) or "
     "selected_range"),
    ({"participant_filters": [{"filter_id": "handedness", "selected_values": [0, 1]}]},
     "selected_values must be a non-empty list of the filter's choice ids, as strings"),
    ({"participant_filters": [{"filter_id": "handedness", "selected_values": ["0"], "selected_range": {"lower": 1}}]},
     "not both or neither"),
    ({"participant_filters": [{"filter_id": "age", "selected_range": {"lower": None, "upper": None}}]},
     "selected_range must be an object with a lower and/or an upper bound"),
    ({"participant_filters": [{"filter_id": "age", "selected_range": {"lower": 40, "upper": 18}}]},
     "the range's lower bound 40 is above its upper bound 18"),
    ({"participant_filters": [{"filter_id": "age", "selected_range": {"min": 18}}]},
     "selected_range must be an object with a lower and/or an upper bound"),
    ({"participant_filters": [{"filter_id": "handedness", "selected_values": ["0"], "quota": 3}]},
     "has keys a select filter does not take: quota"),
    ({"participant_filters": [{"filter_id": "handedness", "selected_values": ["0"], "weightings": {"1": 1}}]},
     "weightings must map selected values to numbers more than 0"),
    ({"participant_filters": [{"filter_id": "age", "selected_range": {"lower": 18}},
                              {"filter_id": "age", "selected_range": {"upper": 30}}]}, "repeats the filter 'age'"),
    ({"participant_filters": [{"filter_id": "or", "selected_filters": []}]}, "is a composite 'or' filter group"),
    ({"participant_filters": [{"filter_id": "age", "selected_range": {"lower": True}}]},
     "a range's bounds are numbers, or ISO 8601 dates as strings"),
    ({"participant_filters": [{"filter_id": "age", "selected_range": {"lower": 18},
                               "weightings": {"young": {"weighting": 1}}}]},
     'each weighting is {"selected_range": {...}, "weighting": a number more than 0}'),
    ({"device_compatibility": "desktop"}, "device_compatibility must be a list of distinct devices among desktop, "
     "tablet, mobile"),
    ({"device_compatibility": ["desktop", "phone"]}, "device_compatibility must be a list of distinct devices"),
])
def test_a_task_config_with_bad_prolific_filters_or_devices_exits_2_with_a_sentence_and_calls_nothing(
        prolific, store_url, handler, monkeypatch, capsys, tmp_path, config, sentence):
    monkeypatch.setenv("PARLEY_PROLIFIC_ENDPOINT", prolific.url)
    monkeypatch.setenv("PROLIFIC_API_TOKEN", "tok")
    code = runner_main(["run", str(task_with_config(tmp_path, **config)), "--provider", "prolific", "-r", "1.50",
                        "--public-url", "https://c.example", "--db", store_url])
    assert code == 2
    assert sentence in capsys.readouterr().err
    assert prolific.requests == []
    assert handler.get_all_run_data() == []


@pytest.mark.parametrize("devices", [["mobile"], []])  # []: any device, as Prolific reads it
def test_a_task_configs_good_filters_reach_the_study_from_the_command_line(prolific, store_url, monkeypatch,
                                                                         tmp_path, devices):
    monkeypatch.setenv("PARLEY_PROLIFIC_ENDPOINT", prolific.url)
    monkeypatch.setenv("PROLIFIC_API_TOKEN", "tok")
    filters = [{"filter_id": "handedness", "selected_values": ["0", "1"], "weightings": {"0": 1, "1": 1}},
               {"filter_id": "age", "selected_range": {"lower": 18, "upper": None}, "weightings": {
                   "young": {"selected_range": {"lower": 18, "upper": 30}, "weighting": 3},
                   "older": {"selected_range": {"lower": 31, "upper": None}, "weighting": 1}}},
               {"filter_id": "date_of_sign_up", "selected_range": {"lower": "2024-01-01", "upper": None}}]
    task = str(task_with_config(tmp_path, participant_filters=filters, device_compatibility=devices))
    args = build_parser()[0].parse_args(["run", task, "--provider", "prolific", "-r", "1.50",
                                         "--public-url", "https://c.example", "--db", store_url])
    handler = MTurkDataHandler(db_url=store_url)
    provider = prolific_provider(Launch(args, load_task(args.task), options_from(args), handler))
    provider.bind(handler, handler.log_new_run(1, "pair_chat", provider="prolific", is_sandbox=True), "")
    provider.launch(provider.hits_for(1, 2))
    body = prolific.sent("POST", "/api/v1/studies/")[0].body
    assert body["device_compatibility"] == devices
    assert body["filters"][:3] == filters
    assert body["filters"][3]["filter_id"] == "participant_group_blocklist"


@pytest.fixture
def prolific_review(prolific, handler):
    """(a submitted assignment of a Prolific run, its provider, a review service over it)."""
    built = completed_conversation(handler, provider="prolific", is_sandbox=True)
    a1 = built.assignments[0]
    handler.log_submit_assignment(built.workers[0], a1)
    provider = ProlificProvider(client=ProlificClient("tok", prolific.url))
    provider.bind(handler, built.run_id, "")
    prolific.state.submissions[a1] = {"id": a1, "status": "AWAITING REVIEW", "bonus_payments": []}
    return a1, provider, ReviewService(handler, lambda run: provider)


def test_a_bonus_clicked_from_eight_threads_is_set_up_and_paid_once(prolific, prolific_review):
    a1, _, review = prolific_review
    results = at_once(8, lambda: review.bonus(a1, "0.50", actor="alice", reason="Thanks"))
    assert len(results) == 8 and sum(not r.repeated for r in results) == 1
    assert len(prolific.sent("POST", "/api/v1/submissions/bonus-payments/")) == 1
    assert len(prolific.sent("POST", "/api/v1/bulk-bonus-payments/B1/pay/")) == 1


def test_a_bonus_whose_pay_answer_was_lost_is_found_paid_and_never_paid_again(prolific, prolific_review):
    a1, _, review = prolific_review
    prolific.queue("POST", "/api/v1/bulk-bonus-payments/B1/pay/", DROP)
    first = review.bonus(a1, "0.50", actor="alice", reason="Thanks")
    assert not first.succeeded
    prolific.state.submissions[a1]["bonus_payments"] = [50.0]  # Prolific had paid it
    again = review.bonus(a1, "0.50", actor="alice", reason="Thanks")
    assert again.action["outcome"] == "succeeded"
    assert len(prolific.sent("POST", "/api/v1/bulk-bonus-payments/B1/pay/")) == 1


@pytest.mark.parametrize("expire_orphans", [True, False])
def test_expire_orphans_stops_the_study_of_a_run_whose_runner_died_and_records_its_submissions(
        prolific, handler, store_url, monkeypatch, capsys, expire_orphans):
    monkeypatch.setenv("PROLIFIC_API_TOKEN", "tok")
    monkeypatch.setenv("PARLEY_PROLIFIC_ENDPOINT", prolific.url)
    dead = {"runner": {"host": socket.gethostname(), "pid": gone_pid(), "started": time.time()}}
    orphan = handler.log_new_run(2, "pair_chat", provider="prolific", is_sandbox=True, config=dead)
    handler.log_hit("S-old", HitStatus.ASSIGNABLE, expiration=time.time() + 3600, available=2, run_id=orphan)
    prolific.state.studies["S-old"] = {"id": "S-old", "status": "ACTIVE"}
    prolific.state.submissions["SUB1"] = {"id": "SUB1", "study_id": "S-old", "participant": "P1",
                                          "status": "AWAITING REVIEW"}
    flags = ["run", str(PAIR_CHAT), "--provider", "prolific", "--public-url", "https://c.example", "-r", "1.50",
             "--db", store_url, *(["--expire-orphans"] if expire_orphans else [])]
    args = build_parser()[0].parse_args(flags)
    prolific_provider(Launch(args, load_task(args.task), options_from(args), handler))
    stops = [r.body for r in prolific.sent("POST", "/api/v1/studies/S-old/transition/")]
    if expire_orphans:
        assert stops == [{"action": "STOP"}]
        assert handler.get_assignment_data("SUB1")["status"] == "submitted"
        assert handler.get_run_data(orphan)["status"] == "stopped"
    else:
        assert stops == [] and handler.get_assignment_data("SUB1") is None
        assert "Run again with --expire-orphans" in capsys.readouterr().err


def test_a_lost_bonus_payment_not_shown_yet_stays_unknown_and_is_never_paid_again(prolific, prolific_review):
    """Prolific pays in the minutes after `pay`: not shown yet is not "not paid"."""
    a1, _, review = prolific_review
    prolific.queue("POST", "/api/v1/bulk-bonus-payments/B1/pay/", DROP)
    assert review.bonus(a1, "0.50", actor="alice", reason="Thanks").outcome == "unknown"
    with pytest.raises(ReviewRefused, match="cannot tell yet whether it was paid"):
        review.bonus(a1, "0.50", actor="alice", reason="Thanks")
    assert [a["outcome"] for a in review.handler.get_review_actions(assignment_id=a1)] == ["unknown"]
    assert len(prolific.sent("POST", "/api/v1/bulk-bonus-payments/B1/pay/")) == 1


def test_a_bonus_whose_set_up_answer_was_lost_failed_and_may_be_paid_once_after(prolific, prolific_review):
    a1, _, review = prolific_review
    prolific.queue("POST", "/api/v1/submissions/bonus-payments/", DROP)
    first = review.bonus(a1, "0.50", actor="alice", reason="Thanks")
    assert first.outcome == "failed" and "a set-up pays nothing" in first.action["error"]
    assert prolific.sent("POST", "/api/v1/bulk-bonus-payments/B1/pay/") == []
    assert review.bonus(a1, "0.50", actor="alice", reason="Thanks").succeeded
