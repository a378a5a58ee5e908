"""The fake MTurk, driven through the real boto3 client: each test states one MTurk behaviour."""
from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ParamValidationError

from tests.fakes.mturk_server import (
    DROP_CONNECTION,
    EXTERNAL_QUESTION_NS,
    LOCALE_QUALIFICATION,
    TARGET_PREFIX,
    ActionRefused,
    FakeMTurk,
    locale_matches,
    requirement_holds,
)

REPO = Path(__file__).resolve().parents[2]
DAY = 24 * 3600
ALICE, BOB, CAROL = "A1ALICE", "A2BOB", "A3CAROL"
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def external_question(url: str = "https://parley.example/chat?run=r1&amp;task=t1", frame_height: str = "0") -> str:
    return (f'<ExternalQuestion xmlns="{EXTERNAL_QUESTION_NS}"><ExternalURL>{url}</ExternalURL>'
            f"<FrameHeight>{frame_height}</FrameHeight></ExternalQuestion>")


HIT_TYPE = {"Title": "Chat about a picture", "Description": "Talk with a partner about an image.",
            "Reward": "0.50", "AssignmentDurationInSeconds": 1800, "AutoApprovalDelayInSeconds": 3 * DAY}
HIT = {**HIT_TYPE, "MaxAssignments": 1, "LifetimeInSeconds": 3600, "Question": external_question()}


@pytest.fixture
def fake() -> Iterator[FakeMTurk]:
    with FakeMTurk() as fake:
        yield fake


@pytest.fixture
def client(fake: FakeMTurk) -> BaseClient:
    return fake.client()


def create_hit(client: BaseClient, **overrides: Any) -> dict[str, Any]:
    return client.create_hit(**{**HIT, **overrides})["HIT"]


def submitted_work(fake: FakeMTurk, client: BaseClient, worker: str = ALICE, **overrides: Any) -> tuple[str, str]:
    """A HIT with one submitted assignment: (HITId, AssignmentId)."""
    hit_id = create_hit(client, **overrides)["HITId"]
    assignment_id = fake.accept(hit_id, worker)
    fake.submit(assignment_id, {"rating": "5"})
    return hit_id, assignment_id


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def qualification_type(client: BaseClient, name: str = "parley-soft-block") -> str:
    return client.create_qualification_type(Name=name, Description="Workers Parley keeps out.",
                                            QualificationTypeStatus="Active")["QualificationType"]["QualificationTypeId"]


# ---------------------------------------------------------------------------------------------
# The wire protocol


class TestProtocol:
    def test_state_errors_are_modeled_request_errors_carrying_a_turk_error_code(self, client):
        with pytest.raises(client.exceptions.RequestError) as excinfo:
            client.get_hit(HITId="3NOSUCHHIT")
        assert excinfo.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.HITDoesNotExist"
        assert re.fullmatch(r"Hit 3NOSUCHHIT does not exist\. \(\d{13}\)", error_of(excinfo)[1])
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    def test_botocore_validates_parameters_client_side_before_sending_anything(self, fake, client):
        with pytest.raises(ParamValidationError):
            client.get_hit()
        with pytest.raises(ParamValidationError):
            client.create_hit(**{**HIT, "MaxAssignments": "two"})
        with pytest.raises(ParamValidationError):
            client.list_hits(MaxResults=0)
        assert fake.calls == []

    @pytest.mark.parametrize(("call", "complaint"), [
        (lambda c: c.list_hits(MaxResults=101),
         "Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"),
        (lambda c: c.create_worker_block(WorkerId="worker-1", Reason="spam"),
         "at 'workerId' failed to satisfy constraint: Member must satisfy regular expression pattern"),
        (lambda c: c.create_hit(**{**HIT, "Reward": "0.505"}),
         "Value '0.505' at 'reward' failed to satisfy constraint"),
        (lambda c: c.create_hit_type(**HIT_TYPE, QualificationRequirements=[
            {"QualificationTypeId": LOCALE_QUALIFICATION, "Comparator": "Near", "LocaleValues": [{"Country": "US"}]}]),
         "at 'qualificationRequirements.1.member.comparator' failed to satisfy constraint: "
         "Member must satisfy enum value set"),
    ])
    def test_model_constraints_botocore_leaves_to_the_server_answer_validation_exception(self, client, call, complaint):
        with pytest.raises(ClientError) as excinfo:
            call(client)
        code, message = error_of(excinfo)
        assert code == "ValidationException"
        assert message.startswith("1 validation error detected: ")
        assert complaint in message

    def test_an_operation_the_fake_does_not_implement_is_refused_by_name(self, client):
        with pytest.raises(ClientError) as excinfo:
            client.list_reviewable_hits()
        assert error_of(excinfo) == ("UnknownOperationException",
                                     "ListReviewableHITs is not an operation the fake MTurk implements.")

    def test_requests_without_the_mturk_target_are_unknown_operations(self, fake):
        answer = requests.post(fake.url, data="{}", headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})
        assert answer.status_code == 400
        assert answer.json()["__type"] == "UnknownOperationException"

    def test_a_body_that_is_not_a_json_object_is_a_serialization_exception(self, fake):
        answer = requests.post(fake.url, data="[1, 2]", headers={
            "X-Amz-Target": f"{TARGET_PREFIX}.GetAccountBalance", "Content-Type": "application/x-amz-json-1.1"})
        assert (answer.status_code, answer.json()["__type"]) == (400, "SerializationException")
        assert answer.headers["Content-Type"] == "application/x-amz-json-1.1"

    def test_any_credentials_are_accepted(self, fake):
        other = boto3.client("mturk", endpoint_url=fake.url, region_name="us-east-1",
                             aws_access_key_id="AKIAOTHER", aws_secret_access_key="other", aws_session_token="t")
        assert other.get_account_balance()["AvailableBalance"] == "10000.00"

    def test_timestamps_travel_as_epoch_seconds_and_arrive_as_datetimes(self, fake, client):
        hit = create_hit(client)
        assert abs(hit["CreationTime"] - fake.now()) < timedelta(seconds=1)
        assert hit["Expiration"] - hit["CreationTime"] == timedelta(seconds=HIT["LifetimeInSeconds"])


# ---------------------------------------------------------------------------------------------
# Account balance, HIT types and HITs


class TestAccount:
    def test_a_new_fake_has_a_sandbox_balance_of_ten_thousand_dollars(self, client):
        assert client.get_account_balance()["AvailableBalance"] == "10000.00"

    def test_the_starting_balance_can_be_chosen(self):
        with FakeMTurk(balance="12.5") as fake:
            assert fake.client().get_account_balance()["AvailableBalance"] == "12.50"
            assert fake.balance == Decimal("12.50")


class TestCreatingHITs:
    def test_create_hit_type_answers_the_same_id_for_the_same_properties(self, client):
        first = client.create_hit_type(**HIT_TYPE)["HITTypeId"]
        assert client.create_hit_type(**HIT_TYPE)["HITTypeId"] == first
        assert client.create_hit_type(**{**HIT_TYPE, "Reward": "0.75"})["HITTypeId"] != first

    def test_create_hit_with_hit_type_answers_the_hit_as_get_hit_shows_it(self, client):
        type_id = client.create_hit_type(**HIT_TYPE)["HITTypeId"]
        hit = client.create_hit_with_hit_type(HITTypeId=type_id, MaxAssignments=3, LifetimeInSeconds=600,
                                              Question=external_question(), RequesterAnnotation="run r1")["HIT"]
        assert hit == client.get_hit(HITId=hit["HITId"])["HIT"]
        assert {key: hit[key] for key in ("HITTypeId", "Title", "Reward", "MaxAssignments", "HITStatus",
                                          "NumberOfAssignmentsAvailable", "NumberOfAssignmentsPending",
                                          "NumberOfAssignmentsCompleted", "RequesterAnnotation",
                                          "AssignmentDurationInSeconds", "AutoApprovalDelayInSeconds")} == {
            "HITTypeId": type_id, "Title": HIT_TYPE["Title"], "Reward": "0.50", "MaxAssignments": 3,
            "HITStatus": "Assignable", "NumberOfAssignmentsAvailable": 3, "NumberOfAssignmentsPending": 0,
            "NumberOfAssignmentsCompleted": 0, "RequesterAnnotation": "run r1",
            "AssignmentDurationInSeconds": 1800, "AutoApprovalDelayInSeconds": 3 * DAY}
        assert re.fullmatch(r"[0-9][A-Z0-9]{29}", hit["HITId"])

    def test_create_hit_makes_its_hit_type_or_reuses_an_equal_one(self, client):
        type_id = client.create_hit_type(**HIT_TYPE)["HITTypeId"]
        assert create_hit(client)["HITTypeId"] == type_id
        assert create_hit(client, Title="Another task")["HITTypeId"] != type_id

    def test_auto_approval_delay_defaults_to_thirty_days(self, client):
        params = {key: value for key, value in HIT.items() if key != "AutoApprovalDelayInSeconds"}
        hit = client.create_hit(**params)["HIT"]
        assert hit["AutoApprovalDelayInSeconds"] == 30 * DAY

    def test_create_hit_with_an_unknown_hit_type_is_refused(self, client):
        with pytest.raises(client.exceptions.RequestError, match="HITType 3NOTYPE does not exist"):
            client.create_hit_with_hit_type(HITTypeId="3NOTYPE", LifetimeInSeconds=600, Question=external_question())

    def test_the_external_question_is_parsed_for_its_url_and_frame_height(self, fake, client):
        hit = create_hit(client, Question=external_question(frame_height="640"))
        assert fake.hits[hit["HITId"]]["ExternalURL"] == "https://parley.example/chat?run=r1&task=t1"
        assert fake.hits[hit["HITId"]]["FrameHeight"] == 640
        assert hit["Question"] == external_question(frame_height="640")

    @pytest.mark.parametrize(("question", "complaint"), [
        ("<ExternalQuestion", "There was an error parsing the XML question"),
        (external_question().replace("<FrameHeight>0</FrameHeight>", ""), "exactly one ExternalURL and one FrameHeight"),
        (external_question().replace("<ExternalURL>", "<ExternalURL>x").replace(
            "<FrameHeight>", "<ExternalURL>https://b.example/</ExternalURL><FrameHeight>"),
         "exactly one ExternalURL and one FrameHeight"),
        (external_question(frame_height="tall"), 'The value "tall" is not valid for the parameter FrameHeight'),
        (external_question().replace(EXTERNAL_QUESTION_NS, "urn:other"), "must be an ExternalQuestion"),
        ('<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
         '2011-11-11/HTMLQuestion.xsd"/>', "must be an ExternalQuestion"),
    ])
    def test_the_question_must_be_a_well_formed_external_question(self, client, question, complaint):
        with pytest.raises(ClientError) as excinfo:
            create_hit(client, Question=question)
        assert error_of(excinfo)[0] == "ParameterValidationError"
        assert complaint in error_of(excinfo)[1]

    @pytest.mark.parametrize(("url", "allowed"), [
        ("https://parley.example/chat", True),
        ("http://127.0.0.1:5000/chat", True),
        ("http://localhost:5000/chat", True),
        ("http://parley.example/chat", False),
        ("ftp://parley.example/chat", False),
        ("/chat", False),
    ])
    def test_the_external_url_must_be_https_except_local_http_when_allowed(self, client, url, allowed):
        if allowed:
            assert create_hit(client, Question=external_question(url))["HITStatus"] == "Assignable"
        else:
            with pytest.raises(ClientError, match="The ExternalURL must be an https URL"):
                create_hit(client, Question=external_question(url))

    def test_local_http_is_refused_like_mturk_does_when_allow_http_is_off(self):
        with FakeMTurk(allow_http=False) as fake, pytest.raises(ClientError, match="must be an https URL"):
            create_hit(fake.client(), Question=external_question("http://127.0.0.1:5000/chat"))

    @pytest.mark.parametrize("overrides", [
        {"Reward": "0.00"},
        {"AssignmentDurationInSeconds": 29},
        {"AssignmentDurationInSeconds": 366 * DAY},
        {"AutoApprovalDelayInSeconds": 31 * DAY},
        {"LifetimeInSeconds": 29},
        {"MaxAssignments": 0},
        {"Title": " "},
        {"Title": "x" * 129},
        {"Description": "x" * 2001},
    ], ids=lambda overrides: "-".join(f"{key}={str(value)[:8]}" for key, value in overrides.items()))
    def test_out_of_range_hit_properties_are_parameter_validation_errors(self, fake, client, overrides):
        with pytest.raises(ClientError) as excinfo:
            create_hit(client, **overrides)
        assert error_of(excinfo)[0] == "ParameterValidationError"
        assert f"for the parameter {next(iter(overrides))}." in error_of(excinfo)[1]
        assert fake.hits == {}

    def test_a_repeated_unique_request_token_is_refused_naming_the_first_hit(self, fake, client):
        hit = create_hit(client, UniqueRequestToken="launch-r1-0")
        with pytest.raises(client.exceptions.RequestError) as excinfo:
            create_hit(client, UniqueRequestToken="launch-r1-0")
        assert excinfo.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.HitAlreadyExists"
        assert hit["HITId"] in error_of(excinfo)[1]
        assert list(fake.hits) == [hit["HITId"]]

    def test_a_hit_needs_funds_for_every_assignment_with_its_fee(self):
        with FakeMTurk(balance="1.19") as fake:
            client = fake.client()
            with pytest.raises(client.exceptions.RequestError, match=r"costs? \$1\.20 with fees"):
                create_hit(client, MaxAssignments=2)
            create_hit(client, MaxAssignments=1)
            assert fake.balance == Decimal("1.19"), "creating a HIT charges nothing; approval does"


class TestQualificationRequirementsOnHITs:
    @pytest.mark.parametrize(("requirement", "complaint"), [
        ({"Comparator": "Exists", "IntegerValues": [1]}, "Exists takes no values"),
        ({"Comparator": "GreaterThan"}, "GreaterThan needs a value"),
        ({"Comparator": "EqualTo", "IntegerValues": [1, 2]}, "EqualTo takes exactly one value"),
        ({"Comparator": "In", "IntegerValues": list(range(16))}, "In takes at most 15 values"),
        ({"Comparator": "EqualTo", "LocaleValues": [{"Country": "US"}]}, "LocaleValues can only be used with"),
        ({"Comparator": "Exists", "ActionsGuarded": "Accept", "RequiredToPreview": True},
         "cannot be combined with ActionsGuarded"),
    ])
    def test_requirement_values_must_fit_the_comparator(self, client, requirement, complaint):
        requirement = {"QualificationTypeId": qualification_type(client), **requirement}
        with pytest.raises(ClientError, match=complaint) as excinfo:
            client.create_hit_type(**HIT_TYPE, QualificationRequirements=[requirement])
        assert error_of(excinfo)[0] == "ParameterValidationError"

    @pytest.mark.parametrize(("requirement", "complaint"), [
        ({"Comparator": "GreaterThan", "LocaleValues": [{"Country": "US"}]}, "can not be compared with GreaterThan"),
        ({"Comparator": "EqualTo", "IntegerValues": [1]}, "IntegerValues cannot be used with the Worker_Locale"),
        ({"Comparator": "In", "LocaleValues": [{"Country": "US"}] * 31}, "In takes at most 30 values"),
    ])
    def test_locale_requirements_compare_locales_only(self, client, requirement, complaint):
        requirement = {"QualificationTypeId": LOCALE_QUALIFICATION, **requirement}
        with pytest.raises(ClientError, match=complaint):
            client.create_hit_type(**HIT_TYPE, QualificationRequirements=[requirement])

    def test_a_requirement_on_an_unknown_or_inactive_qualification_type_is_refused(self, client):
        with pytest.raises(client.exceptions.RequestError, match="QualificationType 3NOQUAL does not exist"):
            client.create_hit_type(**HIT_TYPE, QualificationRequirements=[
                {"QualificationTypeId": "3NOQUAL", "Comparator": "Exists"}])
        inactive = client.create_qualification_type(Name="retired", Description="d", QualificationTypeStatus="Inactive")
        with pytest.raises(client.exceptions.RequestError, match="is not active"):
            client.create_hit_type(**HIT_TYPE, QualificationRequirements=[
                {"QualificationTypeId": inactive["QualificationType"]["QualificationTypeId"], "Comparator": "Exists"}])

    def test_a_hit_can_have_at_most_ten_requirements(self, client):
        requirement = {"QualificationTypeId": LOCALE_QUALIFICATION, "Comparator": "Exists"}
        with pytest.raises(ClientError, match="at most 10"):
            client.create_hit_type(**HIT_TYPE, QualificationRequirements=[requirement] * 11)


# ---------------------------------------------------------------------------------------------
# Listing


class TestListing:
    def test_list_hits_pages_with_next_token_and_max_results(self, client):
        created = [create_hit(client)["HITId"] for _ in range(5)]
        first = client.list_hits(MaxResults=2)
        second = client.list_hits(MaxResults=2, NextToken=first["NextToken"])
        last = client.list_hits(MaxResults=2, NextToken=second["NextToken"])
        assert [first["NumResults"], second["NumResults"], last["NumResults"]] == [2, 2, 1]
        assert "NextToken" not in last
        assert [hit["HITId"] for answer in (first, second, last) for hit in answer["HITs"]] == created

    def test_list_hits_answers_ten_at_a_time_by_default(self, client):
        for _ in range(12):
            create_hit(client)
        assert client.list_hits()["NumResults"] == 10

    def test_the_boto3_paginator_walks_every_hit(self, client):
        created = {create_hit(client)["HITId"] for _ in range(7)}
        pages = client.get_paginator("list_hits").paginate(PaginationConfig={"PageSize": 3})
        assert {hit["HITId"] for page in pages for hit in page["HITs"]} == created

    def test_a_next_token_from_another_listing_is_refused(self, fake, client):
        for _ in range(3):
            create_hit(client)
        token = client.list_hits(MaxResults=1)["NextToken"]
        with pytest.raises(ClientError, match="The pagination token is invalid"):
            client.list_worker_blocks(NextToken=token)
        with pytest.raises(ClientError, match="The pagination token is invalid"):
            client.list_hits(NextToken="garbage")

    def test_list_hits_for_qualification_type_lists_the_hits_requiring_it(self, client):
        type_id = qualification_type(client)
        requiring = create_hit(client, QualificationRequirements=[
            {"QualificationTypeId": type_id, "Comparator": "DoesNotExist"}])
        create_hit(client)
        answer = client.list_hits_for_qualification_type(QualificationTypeId=type_id)
        assert [hit["HITId"] for hit in answer["HITs"]] == [requiring["HITId"]]
        with pytest.raises(client.exceptions.RequestError, match="does not exist"):
            client.list_hits_for_qualification_type(QualificationTypeId="3NOQUAL")


# ---------------------------------------------------------------------------------------------
# Expiring and deleting HITs


class TestExpiringAndDeletingHITs:
    def test_expire_at_in_the_past_expires_the_hit_at_once(self, fake, client):
        hit_id = create_hit(client)["HITId"]
        client.update_expiration_for_hit(HITId=hit_id, ExpireAt=datetime(2015, 1, 1, tzinfo=UTC))
        hit = client.get_hit(HITId=hit_id)["HIT"]
        assert (hit["HITStatus"], hit["NumberOfAssignmentsAvailable"]) == ("Reviewable", 0)
        assert abs(hit["Expiration"] - fake.now()) < timedelta(seconds=1)
        with pytest.raises(ActionRefused, match="has expired"):
            fake.accept(hit_id, ALICE)

    def test_expire_at_in_the_future_extends_the_hit(self, fake, client):
        hit_id = create_hit(client)["HITId"]
        later = fake.now() + timedelta(days=2)
        client.update_expiration_for_hit(HITId=hit_id, ExpireAt=later)
        fake.advance(DAY)
        hit = client.get_hit(HITId=hit_id)["HIT"]
        assert hit["HITStatus"] == "Assignable"
        assert abs(hit["Expiration"] - later) < timedelta(milliseconds=2)

    def test_a_hit_expires_when_its_lifetime_passes_on_the_fake_clock(self, fake, client):
        hit_id = create_hit(client, LifetimeInSeconds=600)["HITId"]
        fake.advance(599)
        assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Assignable"
        fake.advance(1)
        assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"

    def test_a_worker_already_on_an_expired_hit_may_still_submit(self, fake, client):
        hit_id = create_hit(client, MaxAssignments=2)["HITId"]
        assignment_id = fake.accept(hit_id, ALICE)
        client.update_expiration_for_hit(HITId=hit_id, ExpireAt=datetime(2015, 1, 1, tzinfo=UTC))
        assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Unassignable"
        fake.submit(assignment_id)
        assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Reviewable"

    def test_expiring_a_deleted_hit_is_refused(self, fake, client):
        hit_id = create_hit(client)["HITId"]
        client.update_expiration_for_hit(HITId=hit_id, ExpireAt=datetime(2015, 1, 1, tzinfo=UTC))
        client.delete_hit(HITId=hit_id)
        with pytest.raises(client.exceptions.RequestError, match="in the state 'Disposed'"):
            client.update_expiration_for_hit(HITId=hit_id, ExpireAt=datetime(2015, 1, 1, tzinfo=UTC))

    def test_delete_hit_refuses_a_hit_workers_can_still_accept(self, client):
        hit_id = create_hit(client)["HITId"]
        with pytest.raises(client.exceptions.RequestError,
                           match="currently in the state 'Assignable'.  This operation can be called with a "
                                 "status of: Reviewing, Reviewable"):
            client.delete_hit(HITId=hit_id)

    def test_delete_hit_refuses_while_a_worker_is_still_working(self, fake, client):
        hit_id = create_hit(client)["HITId"]
        fake.accept(hit_id, ALICE)
        client.update_expiration_for_hit(HITId=hit_id, ExpireAt=datetime(2015, 1, 1, tzinfo=UTC))
        with pytest.raises(client.exceptions.RequestError, match="in the state 'Unassignable'"):
            client.delete_hit(HITId=hit_id)

    def test_delete_hit_refuses_while_submitted_work_awaits_review(self, fake, client):
        hit_id, assignment_id = submitted_work(fake, client)
        with pytest.raises(client.exceptions.RequestError, match="not been approved or rejected"):
            client.delete_hit(HITId=hit_id)
        client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Did not chat.")
        client.delete_hit(HITId=hit_id)

    def test_a_deleted_hit_is_disposed_and_no_longer_listed(self, fake, client):
        hit_id, assignment_id = submitted_work(fake, client)
        client.approve_assignment(AssignmentId=assignment_id)
        client.delete_hit(HITId=hit_id)
        assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Disposed"
        assert client.list_hits()["HITs"] == []
        assert fake.hits[hit_id]["HITStatus"] == "Disposed"
        with pytest.raises(client.exceptions.RequestError, match="in the state 'Disposed'"):
            client.delete_hit(HITId=hit_id)


# ---------------------------------------------------------------------------------------------
# Assignments and their review


class TestAssignments:
    def test_work_in_progress_is_invisible_to_the_requester(self, fake, client):
        hit_id = create_hit(client)["HITId"]
        assignment_id = fake.accept(hit_id, ALICE)
        assert client.list_assignments_for_hit(HITId=hit_id)["Assignments"] == []
        with pytest.raises(client.exceptions.RequestError, match=f"Assignment {assignment_id} does not exist"):
            client.get_assignment(AssignmentId=assignment_id)
        assert client.get_hit(HITId=hit_id)["HIT"]["NumberOfAssignmentsPending"] == 1
        assert fake.assignments[assignment_id]["AssignmentStatus"] == "Accepted"

    def test_list_assignments_filters_by_status_and_pages(self, fake, client):
        hit_id = create_hit(client, MaxAssignments=3)["HITId"]
        ids = [fake.accept(hit_id, worker) for worker in (ALICE, BOB, CAROL)]
        for assignment_id in ids:
            fake.submit(assignment_id)
        client.approve_assignment(AssignmentId=ids[0])
        approved = client.list_assignments_for_hit(HITId=hit_id, AssignmentStatuses=["Approved"])
        assert [a["AssignmentId"] for a in approved["Assignments"]] == ids[:1]
        first = client.list_assignments_for_hit(HITId=hit_id, MaxResults=2)
        rest = client.list_assignments_for_hit(HITId=hit_id, MaxResults=2, NextToken=first["NextToken"])
        assert [a["AssignmentId"] for a in first["Assignments"] + rest["Assignments"]] == ids
        with pytest.raises(client.exceptions.RequestError, match="does not exist"):
            client.list_assignments_for_hit(HITId="3NOSUCHHIT")

    def test_get_assignment_answers_the_assignment_and_its_hit(self, fake, client):
        hit_id, assignment_id = submitted_work(fake, client)
        answer = client.get_assignment(AssignmentId=assignment_id)
        assert answer["HIT"]["HITId"] == hit_id
        assignment = answer["Assignment"]
        assert (assignment["WorkerId"], assignment["AssignmentStatus"]) == (ALICE, "Submitted")
        assert assignment["AutoApprovalTime"] - assignment["SubmitTime"] == timedelta(seconds=3 * DAY)
        assert assignment["Deadline"] - assignment["AcceptTime"] == timedelta(seconds=1800)


class TestReview:
    def test_approving_pays_the_reward_plus_a_twenty_percent_fee(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        client.approve_assignment(AssignmentId=assignment_id, RequesterFeedback="Thanks!")
        assignment = client.get_assignment(AssignmentId=assignment_id)["Assignment"]
        assert (assignment["AssignmentStatus"], assignment["RequesterFeedback"]) == ("Approved", "Thanks!")
        assert fake.balance == Decimal("10000.00") - Decimal("0.60")

    def test_hits_with_ten_or_more_assignments_pay_a_forty_percent_fee(self, fake, client):
        _, assignment_id = submitted_work(fake, client, MaxAssignments=10)
        client.approve_assignment(AssignmentId=assignment_id)
        assert fake.balance == Decimal("10000.00") - Decimal("0.70")

    def test_the_fee_is_at_least_a_cent(self, fake, client):
        _, assignment_id = submitted_work(fake, client, Reward="0.02")
        client.approve_assignment(AssignmentId=assignment_id)
        assert fake.balance == Decimal("10000.00") - Decimal("0.03")

    def test_approving_twice_is_refused_and_charges_once(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        client.approve_assignment(AssignmentId=assignment_id)
        with pytest.raises(client.exceptions.RequestError,
                           match="This operation can be called with a status of: Submitted"):
            client.approve_assignment(AssignmentId=assignment_id)
        assert fake.balance == Decimal("9999.40")

    def test_approving_a_rejected_assignment_needs_override_rejection(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Off topic.")
        with pytest.raises(client.exceptions.RequestError, match="status of: Submitted"):
            client.approve_assignment(AssignmentId=assignment_id)
        client.approve_assignment(AssignmentId=assignment_id, OverrideRejection=True)
        assert client.get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"] == "Approved"
        assert fake.balance == Decimal("9999.40")

    def test_a_rejection_can_not_be_overridden_once_the_hit_is_deleted(self, fake, client):
        hit_id, assignment_id = submitted_work(fake, client)
        client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Off topic.")
        client.delete_hit(HITId=hit_id)
        with pytest.raises(client.exceptions.RequestError, match="its HIT has been deleted"):
            client.approve_assignment(AssignmentId=assignment_id, OverrideRejection=True)

    def test_a_rejection_can_not_be_overridden_after_thirty_days(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Off topic.")
        fake.advance(30 * DAY + 1)
        with pytest.raises(client.exceptions.RequestError, match="more than 30 days ago"):
            client.approve_assignment(AssignmentId=assignment_id, OverrideRejection=True)

    def test_rejecting_needs_submitted_work_and_feedback(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        with pytest.raises(ParamValidationError):
            client.reject_assignment(AssignmentId=assignment_id)
        with pytest.raises(ClientError, match="parameter RequesterFeedback. It must not be empty"):
            client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="  ")
        client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Off topic.")
        with pytest.raises(client.exceptions.RequestError, match="status of: Submitted"):
            client.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Again.")
        assert fake.balance == Decimal("10000.00"), "a rejection pays nothing"

    def test_approving_is_refused_when_the_balance_cannot_pay(self):
        with FakeMTurk(balance="1.00") as fake:
            client = fake.client()
            _, assignment_id = submitted_work(fake, client)
            client.send_bonus(WorkerId=ALICE, AssignmentId=assignment_id, BonusAmount="0.50", Reason="Great chat")
            with pytest.raises(client.exceptions.RequestError, match="not have enough funds to approve"):
                client.approve_assignment(AssignmentId=assignment_id)
            assert fake.assignments[assignment_id]["AssignmentStatus"] == "Submitted"
            assert fake.balance == Decimal("0.40")


# ---------------------------------------------------------------------------------------------
# Bonuses and messages


class TestBonuses:
    def test_send_bonus_pays_the_bonus_plus_a_twenty_percent_fee(self, fake, client):
        hit_id, assignment_id = submitted_work(fake, client)
        client.send_bonus(WorkerId=ALICE, AssignmentId=assignment_id, BonusAmount="1.25", Reason="Great chat",
                          UniqueRequestToken="bonus-1")
        assert fake.balance == Decimal("10000.00") - Decimal("1.25") - Decimal("0.25")
        [bonus] = fake.bonuses
        assert {key: bonus[key] for key in ("WorkerId", "AssignmentId", "HITId", "BonusAmount", "Reason",
                                            "UniqueRequestToken")} == {
            "WorkerId": ALICE, "AssignmentId": assignment_id, "HITId": hit_id, "BonusAmount": "1.25",
            "Reason": "Great chat", "UniqueRequestToken": "bonus-1"}

    def test_a_repeated_unique_request_token_is_refused_and_nothing_is_paid_twice(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        bonus = {"WorkerId": ALICE, "AssignmentId": assignment_id, "BonusAmount": "1.00", "Reason": "Great chat",
                 "UniqueRequestToken": "parley-bonus-42"}
        client.send_bonus(**bonus)
        with pytest.raises(client.exceptions.RequestError,
                           match='The idempotency token "parley-bonus-42" has already been processed'):
            client.send_bonus(**bonus)
        assert len(fake.bonuses) == 1
        assert fake.balance == Decimal("9998.80")

    def test_a_unique_request_token_is_forgotten_after_24_hours(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        bonus = {"WorkerId": ALICE, "AssignmentId": assignment_id, "BonusAmount": "1.00", "Reason": "Great chat",
                 "UniqueRequestToken": "parley-bonus-42"}
        client.send_bonus(**bonus)
        fake.advance(DAY)
        client.send_bonus(**bonus)
        assert len(fake.bonuses) == 2, "MTurk warns that a token reused after 24 hours pays again"

    def test_a_refused_bonus_does_not_use_up_its_token(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        bonus = {"AssignmentId": assignment_id, "BonusAmount": "1.00", "Reason": "Great chat",
                 "UniqueRequestToken": "parley-bonus-42"}
        with pytest.raises(ClientError):
            client.send_bonus(WorkerId=BOB, **bonus)
        client.send_bonus(WorkerId=ALICE, **bonus)
        assert len(fake.bonuses) == 1

    @pytest.mark.parametrize(("change", "complaint"), [
        ({"WorkerId": BOB}, "was not done by this worker"),
        ({"AssignmentId": "3NOSUCHASSIGNMENT"}, "Assignment 3NOSUCHASSIGNMENT does not exist"),
        ({"BonusAmount": "0.00"}, "parameter BonusAmount. It must be at least 0.01"),
        ({"BonusAmount": "5000.00"}, "not have enough funds to send this bonus"),
        ({"Reason": ""}, "parameter Reason. It must not be empty"),
    ])
    def test_a_bonus_is_refused_for_the_wrong_worker_assignment_amount_or_balance(self, change, complaint):
        with FakeMTurk(balance="100.00") as fake:
            client = fake.client()
            _, assignment_id = submitted_work(fake, client)
            bonus = {"WorkerId": ALICE, "AssignmentId": assignment_id, "BonusAmount": "1.00", "Reason": "Great chat"}
            with pytest.raises(ClientError, match=complaint):
                client.send_bonus(**{**bonus, **change})
            assert (fake.bonuses, fake.balance) == ([], Decimal("100.00"))

    def test_work_in_progress_can_not_be_bonused(self, fake, client):
        assignment_id = fake.accept(create_hit(client)["HITId"], ALICE)
        with pytest.raises(client.exceptions.RequestError, match="does not exist"):
            client.send_bonus(WorkerId=ALICE, AssignmentId=assignment_id, BonusAmount="1.00", Reason="Early")

    def test_list_bonus_payments_by_hit_or_by_assignment(self, fake, client):
        hit_id = create_hit(client, MaxAssignments=2)["HITId"]
        first, second = fake.accept(hit_id, ALICE), fake.accept(hit_id, BOB)
        fake.submit(first)
        fake.submit(second)
        client.send_bonus(WorkerId=ALICE, AssignmentId=first, BonusAmount="1.00", Reason="a")
        client.send_bonus(WorkerId=BOB, AssignmentId=second, BonusAmount="2.00", Reason="b")
        by_hit = client.list_bonus_payments(HITId=hit_id)["BonusPayments"]
        assert [(b["WorkerId"], b["BonusAmount"]) for b in by_hit] == [(ALICE, "1.00"), (BOB, "2.00")]
        by_assignment = client.list_bonus_payments(AssignmentId=second)
        assert [b["AssignmentId"] for b in by_assignment["BonusPayments"]] == [second]
        with pytest.raises(ClientError, match="Either the HITId or the AssignmentId"):
            client.list_bonus_payments()


class TestNotifyingWorkers:
    def test_only_workers_whose_work_was_reviewed_are_notified(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        client.approve_assignment(AssignmentId=assignment_id)
        answer = client.notify_workers(Subject="New task", MessageText="We launched more HITs.",
                                       WorkerIds=[ALICE, BOB])
        assert [(f["WorkerId"], f["NotifyWorkersFailureCode"]) for f in answer["NotifyWorkersFailureStatuses"]] == [
            (BOB, "HardFailure")]
        assert [(n["WorkerId"], n["Subject"]) for n in fake.notifications] == [(ALICE, "New task")]

    @pytest.mark.parametrize(("change", "complaint"), [
        ({"WorkerIds": [f"A{n:05d}" for n in range(101)]}, "At most 100 workers"),
        ({"Subject": "x" * 201}, "parameter Subject"),
        ({"MessageText": "x" * 4097}, "parameter MessageText"),
    ])
    def test_notify_workers_limits_recipients_and_lengths(self, client, change, complaint):
        with pytest.raises(ClientError, match=complaint):
            client.notify_workers(**{"Subject": "s", "MessageText": "m", "WorkerIds": [ALICE], **change})


# ---------------------------------------------------------------------------------------------
# Qualifications


class TestQualificationTypes:
    def test_create_qualification_type_answers_its_properties(self, fake, client):
        created = client.create_qualification_type(
            Name="parley-onboarded", Description="Passed onboarding", Keywords="parley,onboarding",
            QualificationTypeStatus="Active", AutoGranted=True)["QualificationType"]
        assert {key: created[key] for key in ("Name", "QualificationTypeStatus", "IsRequestable", "AutoGranted",
                                              "AutoGrantedValue")} == {
            "Name": "parley-onboarded", "QualificationTypeStatus": "Active", "IsRequestable": True,
            "AutoGranted": True, "AutoGrantedValue": 1}
        assert client.get_qualification_type(QualificationTypeId=created["QualificationTypeId"])[
            "QualificationType"] == created
        assert list(fake.qualification_types) == [created["QualificationTypeId"]]

    def test_qualification_type_names_are_unique(self, client):
        qualification_type(client, "parley-soft-block")
        with pytest.raises(client.exceptions.RequestError, match="already created a QualificationType with this name"):
            qualification_type(client, "parley-soft-block")

    def test_a_qualification_test_can_not_be_auto_granted_and_needs_a_duration(self, client):
        base = {"Name": "quiz", "Description": "d", "QualificationTypeStatus": "Active", "Test": "<QuestionForm/>"}
        with pytest.raises(ClientError, match="parameter AutoGranted"):
            client.create_qualification_type(**base, AutoGranted=True, TestDurationInSeconds=60)
        with pytest.raises(ClientError, match="parameter TestDurationInSeconds"):
            client.create_qualification_type(**base)

    def test_system_qualification_types_are_known_but_not_ours(self, client):
        locale = client.get_qualification_type(QualificationTypeId=LOCALE_QUALIFICATION)["QualificationType"]
        assert (locale["Name"], locale["IsRequestable"]) == ("Worker_Locale", False)
        with pytest.raises(client.exceptions.RequestError, match="only its owner"):
            client.associate_qualification_with_worker(QualificationTypeId=LOCALE_QUALIFICATION, WorkerId=ALICE)
        with pytest.raises(client.exceptions.RequestError, match="QualificationType 3NOQUAL does not exist"):
            client.get_qualification_type(QualificationTypeId="3NOQUAL")

    def test_list_qualification_types_matches_query_ownership_and_requestability(self, client):
        qualification_type(client, "parley-soft-block")
        qualification_type(client, "parley-onboarded")

        def names(**params: Any) -> list[str]:
            answer = client.list_qualification_types(**{"MustBeRequestable": False, **params})
            return [qt["Name"] for qt in answer["QualificationTypes"]]

        assert names(MustBeOwnedByCaller=True) == ["parley-soft-block", "parley-onboarded"]
        assert names(MustBeOwnedByCaller=True, Query="SOFT") == ["parley-soft-block"]
        assert "Worker_Locale" in names(MaxResults=100)
        assert "Worker_Locale" not in names(MustBeRequestable=True)


class TestWorkerQualifications:
    def test_a_qualification_is_granted_scored_and_revoked(self, fake, client):
        type_id = qualification_type(client)
        client.associate_qualification_with_worker(QualificationTypeId=type_id, WorkerId=BOB, IntegerValue=7)
        score = client.get_qualification_score(QualificationTypeId=type_id, WorkerId=BOB)["Qualification"]
        assert (score["IntegerValue"], score["Status"]) == (7, "Granted")
        client.disassociate_qualification_from_worker(QualificationTypeId=type_id, WorkerId=BOB, Reason="Appeal")
        assert fake.qualifications[(type_id, BOB)]["Status"] == "Revoked"
        with pytest.raises(client.exceptions.RequestError, match="Qualification that does not exist"):
            client.disassociate_qualification_from_worker(QualificationTypeId=type_id, WorkerId=BOB)

    def test_the_score_of_a_worker_without_the_qualification_does_not_exist(self, client):
        type_id = qualification_type(client)
        with pytest.raises(client.exceptions.RequestError, match="You requested a Qualification that does not exist"):
            client.get_qualification_score(QualificationTypeId=type_id, WorkerId=ALICE)

    def test_the_integer_value_defaults_to_one(self, client):
        type_id = qualification_type(client)
        client.associate_qualification_with_worker(QualificationTypeId=type_id, WorkerId=ALICE)
        assert client.get_qualification_score(QualificationTypeId=type_id, WorkerId=ALICE)[
            "Qualification"]["IntegerValue"] == 1

    def test_list_workers_with_qualification_type_filters_by_status(self, client):
        type_id = qualification_type(client)
        for worker in (ALICE, BOB, CAROL):
            client.associate_qualification_with_worker(QualificationTypeId=type_id, WorkerId=worker)
        client.disassociate_qualification_from_worker(QualificationTypeId=type_id, WorkerId=BOB)

        def workers(**params: Any) -> list[str]:
            answer = client.list_workers_with_qualification_type(QualificationTypeId=type_id, **params)
            return [q["WorkerId"] for q in answer["Qualifications"]]

        assert workers() == [ALICE, BOB, CAROL]
        assert workers(Status="Granted") == [ALICE, CAROL]
        assert workers(Status="Revoked") == [BOB]


class TestQualificationRequirements:
    @pytest.mark.parametrize(("comparator", "value", "targets", "holds"), [
        ("Exists", 0, [], True),
        ("Exists", None, [], False),
        ("DoesNotExist", None, [], True),
        ("DoesNotExist", 1, [], False),
        ("LessThan", 4, [5], True),
        ("LessThan", 5, [5], False),
        ("LessThanOrEqualTo", 5, [5], True),
        ("GreaterThan", 5, [5], False),
        ("GreaterThanOrEqualTo", 5, [5], True),
        ("EqualTo", 5, [5], True),
        ("NotEqualTo", 5, [5], False),
        ("In", 2, [1, 2, 3], True),
        ("NotIn", 2, [1, 2, 3], False),
        ("NotIn", 4, [1, 2, 3], True),
        ("EqualTo", None, [5], False),
        ("NotEqualTo", None, [5], False),
        ("NotIn", None, [5], False),
    ])
    def test_comparators_and_a_missing_qualification_meeting_only_does_not_exist(self, comparator, value, targets,
                                                                                 holds):
        assert requirement_holds(comparator, value, targets) is holds

    @pytest.mark.parametrize(("worker", "required", "holds"), [
        ({"Country": "US", "Subdivision": "NY"}, {"Country": "US"}, True),
        ({"Country": "US", "Subdivision": "NY"}, {"Country": "US", "Subdivision": "NY"}, True),
        ({"Country": "US", "Subdivision": "NY"}, {"Country": "US", "Subdivision": "CA"}, False),
        ({"Country": "US"}, {"Country": "US", "Subdivision": "CA"}, False),
        ({"Country": "GB"}, {"Country": "US"}, False),
    ])
    def test_a_required_country_matches_all_of_its_subdivisions(self, worker, required, holds):
        assert locale_matches(worker, required) is holds

    def test_does_not_exist_keeps_a_soft_blocked_worker_out_until_the_qualification_is_revoked(self, fake, client):
        soft_block = qualification_type(client)
        client.associate_qualification_with_worker(QualificationTypeId=soft_block, WorkerId=BOB)
        hit_id = create_hit(client, MaxAssignments=2, QualificationRequirements=[
            {"QualificationTypeId": soft_block, "Comparator": "DoesNotExist", "ActionsGuarded": "DiscoverPreviewAndAccept"}])["HITId"]
        with pytest.raises(ActionRefused, match="does not meet the qualification requirements"):
            fake.accept(hit_id, BOB)
        fake.accept(hit_id, ALICE)
        client.disassociate_qualification_from_worker(QualificationTypeId=soft_block, WorkerId=BOB)
        fake.accept(hit_id, BOB)

    def test_an_integer_requirement_admits_only_workers_with_a_high_enough_score(self, fake, client):
        skill = qualification_type(client, "parley-skill")
        client.associate_qualification_with_worker(QualificationTypeId=skill, WorkerId=ALICE, IntegerValue=90)
        client.associate_qualification_with_worker(QualificationTypeId=skill, WorkerId=BOB, IntegerValue=50)
        hit_id = create_hit(client, MaxAssignments=3, QualificationRequirements=[
            {"QualificationTypeId": skill, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [80]}])["HITId"]
        fake.accept(hit_id, ALICE)
        for worker in (BOB, CAROL):
            with pytest.raises(ActionRefused):
                fake.accept(hit_id, worker)

    def test_a_locale_requirement_is_met_unless_the_worker_has_another_locale(self, fake, client):
        hit_id = create_hit(client, MaxAssignments=3, QualificationRequirements=[
            {"QualificationTypeId": LOCALE_QUALIFICATION, "Comparator": "In",
             "LocaleValues": [{"Country": "US"}, {"Country": "CA"}]}])["HITId"]
        fake.add_worker(BOB, locale="GB")
        fake.add_worker(CAROL, locale="US-NY")
        fake.accept(hit_id, ALICE)
        fake.accept(hit_id, CAROL)
        with pytest.raises(ActionRefused):
            fake.accept(hit_id, BOB)

    def test_system_qualifications_the_fake_does_not_model_are_met(self, fake, client):
        hit_id = create_hit(client, QualificationRequirements=[
            {"QualificationTypeId": "000000000000000000L0", "Comparator": "GreaterThanOrEqualTo",
             "IntegerValues": [95]}])["HITId"]
        fake.accept(hit_id, ALICE)


# ---------------------------------------------------------------------------------------------
# Worker blocks


class TestWorkerBlocks:
    def test_blocks_are_created_listed_and_deleted(self, fake, client):
        client.create_worker_block(WorkerId=BOB, Reason="Spam")
        client.create_worker_block(WorkerId=CAROL, Reason="Abuse")
        assert client.list_worker_blocks()["WorkerBlocks"] == [{"WorkerId": BOB, "Reason": "Spam"},
                                                               {"WorkerId": CAROL, "Reason": "Abuse"}]
        page = client.list_worker_blocks(MaxResults=1)
        assert (page["NumResults"], "NextToken" in page) == (1, True)
        client.delete_worker_block(WorkerId=BOB, Reason="Appeal granted")
        client.delete_worker_block(WorkerId=ALICE)
        assert fake.blocks == {CAROL: "Abuse"}

    def test_a_block_needs_a_reason(self, client):
        with pytest.raises(ParamValidationError):
            client.create_worker_block(WorkerId=BOB)
        with pytest.raises(ClientError, match="parameter Reason"):
            client.create_worker_block(WorkerId=BOB, Reason="")

    def test_a_blocked_worker_can_not_accept_until_unblocked(self, fake, client):
        hit_id = create_hit(client)["HITId"]
        client.create_worker_block(WorkerId=BOB, Reason="Spam")
        with pytest.raises(ActionRefused, match="blocked: Spam"):
            fake.accept(hit_id, BOB)
        client.delete_worker_block(WorkerId=BOB)
        fake.accept(hit_id, BOB)


# ---------------------------------------------------------------------------------------------
# Simulated workers and time


class TestWorkerSimulation:
    def test_accepting_takes_a_slot_until_none_are_left(self, fake, client):
        hit_id = create_hit(client, MaxAssignments=2)["HITId"]
        fake.accept(hit_id, ALICE)
        fake.accept(hit_id, BOB)
        hit = client.get_hit(HITId=hit_id)["HIT"]
        assert (hit["HITStatus"], hit["NumberOfAssignmentsAvailable"], hit["NumberOfAssignmentsPending"]) == (
            "Unassignable", 0, 2)
        with pytest.raises(ActionRefused, match="no assignments available"):
            fake.accept(hit_id, CAROL)

    def test_concurrent_accepts_never_hand_out_more_slots_than_the_hit_has(self, fake, client):
        hit_id = create_hit(client, MaxAssignments=5)["HITId"]
        accepted: list[str] = []

        def try_accept(worker: str) -> None:
            with contextlib.suppress(ActionRefused):
                accepted.append(fake.accept(hit_id, worker))

        threads = [threading.Thread(target=try_accept, args=(f"A{n:04d}",)) for n in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(accepted) == 5

    def test_a_worker_can_not_hold_two_assignments_of_one_hit(self, fake, client):
        hit_id = create_hit(client, MaxAssignments=2)["HITId"]
        fake.accept(hit_id, ALICE)
        with pytest.raises(ActionRefused, match="already has an assignment"):
            fake.accept(hit_id, ALICE)

    def test_a_returned_assignment_frees_its_slot_even_for_the_same_worker(self, fake, client):
        hit_id = create_hit(client)["HITId"]
        assignment_id = fake.accept(hit_id, ALICE)
        fake.return_assignment(assignment_id)
        assert fake.assignments[assignment_id]["AssignmentStatus"] == "Returned"
        assert client.get_hit(HITId=hit_id)["HIT"]["NumberOfAssignmentsAvailable"] == 1
        assert fake.accept(hit_id, ALICE) != assignment_id

    def test_an_abandoned_assignment_frees_its_slot_and_can_not_be_submitted(self, fake, client):
        hit_id = create_hit(client)["HITId"]
        assignment_id = fake.accept(hit_id, ALICE)
        fake.abandon(assignment_id)
        with pytest.raises(ActionRefused, match="is Abandoned"):
            fake.submit(assignment_id)
        fake.accept(hit_id, BOB)

    def test_an_assignment_is_abandoned_when_its_duration_passes(self, fake, client):
        hit_id = create_hit(client, AssignmentDurationInSeconds=60)["HITId"]
        assignment_id = fake.accept(hit_id, ALICE)
        fake.advance(60)
        assert fake.assignments[assignment_id]["AssignmentStatus"] == "Abandoned"
        assert client.get_hit(HITId=hit_id)["HIT"]["HITStatus"] == "Assignable"

    def test_the_submitted_answer_becomes_question_form_answers(self, fake, client):
        hit_id = create_hit(client)["HITId"]
        assignment_id = fake.accept(hit_id, ALICE)
        fake.submit(assignment_id, {"feedback": "Fun <task> & nice partner"})
        answer = client.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]
        assert "<QuestionIdentifier>feedback</QuestionIdentifier>" in answer
        assert "<FreeText>Fun &lt;task&gt; &amp; nice partner</FreeText>" in answer

    def test_submitted_work_is_approved_and_paid_automatically_after_the_delay(self, fake, client):
        _, assignment_id = submitted_work(fake, client, AutoApprovalDelayInSeconds=3600)
        fake.advance(3599)
        assert fake.assignments[assignment_id]["AssignmentStatus"] == "Submitted"
        fake.advance(1)
        assignment = client.get_assignment(AssignmentId=assignment_id)["Assignment"]
        assert assignment["AssignmentStatus"] == "Approved"
        assert assignment["ApprovalTime"] == assignment["AutoApprovalTime"]
        assert fake.balance == Decimal("9999.40")

    def test_hooks_refuse_unknown_hits_and_assignments_and_odd_worker_ids(self, fake, client):
        with pytest.raises(ActionRefused, match="does not exist"):
            fake.accept("3NOSUCHHIT", ALICE)
        with pytest.raises(ActionRefused, match="does not exist"):
            fake.submit("3NOSUCHASSIGNMENT")
        with pytest.raises(ValueError, match="not shaped like an MTurk worker id"):
            fake.accept(create_hit(client)["HITId"], "worker-1")
        with pytest.raises(ValueError, match="not an ISO 3166 country code"):
            fake.add_worker(ALICE, locale="usa")

    def test_the_fake_clock_only_moves_forward(self, fake):
        before = fake.now()
        fake.advance(DAY)
        assert fake.now() - before >= timedelta(seconds=DAY)
        with pytest.raises(ValueError):
            fake.advance(-1)


# ---------------------------------------------------------------------------------------------
# Injected faults


class TestFaults:
    def test_a_fault_fails_the_next_call_without_effect(self, fake):
        client = fake.client(NO_RETRIES)
        fake.fail_next("CreateHIT", "ServiceFault")
        with pytest.raises(client.exceptions.ServiceFault):
            create_hit(client)
        assert fake.hits == {}
        create_hit(client)
        assert len(fake.hits) == 1

    def test_an_after_effect_fault_pays_the_bonus_though_the_call_errors(self, fake):
        client = fake.client(NO_RETRIES)
        _, assignment_id = submitted_work(fake, client)
        fake.fail_next("SendBonus", "ServiceFault", after_effect=True)
        with pytest.raises(client.exceptions.ServiceFault):
            client.send_bonus(WorkerId=ALICE, AssignmentId=assignment_id, BonusAmount="1.00", Reason="Great chat",
                              UniqueRequestToken="parley-bonus-7")
        assert [b["UniqueRequestToken"] for b in fake.bonuses] == ["parley-bonus-7"]
        assert fake.balance == Decimal("9998.80")

    def test_a_retry_with_the_same_token_after_a_lost_answer_is_refused_and_pays_nothing(self, fake):
        client = fake.client(NO_RETRIES)
        _, assignment_id = submitted_work(fake, client)
        bonus = {"WorkerId": ALICE, "AssignmentId": assignment_id, "BonusAmount": "1.00", "Reason": "Great chat",
                 "UniqueRequestToken": "parley-bonus-7"}
        fake.fail_next("send_bonus", DROP_CONNECTION, after_effect=True)
        with pytest.raises(ConnectionClosedError):
            client.send_bonus(**bonus)
        with pytest.raises(client.exceptions.RequestError, match="has already been processed"):
            client.send_bonus(**bonus)
        assert len(fake.bonuses) == 1
        assert fake.balance == Decimal("9998.80")

    def test_botocore_retries_a_dropped_connection_and_then_hears_the_token_was_used(self, fake, client):
        _, assignment_id = submitted_work(fake, client)
        fake.fail_next("SendBonus", DROP_CONNECTION, after_effect=True)
        with pytest.raises(client.exceptions.RequestError, match="has already been processed"):
            client.send_bonus(WorkerId=ALICE, AssignmentId=assignment_id, BonusAmount="1.00", Reason="Great chat",
                              UniqueRequestToken="parley-bonus-7")
        assert len(fake.calls_of("SendBonus")) == 2
        assert len(fake.bonuses) == 1

    def test_throttling_is_retried_by_botocore(self, fake, client):
        fake.fail_next("GetAccountBalance", "ThrottlingException")
        answer = client.get_account_balance()
        assert answer["ResponseMetadata"]["RetryAttempts"] == 1
        assert len(fake.calls_of("GetAccountBalance")) == 2

    def test_throttling_past_the_retry_budget_reaches_the_caller(self, fake):
        client = fake.client(Config(retries={"mode": "standard", "total_max_attempts": 2}))
        fake.fail_next("GetAccountBalance", "ThrottlingException", times=2)
        with pytest.raises(ClientError) as excinfo:
            client.get_account_balance()
        assert error_of(excinfo) == ("ThrottlingException", "Rate exceeded")
        assert client.get_account_balance()["AvailableBalance"] == "10000.00"

    def test_service_unavailable_answers_a_503(self, fake):
        client = fake.client(NO_RETRIES)
        fake.fail_next("ListHITs", "ServiceUnavailable")
        with pytest.raises(ClientError) as excinfo:
            client.list_hits()
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert error_of(excinfo)[0] == "ServiceUnavailable"

    def test_faults_apply_to_their_operation_only_and_count_down(self, fake):
        client = fake.client(NO_RETRIES)
        fake.fail_next("ListHITs", "RequestError", times=2)
        client.get_account_balance()
        for _ in range(2):
            with pytest.raises(client.exceptions.RequestError):
                client.list_hits()
        client.list_hits()
        assert [name for name, _ in fake.calls] == ["GetAccountBalance", "ListHITs", "ListHITs", "ListHITs"]

    def test_calls_record_every_request_with_its_parameters(self, fake, client):
        client.list_hits(MaxResults=5)
        assert fake.calls == [("ListHITs", {"MaxResults": 5})]

    def test_fail_next_refuses_unknown_operations_and_faults(self, fake):
        with pytest.raises(ValueError, match="does not implement 'ListReviewableHITs'"):
            fake.fail_next("ListReviewableHITs")
        with pytest.raises(ValueError, match="unknown fault"):
            fake.fail_next("SendBonus", "Timeout")


# ---------------------------------------------------------------------------------------------
# Running standalone


def test_the_module_serves_standalone_on_the_given_port_until_terminated():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.mturk_server", "--port", str(port),
                                "--balance", "5"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == f"FakeMTurk listening on http://127.0.0.1:{port}\n"
        client = boto3.client("mturk", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                              aws_access_key_id="x", aws_secret_access_key="x")
        assert client.get_account_balance()["AvailableBalance"] == "5.00"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
