"""The fake Prolific, driven with a real HTTP client (requests): each test states one behaviour
of Prolific's documented API, or one choice the fake's docstring writes down."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.prolific_server import (
    DROP_CONNECTION,
    ActionRefused,
    FakeProlific,
)

CODE = "C1DONE"
LONG_MESSAGE = "Your answers did not follow the instructions of the task: " + "the chat was left empty. " * 3
STUDY: dict[str, Any] = {
    "name": "Chat about a picture",
    "internal_name": "parley run r1",
    "description": "Talk with a partner about an image.",
    "external_study_url": "https://parley.example/chat?PROLIFIC_PID={{%PROLIFIC_PID%}}"
                          "&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}",
    "prolific_id_option": "url_parameters",
    "completion_codes": [{"code": CODE, "code_type": "COMPLETED", "actions": [{"action": "MANUALLY_REVIEW"}]}],
    "total_available_places": 2,
    "estimated_completion_time": 10,
    "reward": 150,
    "device_compatibility": ["desktop"],
}


class Api:
    """requests, with the token and the /api/v1 prefix."""

    def __init__(self, fake: FakeProlific, token: str | None = None) -> None:
        self.base = f"{fake.url}/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token or fake.token}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=10, **kwargs)


@pytest.fixture
def fake() -> Iterator[FakeProlific]:
    with FakeProlific() as fake:
        yield fake


@pytest.fixture
def api(fake: FakeProlific) -> Api:
    return Api(fake)


def draft(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api("POST", "/studies/", json={**STUDY, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def published(api: Api, **overrides: Any) -> dict[str, Any]:
    study = draft(api, **overrides)
    response = api("POST", f"/studies/{study['id']}/transition/", json={"action": "PUBLISH"})
    assert response.status_code == 200, response.text
    return response.json()


def awaiting_review(fake: FakeProlific, api: Api, participant: str = "P1", **overrides: Any) -> tuple[str, str]:
    """A published study with one completed submission: (study id, submission id)."""
    study = published(api, **overrides)
    visit = fake.start_study(study["id"], participant)
    fake.complete(visit.submission_id, CODE)
    return study["id"], visit.submission_id


def error_of(response: requests.Response) -> dict[str, Any]:
    return response.json()["error"]


# -- auth and errors -----------------------------------------------------------------------------


def test_requests_without_the_right_token_are_refused_with_401_and_change_nothing(fake: FakeProlific) -> None:
    for headers in ({}, {"Authorization": "Token wrong"}, {"Authorization": f"Bearer {fake.token}"}):
        response = requests.post(f"{fake.url}/api/v1/studies/", json=STUDY, headers=headers, timeout=10)
        assert response.status_code == 401
        assert error_of(response)["status"] == 401
        assert "Token" in error_of(response)["detail"]
    assert Api(fake)("GET", "/studies/").json()["meta"]["count"] == 0


def test_users_me_reports_the_account_its_balance_and_currency(fake: FakeProlific, api: Api) -> None:
    me = api("GET", "/users/me/").json()
    assert me["currency_code"] == "GBP" and me["balance"] == fake.balance and me["id"]


def test_errors_use_prolifics_envelope_and_unknown_paths_answer_404(api: Api) -> None:
    error = error_of(api("GET", "/nothing-here/"))
    assert set(error) == {"status", "error_code", "title", "detail", "additional_information", "traceback",
                          "interactive"}
    assert error["status"] == 404 and error["error_code"] == 404001
    assert api("GET", "/studies/0123456789abcdef01234567/").status_code == 404
    assert api("PUT", "/users/me/").status_code == 405
    assert api("POST", "/studies/", data="not json", headers={"Content-Type": "application/json"}).status_code == 400


# -- studies -------------------------------------------------------------------------------------


def test_a_new_study_is_an_unpublished_draft_that_reports_its_cost_with_fees_and_vat(api: Api) -> None:
    study = draft(api)
    assert study["status"] == "UNPUBLISHED" and study["internal_name"] == "parley run r1"
    # 150p reward, 33.3% fee (50p), 20% VAT on the fee (10p), two places.
    assert study["fees_per_submission"] == 50 and study["vat_per_submission"] == 10
    assert study["total_cost"] == 2 * (150 + 50 + 10)
    assert study["currency_code"] == "GBP"
    assert api("GET", f"/studies/{study['id']}/").json() == study


def test_a_study_missing_required_fields_is_refused_field_by_field(api: Api) -> None:
    response = api("POST", "/studies/", json={"name": "x"})
    assert response.status_code == 400
    detail = error_of(response)["detail"]
    assert {"description", "external_study_url", "completion_codes", "total_available_places",
            "estimated_completion_time", "reward"} <= set(detail)
    assert api("GET", "/studies/").json()["meta"]["count"] == 0


@pytest.mark.parametrize(("overrides", "field"), [
    ({"external_study_url": "https://parley.example/chat"}, "external_study_url"),
    ({"completion_codes": []}, "completion_codes"),
    ({"completion_codes": [{"code": "A", "code_type": "COMPLETED",
                            "actions": [{"action": "MANUALLY_REVIEW"}, {"action": "AUTOMATICALLY_APPROVE"}]}]},
     "completion_codes"),
    ({"reward": 0}, "reward"),
    ({"device_compatibility": ["watch"]}, "device_compatibility"),
    ({"filters": [{"filter_id": "participant_group_blocklist", "selected_values": ["nope"]}]}, "filters"),
])
def test_invalid_study_fields_are_refused(api: Api, overrides: dict[str, Any], field: str) -> None:
    response = api("POST", "/studies/", json={**STUDY, **overrides})
    assert response.status_code == 400
    assert field in error_of(response)["detail"]


def test_study_transitions_follow_the_documented_lifecycle(api: Api) -> None:
    study = draft(api)

    def move(action: str) -> requests.Response:
        return api("POST", f"/studies/{study['id']}/transition/", json={"action": action})

    assert move("PAUSE").status_code == 400  # a draft cannot be paused
    assert move("PUBLISH").json()["status"] == "ACTIVE"
    assert move("PUBLISH").status_code == 400
    assert move("PAUSE").json()["status"] == "PAUSED"
    assert move("START").json()["status"] == "ACTIVE"
    assert move("STOP").json()["status"] == "COMPLETED"
    assert move("START").status_code == 400
    assert "action" in error_of(move("LAUNCH"))["detail"]


def test_only_a_draft_can_be_deleted(api: Api) -> None:
    study = draft(api)
    assert api("DELETE", f"/studies/{study['id']}/").status_code == 204
    assert api("GET", f"/studies/{study['id']}/").status_code == 404
    live = published(api)
    refused = api("DELETE", f"/studies/{live['id']}/")
    assert refused.status_code == 400 and "draft" in error_of(refused)["detail"]
    assert api("GET", f"/studies/{live['id']}/").json()["status"] == "ACTIVE"


def test_workspaces_list_the_accounts_workspace(fake: FakeProlific, api: Api) -> None:
    listed = api("GET", "/workspaces/").json()
    me = api("GET", "/users/me/").json()
    assert [w["id"] for w in listed["results"]] == [me["workspace_id"]] and listed["meta"]["count"] == 1


def test_publishing_needs_the_balance_to_cover_the_total_cost() -> None:
    with FakeProlific(balance=100) as fake:
        api = Api(fake)
        study = draft(api)
        response = api("POST", f"/studies/{study['id']}/transition/", json={"action": "PUBLISH"})
        assert response.status_code == 400 and "balance" in error_of(response)["detail"]
        assert api("GET", f"/studies/{study['id']}/").json()["status"] == "UNPUBLISHED"


def test_a_draft_can_be_updated_but_a_published_study_only_changes_its_name_and_places(fake: FakeProlific,
                                                                                      api: Api) -> None:
    study = draft(api)
    assert api("PATCH", f"/studies/{study['id']}/", json={"reward": 200}).json()["reward"] == 200
    api("POST", f"/studies/{study['id']}/transition/", json={"action": "PUBLISH"})
    refused = api("PATCH", f"/studies/{study['id']}/", json={"reward": 300})
    assert refused.status_code == 400 and "reward" in error_of(refused)["detail"]
    fake.start_study(study["id"], "P1")
    fake.start_study(study["id"], "P2")
    too_few = api("PATCH", f"/studies/{study['id']}/", json={"total_available_places": 1})
    assert too_few.status_code == 400
    changed = api("PATCH", f"/studies/{study['id']}/", json={"total_available_places": 3, "internal_name": "r1b"})
    assert changed.json()["total_available_places"] == 3 and changed.json()["internal_name"] == "r1b"


def test_a_full_study_awaits_review_and_gains_places_to_recruit_again(fake: FakeProlific, api: Api) -> None:
    study = published(api, total_available_places=1)
    fake.complete(fake.start_study(study["id"], "P1").submission_id, CODE)
    assert fake.study(study["id"])["status"] == "AWAITING REVIEW"
    api("PATCH", f"/studies/{study['id']}/", json={"total_available_places": 2})
    assert fake.study(study["id"])["status"] == "ACTIVE"
    fake.start_study(study["id"], "P2")


def test_stopping_a_study_with_work_to_review_awaits_review_then_completes(fake: FakeProlific, api: Api) -> None:
    study_id, submission_id = awaiting_review(fake, api)
    stopped = api("POST", f"/studies/{study_id}/transition/", json={"action": "STOP"}).json()
    assert stopped["status"] == "AWAITING REVIEW"
    with pytest.raises(ActionRefused):
        fake.start_study(study_id, "P2")
    api("POST", f"/submissions/{submission_id}/transition/", json={"action": "APPROVE"})
    assert fake.study(study_id)["status"] == "COMPLETED"


def test_studies_list_a_page_at_a_time_with_links(api: Api) -> None:
    ids = [draft(api, internal_name=f"r{n}")["id"] for n in range(5)]
    first = api("GET", "/studies/", params={"page_size": 2}).json()
    assert [s["id"] for s in first["results"]] == ids[:2] and first["meta"]["count"] == 5
    assert first["_links"]["previous"]["href"] is None
    seen = []
    href = first["_links"]["self"]["href"]
    while href:
        page = api.session.get(api.base.removesuffix("/api/v1") + href, timeout=10).json()
        seen += [s["id"] for s in page["results"]]
        href = page["_links"]["next"]["href"]
    assert seen == ids
    assert api("GET", "/studies/", params={"page": 9, "page_size": 2}).status_code == 404
    assert api("GET", "/studies/", params={"page_size": 0}).status_code == 400


# -- participants --------------------------------------------------------------------------------


def test_a_participant_starts_with_the_placeholders_filled_and_their_submission_is_active(fake: FakeProlific,
                                                                                          api: Api) -> None:
    study = published(api)
    visit = fake.start_study(study["id"], "P1")
    assert visit.url == (f"https://parley.example/chat?PROLIFIC_PID=P1&STUDY_ID={study['id']}"
                         f"&SESSION_ID={visit.submission_id}")
    submission = api("GET", f"/submissions/{visit.submission_id}/").json()
    assert submission["status"] == "ACTIVE" and submission["participant"] == "P1"  # `participant_id` in lists
    assert submission["study_id"] == study["id"]


def test_a_draft_or_paused_or_full_study_refuses_participants(fake: FakeProlific, api: Api) -> None:
    study = draft(api, total_available_places=1)
    with pytest.raises(ActionRefused, match="not recruiting"):
        fake.start_study(study["id"], "P1")
    api("POST", f"/studies/{study['id']}/transition/", json={"action": "PUBLISH"})
    fake.start_study(study["id"], "P1")
    with pytest.raises(ActionRefused, match="already took part"):
        fake.start_study(study["id"], "P1")
    with pytest.raises(ActionRefused, match="no place left"):
        fake.start_study(study["id"], "P2")


def test_returning_or_timing_out_frees_the_place(fake: FakeProlific, api: Api) -> None:
    study = published(api, total_available_places=1)
    first = fake.start_study(study["id"], "P1")
    fake.return_study(first.submission_id)
    second = fake.start_study(study["id"], "P2")
    fake.time_out(second.submission_id)
    fake.start_study(study["id"], "P3")
    statuses = {s["participant_id"]: s["status"] for s in fake_submissions(api, study["id"])}
    assert statuses == {"P1": "RETURNED", "P2": "TIMED-OUT", "P3": "ACTIVE"}
    with pytest.raises(ActionRefused, match="not in progress"):
        fake.complete(first.submission_id, CODE)


def fake_submissions(api: Api, study_id: str) -> list[dict[str, Any]]:
    return api("GET", "/submissions/", params={"study": study_id}).json()["results"]


def test_completing_records_the_code_and_waits_for_review(fake: FakeProlific, api: Api) -> None:
    _, submission_id = awaiting_review(fake, api)
    submission = api("GET", f"/submissions/{submission_id}/").json()
    assert submission["status"] == "AWAITING REVIEW" and submission["entered_code"] == CODE


def test_an_unknown_code_is_recorded_and_still_waits_for_review(fake: FakeProlific, api: Api) -> None:
    study = published(api)
    visit = fake.start_study(study["id"], "P1")
    fake.complete(visit.submission_id, "TYPO")
    assert fake.submission(visit.submission_id)["study_code"] == "TYPO"
    assert fake.submission(visit.submission_id)["status"] == "AWAITING REVIEW"


def test_a_code_that_approves_automatically_pays_the_reward_and_fees(fake: FakeProlific, api: Api) -> None:
    codes = [{"code": "AUTO", "code_type": "COMPLETED", "actions": [{"action": "AUTOMATICALLY_APPROVE"}]}]
    study = published(api, completion_codes=codes)
    before = fake.balance
    fake.complete(fake.start_study(study["id"], "P1").submission_id, "AUTO")
    assert fake.balance == before - (150 + 50 + 10)


def test_submissions_list_per_study_with_pagination_and_need_a_study(fake: FakeProlific, api: Api) -> None:
    study = published(api, total_available_places=3)
    for participant in ("P1", "P2", "P3"):
        fake.start_study(study["id"], participant)
    page = api("GET", "/submissions/", params={"study": study["id"], "page_size": 2}).json()
    assert [s["participant_id"] for s in page["results"]] == ["P1", "P2"] and page["meta"]["count"] == 3
    assert page["_links"]["next"]["href"].endswith(f"study={study['id']}&page=2&page_size=2")
    nested = api("GET", f"/studies/{study['id']}/submissions/", params={"page": 2, "page_size": 2}).json()
    assert [s["participant_id"] for s in nested["results"]] == ["P3"]
    assert api("GET", "/submissions/").status_code == 400


# -- review --------------------------------------------------------------------------------------


def test_approving_pays_and_a_repeat_is_ignored(fake: FakeProlific, api: Api) -> None:
    _, submission_id = awaiting_review(fake, api)
    before = fake.balance
    for _ in range(2):
        response = api("POST", f"/submissions/{submission_id}/transition/", json={"action": "APPROVE"})
        assert response.status_code == 200 and response.json()["status"] == "APPROVED"
    assert fake.balance == before - (150 + 50 + 10)


def test_reject_needs_a_long_message_and_a_documented_category(fake: FakeProlific, api: Api) -> None:
    _, submission_id = awaiting_review(fake, api)
    path = f"/submissions/{submission_id}/transition/"
    short = api("POST", path, json={"action": "REJECT", "message": "bad", "rejection_category": "LOW_EFFORT"})
    assert short.status_code == 400 and "message" in error_of(short)["detail"]
    uncategorised = api("POST", path, json={"action": "REJECT", "message": LONG_MESSAGE})
    assert uncategorised.status_code == 400 and "rejection_category" in error_of(uncategorised)["detail"]
    assert api("POST", path, json={"action": "REJECT", "message": LONG_MESSAGE,
                                   "rejection_category": "MEH"}).status_code == 400
    assert fake.submission(submission_id)["status"] == "AWAITING REVIEW"
    rejected = api("POST", path, json={"action": "REJECT", "message": LONG_MESSAGE,
                                       "rejection_category": "FAILED_INSTRUCTIONS"})
    assert rejected.json()["status"] == "REJECTED"
    assert fake.submission(submission_id)["rejection"] == {"message": LONG_MESSAGE,
                                                           "rejection_category": "FAILED_INSTRUCTIONS"}


def test_a_verdict_cannot_be_changed_nor_given_to_work_in_progress(fake: FakeProlific, api: Api) -> None:
    study_id, submission_id = awaiting_review(fake, api)
    api("POST", f"/submissions/{submission_id}/transition/", json={"action": "APPROVE"})
    changed = api("POST", f"/submissions/{submission_id}/transition/",
                  json={"action": "REJECT", "message": LONG_MESSAGE, "rejection_category": "OTHER"})
    assert changed.status_code == 400 and fake.submission(submission_id)["status"] == "APPROVED"
    working = fake.start_study(study_id, "P2")
    early = api("POST", f"/submissions/{working.submission_id}/transition/", json={"action": "APPROVE"})
    assert early.status_code == 400 and fake.submission(working.submission_id)["status"] == "ACTIVE"


# -- bonuses -------------------------------------------------------------------------------------


def test_a_bulk_bonus_is_set_up_in_cents_then_paid(fake: FakeProlific, api: Api) -> None:
    study_id, submission_id = awaiting_review(fake, api)
    setup = api("POST", "/submissions/bonus-payments/", json={"study_id": study_id, "csv_bonuses": "P1,1.50\n"})
    assert setup.status_code == 201
    bonus = setup.json()
    assert (bonus["study"], bonus["amount"], bonus["fees"], bonus["vat"]) == (study_id, 150, 50, 10)
    assert bonus["total_amount"] == 210
    assert fake.bonus_payments == []  # setting up pays nothing
    before = fake.balance
    paid = api("POST", f"/bulk-bonus-payments/{bonus['id']}/pay/")
    assert paid.status_code == 202
    assert [(p["participant_id"], p["submission_id"], p["amount"]) for p in fake.bonus_payments] == [
        ("P1", submission_id, 150)]
    assert fake.balance == before - 210


def test_a_bonus_may_name_the_submission_instead_of_the_participant(fake: FakeProlific, api: Api) -> None:
    study_id, submission_id = awaiting_review(fake, api)
    bonus = api("POST", "/submissions/bonus-payments/",
                json={"study_id": study_id, "csv_bonuses": f"{submission_id},0.25"}).json()
    assert bonus["amount"] == 25


def test_paying_a_bulk_bonus_twice_pays_twice_as_prolific_warns(fake: FakeProlific, api: Api) -> None:
    study_id, _ = awaiting_review(fake, api)
    bonus = api("POST", "/submissions/bonus-payments/", json={"study_id": study_id, "csv_bonuses": "P1,1.00"}).json()
    api("POST", f"/bulk-bonus-payments/{bonus['id']}/pay/")
    api("POST", f"/bulk-bonus-payments/{bonus['id']}/pay/")
    assert [p["amount"] for p in fake.bonus_payments] == [100, 100]


@pytest.mark.parametrize(("csv", "why"), [
    ("P9,1.00", "P9"),
    ("P1,abc", "amount"),
    ("P1,-1", "amount"),
    ("P1,1.005", "amount"),
    ("", "at least one line"),
])
def test_bad_bonus_lines_are_refused_and_set_nothing_up(fake: FakeProlific, api: Api, csv: str, why: str) -> None:
    study_id, _ = awaiting_review(fake, api)
    response = api("POST", "/submissions/bonus-payments/", json={"study_id": study_id, "csv_bonuses": csv})
    assert response.status_code == 400
    assert why in " ".join(error_of(response)["detail"]["csv_bonuses"])
    assert fake.market.bulk_bonuses == {}


def test_paying_an_unknown_bulk_bonus_answers_404(api: Api) -> None:
    assert api("POST", "/bulk-bonus-payments/0123456789abcdef01234567/pay/").status_code == 404


# -- participant groups and filters --------------------------------------------------------------


def test_participant_groups_are_created_listed_and_their_members_added_and_removed(fake: FakeProlific,
                                                                                   api: Api) -> None:
    group = api("POST", "/participant-groups/", json={"name": "parley-soft-block"}).json()
    assert group["participant_count"] == 0
    path = f"/participant-groups/{group['id']}/participants/"
    added = api("POST", path, json={"participant_ids": ["P1", "P2", "P1"]}).json()
    assert sorted(m["participant_id"] for m in added["results"]) == ["P1", "P2"]
    api("DELETE", path, json={"participant_ids": ["P2", "P-never"]})
    assert [m["participant_id"] for m in api("GET", path).json()["results"]] == ["P1"]
    listed = api("GET", "/participant-groups/").json()["results"]
    assert [(g["id"], g["participant_count"]) for g in listed] == [(group["id"], 1)]
    assert api("POST", path, json={"participant_ids": "P3"}).status_code == 400
    assert api("POST", "/participant-groups/0123456789abcdef01234567/participants/",
               json={"participant_ids": ["P1"]}).status_code == 404


def test_a_blocklist_filter_keeps_the_groups_members_out_even_when_added_later(fake: FakeProlific,
                                                                              api: Api) -> None:
    group = api("POST", "/participant-groups/", json={"name": "blocked", "participant_ids": ["P1"]}).json()
    study = published(api, total_available_places=3,
                      filters=[{"filter_id": "participant_group_blocklist", "selected_values": [group["id"]]}])
    with pytest.raises(ActionRefused, match="blocklisted"):
        fake.start_study(study["id"], "P1")
    api("POST", f"/participant-groups/{group['id']}/participants/", json={"participant_ids": ["P2"]})
    with pytest.raises(ActionRefused, match="blocklisted"):
        fake.start_study(study["id"], "P2")
    fake.start_study(study["id"], "P3")


def test_an_allowlist_filter_admits_only_the_groups_members(fake: FakeProlific, api: Api) -> None:
    group = api("POST", "/participant-groups/", json={"name": "invited", "participant_ids": ["P1"]}).json()
    study = published(api, filters=[{"filter_id": "participant_group_allowlist", "selected_values": [group["id"]]}])
    with pytest.raises(ActionRefused, match="allowlisted"):
        fake.start_study(study["id"], "P2")
    fake.start_study(study["id"], "P1")


def test_a_completion_code_can_add_the_participant_to_a_group(fake: FakeProlific, api: Api) -> None:
    group = api("POST", "/participant-groups/", json={"name": "done"}).json()
    codes = [{"code": CODE, "code_type": "COMPLETED", "actions": [
        {"action": "MANUALLY_REVIEW"}, {"action": "ADD_TO_PARTICIPANT_GROUP", "participant_group": group["id"]}]}]
    study = published(api, completion_codes=codes)
    fake.complete(fake.start_study(study["id"], "P1").submission_id, CODE)
    assert fake.group_members(group["id"]) == {"P1"}


# -- messages ------------------------------------------------------------------------------------


def test_a_message_to_a_participant_is_recorded(fake: FakeProlific, api: Api) -> None:
    study_id, _ = awaiting_review(fake, api)
    sent = api("POST", "/messages/", json={"recipient_id": "P1", "body": "Thank you!", "study_id": study_id})
    assert sent.status_code == 201
    assert [(m["recipient_id"], m["body"], m["study_id"]) for m in fake.messages] == [("P1", "Thank you!", study_id)]
    missing = api("POST", "/messages/", json={"recipient_id": "P1", "study_id": study_id})
    assert missing.status_code == 400 and "body" in error_of(missing)["detail"]
    assert len(fake.messages) == 1


def test_a_bulk_message_reaches_each_participant_named(fake: FakeProlific, api: Api) -> None:
    study_id, _ = awaiting_review(fake, api)
    sent = api("POST", "/messages/bulk/", json={"ids": ["P1", "P2"], "body": "Thanks!", "study_id": study_id})
    assert sent.status_code == 200
    assert [(m["recipient_id"], m["body"]) for m in fake.messages] == [("P1", "Thanks!"), ("P2", "Thanks!")]
    for bad in ({"ids": [], "body": "x", "study_id": study_id}, {"ids": ["P1"], "body": " ", "study_id": study_id},
                {"ids": "P1", "body": "x", "study_id": study_id}):
        assert api("POST", "/messages/bulk/", json=bad).status_code == 400
    assert api("POST", "/messages/bulk/", json={"ids": ["P1"], "body": "x", "study_id": "nope"}).status_code == 404
    assert len(fake.messages) == 2


# -- rate limiting and faults --------------------------------------------------------------------


def test_over_the_rate_limit_answers_429_with_retry_after_until_the_window_moves(fake: FakeProlific,
                                                                                 api: Api) -> None:
    fake.limit_rate(2, per_seconds=10)
    assert api("GET", "/users/me/").status_code == 200
    assert api("GET", "/users/me/").status_code == 200
    throttled = api("GET", "/users/me/")
    assert throttled.status_code == 429 and 1 <= int(throttled.headers["Retry-After"]) <= 10
    assert error_of(throttled)["status"] == 429
    fake.advance(int(throttled.headers["Retry-After"]))
    assert api("GET", "/users/me/").status_code == 200


def test_an_injected_5xx_or_429_answers_once_and_does_nothing(fake: FakeProlific, api: Api) -> None:
    fake.fail_next("create_study", "InternalServerError")
    fake.fail_next("create_study", "RateLimited")
    assert api("POST", "/studies/", json=STUDY).status_code == 500
    limited = api("POST", "/studies/", json=STUDY)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert api("GET", "/studies/").json()["meta"]["count"] == 0
    assert api("POST", "/studies/", json=STUDY).status_code == 201
    assert len(fake.calls_of("create_study")) == 3


def test_a_dropped_connection_before_the_action_changes_nothing(fake: FakeProlific, api: Api) -> None:
    study_id, submission_id = awaiting_review(fake, api)
    fake.fail_next("transition_submission", DROP_CONNECTION)
    with pytest.raises(requests.ConnectionError):
        api("POST", f"/submissions/{submission_id}/transition/", json={"action": "APPROVE"})
    assert fake.submission(submission_id)["status"] == "AWAITING REVIEW"


def test_a_bonus_paid_then_its_answer_lost_is_paid_exactly_once(fake: FakeProlific, api: Api) -> None:
    study_id, _ = awaiting_review(fake, api)
    bonus = api("POST", "/submissions/bonus-payments/", json={"study_id": study_id, "csv_bonuses": "P1,2.00"}).json()
    fake.fail_next("pay_bonus_payments", DROP_CONNECTION, after_effect=True)
    with pytest.raises(requests.ConnectionError):
        api("POST", f"/bulk-bonus-payments/{bonus['id']}/pay/")
    assert [p["amount"] for p in fake.bonus_payments] == [200]


def test_fail_next_refuses_unknown_operations_and_faults(fake: FakeProlific) -> None:
    with pytest.raises(ValueError, match="does not implement"):
        fake.fail_next("pay_everyone")
    with pytest.raises(ValueError, match="unknown fault"):
        fake.fail_next("get_me", "Teapot")


def test_concurrent_participants_never_take_more_places_than_the_study_has(fake: FakeProlific, api: Api) -> None:
    study = published(api, total_available_places=3)
    barrier = threading.Barrier(8)
    admitted: list[str] = []

    def arrive(participant: str) -> None:
        barrier.wait()
        try:
            fake.start_study(study["id"], participant)
            admitted.append(participant)
        except ActionRefused:
            pass

    threads = [threading.Thread(target=arrive, args=(f"P{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(admitted) == 3
    assert fake.study(study["id"])["places_taken"] == 3
