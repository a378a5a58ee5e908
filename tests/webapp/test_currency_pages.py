"""Money on the dashboard is shown in its run's currency (a Prolific study pays in its
account's, here pounds), amounts of two currencies are never added together (the payments
page totals each currency apart), and the runs, run, payments and worker pages use the
marketplace's own words for its ids and statuses. The store is built by the handler's
writers; no marketplace is asked."""
from __future__ import annotations

import re

import pytest

from tests.support.builders import completed_conversation


def approved(handler, built, n):
    handler.log_approve_assignment(built.assignments[n])


@pytest.fixture
def pounds(handler):
    """A live Prolific run paid in GBP: P1's submission approved with a £1.25 bonus paid, P2's
    submitted and waiting for review."""
    built = completed_conversation(handler, provider="prolific", workers=("P1", "P2"), conversation_id="c_gbp")
    handler.log_run_currency(built.run_id, "GBP")
    approved(handler, built, 0)
    handler.log_award_amount("P1", built.assignments[0], "1.25", "Thanks")
    handler.log_bonus_paid("P1", built.assignments[0])
    handler.log_submit_assignment("P2", built.assignments[1])
    return built


@pytest.fixture
def dollars(handler):
    """A live MTurk run in USD: both assignments approved, W1 awarded a $0.30 bonus not paid yet;
    and a sandbox MTurk run with one approval (not real money, so never in the live totals)."""
    built = completed_conversation(handler, provider="mturk", conversation_id="c_usd")
    approved(handler, built, 0)
    approved(handler, built, 1)
    handler.log_award_amount("W1", built.assignments[0], "0.30", "Nice")
    sandbox = completed_conversation(handler, provider="mturk", is_sandbox=True, workers=("W8", "W9"),
                                     conversation_id="c_sbx")
    approved(handler, sandbox, 0)
    return built


def html(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_the_payments_page_totals_each_currency_apart(client, pounds, dollars):
    twin = client.get("/payments.json").get_json()
    assert twin["is_sandbox"] is False
    assert twin["currencies"] == [
        {"currency": "GBP", "runs": 1, "base_paid_cents": 50, "base_owed_cents": 50, "bonus_paid_cents": 125,
         "bonus_unpaid_cents": 0, "paid_cents": 175, "owed_cents": 50},
        {"currency": "USD", "runs": 1, "base_paid_cents": 100, "base_owed_cents": 0, "bonus_paid_cents": 0,
         "bonus_unpaid_cents": 30, "paid_cents": 100, "owed_cents": 30},
    ]
    page = html(client, "/payments")
    rows = dict(re.findall(r'<tr data-currency="(\w+)">(.*?)</tr>', page, re.S))
    assert re.findall(r'<td class="num">([^<]*)</td>', rows["GBP"]) == [
        "1", "£0.50", "£0.50", "£1.25", "£0.00", "£1.75", "£0.50"]
    assert re.findall(r'<td class="num">([^<]*)</td>', rows["USD"]) == [
        "1", "$1.00", "$0.00", "$0.00", "$0.30", "$1.00", "$0.30"]
    assert "$2.75" not in page and "£2.75" not in page  # £1.75 + $1.00 is no amount at all
    sandbox = client.get("/payments.json?sandbox=1").get_json()["currencies"]
    assert [(c["currency"], c["runs"], c["paid_cents"]) for c in sandbox] == [("USD", 1, 50)]
    assert client.get("/payments.json?sandbox=maybe").status_code == 400


def test_the_runs_page_shows_each_runs_money_in_its_currency(client, pounds, dollars):
    runs = {r["run_id"]: r for r in client.get("/index.json").get_json()["runs"]}
    assert (runs[pounds.run_id]["currency"], runs[dollars.run_id]["currency"]) == ("GBP", "USD")
    page = html(client, "/")
    gbp_row = re.search(rf'{pounds.run_id}</a>.*?</tr>', page, re.S).group(0)
    usd_row = re.search(rf'{dollars.run_id}</a>.*?</tr>', page, re.S).group(0)
    assert re.findall(r'<td class="num">([£$][^<]*)</td>', gbp_row) == ["£1.75", "£0.50"]
    assert re.findall(r'<td class="num">([£$][^<]*)</td>', usd_row) == ["$1.00", "$0.30"]


def test_a_prolific_runs_page_speaks_of_studies_submissions_and_participants_in_pounds(client, pounds):
    page = html(client, f"/runs/{pounds.run_id}")
    assert "reward £0.50" in page and "£1.75</span><span class=\"stat__label\">paid · £0.50 owed" in page
    assert "<h2>Submission statuses</h2>" in page and "<h2>Study statuses</h2>" in page
    assert "<th>Participants</th>" in page and "$" not in page
    assert re.search(r'status--submitted">submitted</span> <span class="muted"[^>]*>AWAITING REVIEW</span>', page)
    assert re.search(r'status--approved">approved</span> <span class="muted"[^>]*>APPROVED</span>', page)
    assert re.search(r'Assignable <span class="muted"[^>]*>ACTIVE</span>', page)


def test_an_mturk_runs_page_keeps_its_own_words_and_dollars(client, dollars):
    page = html(client, f"/runs/{dollars.run_id}")
    assert "reward $0.50" in page and "<h2>Assignment statuses</h2>" in page and "<h2>HIT statuses</h2>" in page
    assert "<th>Workers</th>" in page and "£" not in page and "AWAITING REVIEW" not in page


def test_a_prolific_runs_payments_page_is_in_pounds(client, pounds):
    payments = client.get(f"/runs/{pounds.run_id}/payments.json").get_json()["payments"]
    assert (payments["currency"], payments["bonus_paid_cents"]) == ("GBP", 125)
    page = html(client, f"/runs/{pounds.run_id}/payments")
    assert "Reward £0.50 per submission · paid in GBP" in page
    assert re.findall(r'stat__value">([^<]*)<', page) == ["£0.50", "£0.50", "£1.25", "£0.00"]
    assert "$" not in page


def test_a_participants_page_shows_their_submissions_and_earnings_in_pounds(client, pounds):
    page = html(client, "/workers/P1")
    assert "a participant of prolific" in page and "<th>Submission</th>" in page
    assert "£1.25 paid" in page and "earned in GBP" in page and "£1.75" in page and "$" not in page
    assert re.search(r'status--approved">approved</span> <span class="muted"[^>]*>APPROVED</span>', page)
    assert client.get("/workers/P1.json").get_json()["worker"]["earned"] == {"GBP": 175}


def test_a_worker_paid_in_two_currencies_sees_each_apart(client, handler, pounds):
    usd = completed_conversation(handler, provider="local", workers=("P1", "W2"), conversation_id="c_loc")
    approved(handler, usd, 0)
    summary = client.get("/workers/P1.json").get_json()["worker"]
    assert summary["earned"] == {"GBP": 175, "USD": 50}
    page = html(client, "/workers/P1")
    assert re.findall(r'stat__value">([^<]*)</span><span class="stat__label">earned in (\w+)', page) == [
        ("£1.75", "GBP"), ("$0.50", "USD")]


def test_a_prolific_conversation_shows_bonuses_in_pounds_and_asks_for_them_in_pounds(client, pounds):
    page = html(client, f"/runs/{pounds.run_id}/conversations/{pounds.conversation_id}")
    assert "bonus £1.25 paid" in page
    assert 'placeholder="£" inputmode="decimal" size="5" aria-label="Bonus amount in GBP"' in page
    assert 'placeholder="bonus £"' in page and "$" not in page
