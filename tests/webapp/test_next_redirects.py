"""Where the login and a review form send the reviewer next is a path on this site, however
the `next` address is dressed up: encoded tabs, a second slash, backslashes, a scheme, control
characters, whitespace. Anything that is not a bare path goes to the runs page."""
from urllib.parse import quote

import pytest

from tests.support.builders import completed_conversation
from tests.webapp.conftest import log_in

OFF_SITE = [
    "/\t/evil.example", "//evil.example", "///evil.example", "\\\\evil.example", "/\\evil.example",
    "https://evil.example/", "https:/evil.example", "https:evil.example", "javascript:alert(1)",
    "JavaScript:alert(1)", "\r\n//evil.example", " //evil.example", "\x00//evil.example",
    "/\x0b/evil.example", "\u200b//evil.example", "/\u202e/evil.example", "\t", "http://[evil",
    "evil.example", "",
]
"""Each `next` as the view receives it (decoded). Browsers drop the tabs, newlines and other
invisible characters, so most of these are `//evil.example` to them: another host (and so are
`///evil.example`, and `https:/evil.example` on a page served over http)."""
IN_THE_QUERY = {
    "%09 in the path": "/%09/evil.example",
    "a second slash": "//evil.example",
    "two backslashes": "%5C%5Cevil.example",
    "a backslash after the slash": "/%5Cevil.example",
    "https:": "https://evil.example",
    "javascript:": "javascript:alert(1)",
    "a newline": "%0A//evil.example",
    "a space": "%20//evil.example",
    "a NUL": "%00//evil.example",
}
"""Each `?next=` as an attacker writes it into a link to the login page."""


@pytest.mark.parametrize("query", IN_THE_QUERY.values(), ids=IN_THE_QUERY.keys())
def test_login_never_sends_the_reviewer_off_site(anonymous, query):
    response = log_in(anonymous, next_path=query)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_with_any_next_that_is_not_a_bare_path_goes_to_the_runs_page(anonymous, target):
    response = log_in(anonymous, next_path=quote(target, safe=""))
    assert response.headers["Location"] == "/"


def test_login_goes_back_to_the_page_asked_for_without_the_blanks_around_it(anonymous, handler):
    built = completed_conversation(handler, provider="local")
    asked = f"/runs/{built.run_id}?after=abc%3D&unreviewed=1"
    response = log_in(anonymous, next_path=quote(f"\t {asked} \r\n", safe=""))
    assert response.headers["Location"] == asked


@pytest.fixture
def approve(client, handler):
    """Post the approve form of a real assignment with a `next`; answers the response."""
    assignment = completed_conversation(handler, provider="local").assignments[0]

    def post(target: str):
        return client.post(f"/assignments/{assignment}/approve", data={"csrf_token": client.csrf, "next": target})

    return post


@pytest.mark.parametrize("target", OFF_SITE)
def test_a_review_form_never_sends_the_reviewer_off_site(approve, target):
    response = approve(target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_review_form_goes_back_to_its_page_with_odd_characters_encoded(approve):
    back = "/runs/a run/conversations/t 1?after=é"
    response = approve(back)
    assert response.status_code == 303
    assert response.headers["Location"] == "/runs/a%20run/conversations/t%201?after=%C3%A9"
