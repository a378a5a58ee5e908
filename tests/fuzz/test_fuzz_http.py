"""Thousands of generated requests to every route of the reviewer's webapp, JSON twins and
POST actions included, as a logged-in reviewer with a valid CSRF token: ids that do not
exist, SQL, path traversal, huge strings and odd unicode, bad cursors and limits, bad bonus
amounts and wrong JSON bodies; and to the workers' chat page with fuzzed query arguments.
No request gets a 5xx, every refusal is a 4xx with a sentence (a JSON `error` for a `.json`
twin, an HTML page otherwise), and only requests that may change the store change it."""
from __future__ import annotations

import base64
import json
import os
import re
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crowd.review import MAX_REASON_CHARS
from datastore.money import MAX_CENTS
from tests.fuzz.conftest import FUZZ
from tests.support.builders import Built, completed_conversation
from tests.support.live_runner import LiveRunner
from tests.webapp.conftest import PASSWORD, logged_in_client
from webapp import create_app
from webapp.review_pages import ACTIONS, MAX_BULK

REQUESTS_PER_EXAMPLE = 5
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class Site:
    """The webapp under test, one real completed run in its store, and a running test run."""
    app: Any
    client: Any
    built: Built
    live_run: str
    hits: list[str]
    agent_ids: list[str]
    sent: int = 0
    answered: dict[int, int] = field(default_factory=dict)

    @property
    def handler(self) -> Any:
        return self.app.extensions["parley"].handler

    def rules(self, *methods: str) -> list[Any]:
        return sorted((r for r in self.app.url_map.iter_rules() if set(methods) & r.methods),
                      key=lambda r: r.rule)


@pytest.fixture(scope="module")
def site(module_store_url, tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PARLEY_CONFIG", str(tmp_path_factory.mktemp("config") / "webapp.json"))
        env.delenv("PARLEY_ADMIN_PASSWORD", raising=False)
        # Not in testing mode: errors take the path they take in production. The login fuzzing
        # sends more wrong passwords than the throttle lets through (its own tests pin it).
        app = create_app({"DATABASE_URL": module_store_url, "ADMIN_PASSWORD": PASSWORD, "SECRET_KEY": "fuzz",
                          "LOGIN_LIMIT_PER_ADDRESS": 10**6, "LOGIN_LIMIT_OVERALL": 10**6})
    client = logged_in_client(app)
    built = completed_conversation(app.extensions["parley"].handler, provider="local")
    started = client.post("/app/tasks/qa_data_collection/start",
                          headers={"X-CSRF-Token": client.csrf, "Accept": "application/json"})
    assert started.status_code == 201, started.get_data(as_text=True)
    manager = app.extensions["parley"].hub.get(started.get_json()["run_id"])
    yield Site(app, client, built, manager.run_id, list(manager.provider.hit_ids), list(manager.task.agent_ids))
    for manager in app.extensions["parley"].test_runs():
        manager.shutdown()


# What requests are made of ------------------------------------------------------------------

CHARS = st.characters(exclude_categories=("Cs",))  # a URL or form cannot carry a lone surrogate
SQL = ["' OR 1=1 --", "1; DROP TABLE runs; --", '" OR ""="', "%' --", "1 UNION SELECT * FROM assignments",
       "t_1' AND '1'='1", "\\'; SELECT pg_sleep(5); --"]
TRAVERSAL = ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd", "....//....//etc/passwd", "..",
             ".", "..;/..;/etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%252f..%252fetc%252fpasswd"]
RAW_SEGMENTS = ["..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd", "../../etc/passwd", "%ff%fe", "%c0%ae%c0%ae",
                "%ed%a0%80", "%00", "a%00b", "%", "%zz", "/", "//", "x/../../y", "%E2%80%AE", "%u2215"]
"""Written into the path as they are, not quoted: encodings and decodings are the attack."""
ODD = ["a\x00b", "\x00", "\u202eevil", "\ufeff", "\u200b", "Ａ", "İ", "ß", "🙂" * 3, "\r\nSet-Cookie: x=1",
       "<script>alert(1)</script>", "{{7*7}}", "${7*7}", "null", "undefined", "None", "NaN", "-1", "0",
       "99999999999999999999999", "1e309", " ", "\t"]
fuzz_ids = st.one_of(
    st.text(CHARS, min_size=1, max_size=20), st.sampled_from(SQL + TRAVERSAL + ODD), st.integers().map(str),
    st.integers(1_000, 100_000).map(lambda n: "x" * n), st.integers(100, 2_000).map(lambda n: "é🙂" * n),
)
keys = st.text(CHARS, max_size=6)
numbers = st.integers() | st.floats()
json_values = st.recursive(st.none() | st.booleans() | numbers | st.text(CHARS, max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
                           max_leaves=4)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


wide_ints = st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30, -(10**30)])
odd_strings = st.one_of(st.text(CHARS, max_size=10), st.sampled_from(["\x00", "a\x00b", "' OR 1=1 --", "x" * 5000]))
cursor_parts = st.one_of(numbers, wide_ints, odd_strings, st.none(), st.booleans(), st.lists(st.integers(), max_size=2))
cursors = st.one_of(
    st.text(CHARS, max_size=30), st.sampled_from(["=", "====", "!!!", "%", "a b", "\x00", "null", "[]"]),
    st.binary(max_size=30).map(b64), json_values.map(b64json),
    st.tuples(st.sampled_from(["runs", "conversations", "worker_assignments", "x", ""]),
              st.lists(cursor_parts, max_size=3)).map(lambda p: b64json([p[0], *p[1]])),
    # nearly a cursor this app makes: the right kind and shape, a value the database cannot take
    st.one_of(st.integers(), wide_ints).map(lambda n: b64json(["conversations", n])),
    st.tuples(st.sampled_from(["runs", "worker_assignments"]), numbers | wide_ints, odd_strings).map(
        lambda p: b64json(list(p))),
    st.sampled_from([1_000, 3_000, 20_000]).map(lambda n: b64(b"[" * n + b"]" * n)),
    st.integers(1_000, 50_000).map(lambda n: "A" * n),
)
limits = st.one_of(
    st.integers().map(str), st.sampled_from(["", "0", "-1", "501", "1e309", "NaN", "inf", "1.5", " 5", "5\x00",
                                             "0x10", "١٢", "9" * 5000, "true", "[]"]),
)
flags = st.one_of(st.sampled_from(["", "0", "1", "true", "false", "yes", "TRUE", "2", "-1"]), st.text(CHARS, max_size=5))
QUERY = {
    "after": cursors, "limit": limits, "status": st.one_of(st.sampled_from(["running", "completed", "stopped"]),
                                                           st.text(CHARS, max_size=10)),
    "task": fuzz_ids, "provider": fuzz_ids, "sandbox": flags, "tests": flags, "unreviewed": flags,
    "run": fuzz_ids, "next": st.sampled_from(["//evil.example", "https://evil.example", "/\\evil", "javascript:1"]),
}
queries = st.tuples(st.fixed_dictionaries({}, optional=QUERY), st.lists(st.tuples(keys, st.text(CHARS, max_size=10)),
                                                                       max_size=2)).map(lambda p: [*p[0].items(), *p[1]])
accepts = st.sampled_from(["text/html", "application/json", "*/*", None, "application/json;q=0.1, text/html"])


@dataclass(frozen=True)
class Segment:
    value: str
    raw: bool = False  # written as is (already percent-encoded, or meant to be normalised)

    def __str__(self) -> str:
        return self.value if self.raw else quote(self.value, safe="")


segments = st.one_of(fuzz_ids.map(Segment), st.sampled_from(RAW_SEGMENTS).map(lambda v: Segment(v, raw=True)))


def fill(rule: Any, values: dict[str, Segment]) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def real_segments(site: Site) -> dict[str, list[str]]:
    """Values of each path argument that name something real."""
    built = site.built
    return {"run_id": [built.run_id, site.live_run], "conversation_id": [built.conversation_id],
            "worker_id": list(built.workers), "assignment_id": list(built.assignments), "action": list(ACTIONS),
            "task_name": ["qa_data_collection", "dealnodeal"], "filename": ["dashboard.css", "chat.js"]}


@st.composite
def path_for(draw: st.DrawFn, site: Site, rule: Any) -> str:
    real = real_segments(site)
    values = {}
    for name in rule.arguments:
        choices = [segments] + ([st.sampled_from(real[name]).map(Segment)] if name in real else [])
        values[name] = draw(st.one_of(*choices))
    return fill(rule, values)


# What every answer must look like -------------------------------------------------------------

HTML_MESSAGES = [
    re.compile(r"<h1>(\d{3})</h1>\s*<p>([^<]+)</p>"),                          # the dashboard's error page
    re.compile(r'<p class="parley-refused__reason">([^<]+)</p>'),                # a worker's refused page
    re.compile(r'<p class="error" role="alert">([^<]+)</p>'),                    # the login form
    re.compile(r"<title>\d{3} [^<]+</title>\s*<h1>[^<]+</h1>\s*<p>([^<]+)</p>"),  # werkzeug's own (runner)
]


def refusal_message(response: Any) -> str:
    if response.mimetype == "application/json":
        body = response.get_json()
        if "results" in body:  # a review action: one sentence per assignment
            return " ".join(r["message"] for r in body["results"] if isinstance(r.get("message"), str))
        return body.get("error") if isinstance(body.get("error"), str) else ""
    html = response.get_data(as_text=True)
    for pattern in HTML_MESSAGES:
        if match := pattern.search(html):
            return match.groups()[-1]
    return ""


def check_answer(site: Site, method: str, path: str, response: Any) -> None:
    site.sent += 1
    status = response.status_code
    site.answered[status] = site.answered.get(status, 0) + 1
    shown = f"{method} {path[:200]} -> {status}: {response.get_data(as_text=True)[:300]}"
    assert status < 500, shown
    if 300 <= status < 400:
        assert response.headers.get("Location"), shown
    if status >= 400 and method != "HEAD":
        assert refusal_message(response).strip(), f"a refusal without a sentence: {shown}"
        if path.split("?")[0].endswith(".json"):
            assert response.mimetype == "application/json", f"a .json twin answered HTML: {shown}"


def snapshot(site: Site) -> dict[str, Any]:
    """Everything a request of the reviewer could change (the test runs' assignments move on
    their own, as their workers come and go)."""
    handler, built = site.handler, site.built
    return {
        "runs": [r["run_id"] for r in handler.get_all_run_data()],
        "assignments": [(a["assignment_id"], a["status"]) for a in handler.get_assignments_for_run(built.run_id)],
        "review_actions": [a.as_dict() for a in handler.get_review_actions()],
        "pairings": [p.as_dict() for p in handler.get_pairings_for_run(built.run_id)],
        "blocks": [b.as_dict() for w in built.workers for b in handler.get_blocks_for_worker(w, active_only=False)],
        "qualifications": [q.as_dict() for w in built.workers for q in handler.get_worker_qualifications(w)],
    }


# Reading: every page and twin with fuzzed ids and query arguments ---------------------------

@st.composite
def page_requests(draw: st.DrawFn, site: Site, rules: list[Any]) -> tuple[str, str, Any, Any, Any]:
    rule = draw(st.sampled_from(rules))
    method = draw(st.sampled_from(["GET"] * 6 + ["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "POST"]))
    return (method, draw(path_for(site, rule)), draw(queries), draw(accepts), rule.rule)


def test_every_page_and_twin_answers_fuzzed_ids_and_arguments_without_a_5xx_or_a_change(site):
    rules = site.rules("GET")
    before, asked = snapshot(site), set()
    found_by_fuzzing = [  # each once answered 500; kept so they run whatever is generated
        ("GET", "/index.json", [("after", b64(b"[" * 5_000 + b"]" * 5_000))], None, "/index.json"),
        ("GET", f"/runs/{site.built.run_id}.json", [("after", b64json(["conversations", 10**30]))], None,
         "/runs/<run_id>.json"),
        ("GET", "/index.json", [("after", b64json(["runs", 1.0, "a\x00b"]))], None, "/index.json"),  # PostgreSQL
        ("GET", "/runs/a%00b", [("task", "\x00")], "text/html", "/runs/<run_id>"),  # PostgreSQL
    ]

    real = real_segments(site)
    every_route_once = [  # the generated requests need not fall on every one of the many routes
        ("GET", fill(rule, {name: Segment((real.get(name) or ["x"])[0]) for name in rule.arguments}), [], None,
         rule.rule) for rule in rules]

    @settings(FUZZ, max_examples=300)
    @example(found_by_fuzzing)
    @example(every_route_once)
    @given(st.lists(page_requests(site, rules), min_size=REQUESTS_PER_EXAMPLE, max_size=REQUESTS_PER_EXAMPLE))
    def pages(requests):
        for method, path, query, accept, rule in requests:
            headers = {"Accept": accept} if accept else {}
            if method in UNSAFE:
                headers["X-CSRF-Token"] = site.client.csrf  # past CSRF: the method itself is wrong here
            response = site.client.open(path, method=method, query_string=query, headers=headers)
            check_answer(site, method, path, response)
            asked.add(rule)

    pages()
    assert asked == {r.rule for r in rules}, "some routes were never asked"
    assert snapshot(site) == before
    assert site.client.get("/").status_code == 200, "the reviewer was logged out"


# Acting: review actions with input that must be refused ------------------------------------

blank_reasons = st.one_of(st.text(st.sampled_from(" \t\r\n\u3000\xa0"), max_size=4), st.sampled_from(
    [None, 0, False, [], {}, 0.0]))
long_reasons = st.integers(MAX_REASON_CHARS + 1, 3 * MAX_REASON_CHARS).map(lambda n: "r" * n)
no_digits = st.text(st.sampled_from(string.ascii_letters + string.punctuation + " é€$"), max_size=12)
invalid_amounts = st.one_of(
    st.integers(max_value=0), st.floats(max_value=0, allow_nan=False), st.integers(min_value=MAX_CENTS // 100 + 1),
    st.floats(min_value=MAX_CENTS / 100 + 0.01), st.just(float("nan")), st.booleans(), st.none(),
    st.lists(st.integers(1, 10), max_size=2), st.dictionaries(keys, st.integers(1, 10), max_size=2),
    st.integers(max_value=0).map(str), st.integers(min_value=MAX_CENTS // 100 + 1).map(str), no_digits,
    st.sampled_from(["1e309", "1e-999999999", "NaN", "sNaN", "-Infinity", "Infinity", "0.001", "1.005", "0.00",
                     "-0", "$-5", "$0", "−5", "1,000", "0x10", "١", "5 5", "5\x00", "' OR 1=1 --", "100000.01",
                     "9" * 5000]),
)
absurd_amounts = st.tuples(st.sampled_from(["", "-", "$", "9"]), st.sampled_from([6, 999_998, 999_999_999, 10**18])).map(
    lambda p: f"{p[0]}1e{p[1]}")  # most beyond what Decimal can multiply by 100
valid_amounts = st.sampled_from(["1", "0.50", 2, 1.25, "$3"])
reasons = st.one_of(st.text(CHARS, max_size=20), blank_reasons, long_reasons)


def refused_fields(action: str) -> st.SearchStrategy[dict[str, Any]]:
    """Inputs with which `action` on a real assignment must be refused."""
    if action == "bonus":
        return st.one_of(st.fixed_dictionaries({"amount": invalid_amounts}, optional={"reason": reasons}),
                         st.fixed_dictionaries({"amount": absurd_amounts, "reason": st.just("Great work")}),
                         st.fixed_dictionaries({"amount": valid_amounts, "reason": st.one_of(blank_reasons, long_reasons)}))
    if action == "approve":
        return st.fixed_dictionaries({"reason": long_reasons}, optional={"override": json_values})
    return st.fixed_dictionaries({"reason": st.one_of(blank_reasons, long_reasons)})


def any_fields() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={"reason": reasons, "amount": st.one_of(invalid_amounts, valid_amounts),
                                               "override": json_values, "next": fuzz_ids})


@dataclass(frozen=True)
class Post:
    path: str
    body: Any  # a dict (sent as JSON or as a form), or anything else (sent as JSON)
    as_form: bool = False
    raw: bytes | None = None  # sent as is, with a JSON content type


def fake_ids(site: Site) -> st.SearchStrategy[str]:
    return fuzz_ids.filter(lambda i: i not in site.built.assignments)


@st.composite
def action_posts(draw: st.DrawFn, site: Site) -> Post:
    real = draw(st.booleans())
    assignment = draw(st.sampled_from(site.built.assignments)) if real else draw(fake_ids(site))
    action = draw(st.sampled_from(ACTIONS)) if draw(st.integers(0, 4)) else draw(fuzz_ids)
    fields = draw(refused_fields(action) if real and action in ACTIONS else any_fields())
    return Post(f"/assignments/{quote(assignment, safe='')}/{quote(action, safe='')}", fields,
                as_form=draw(st.booleans()) and all(isinstance(v, str) for v in fields.values()))


@st.composite
def bulk_posts(draw: st.DrawFn, site: Site) -> Post:
    action = draw(st.one_of(st.sampled_from(ACTIONS), fuzz_ids, st.none(), st.integers()))
    shape = draw(st.sampled_from(["fake", "mixed", "empty", "not a list", "not strings", "too many", "missing"]))
    ids: Any = {
        "fake": st.lists(fake_ids(site), min_size=1, max_size=4),
        "mixed": st.lists(st.one_of(fake_ids(site), st.sampled_from(site.built.assignments)), min_size=1, max_size=4),
        "empty": st.just([]),
        "not a list": st.one_of(st.integers(), st.dictionaries(keys, keys, max_size=2), st.none()),
        "not strings": st.lists(st.one_of(st.integers(), st.none(), st.lists(st.integers(), max_size=1)),
                                min_size=1, max_size=3),
        "too many": st.integers(MAX_BULK + 1, MAX_BULK + 50).map(lambda n: [f"A{i}" for i in range(n)]),
        "missing": st.just(None),
    }[shape]
    body = draw(refused_fields(action) if shape == "mixed" and action in ACTIONS else any_fields())
    body = {**body, "action": action}
    if shape != "missing":
        body["assignment_ids"] = draw(ids)
    return Post("/review/bulk", body)


@st.composite
def wrong_bodies(draw: st.DrawFn, site: Site) -> Post:
    """Bodies that are not a JSON object, or not JSON at all (some are objects that a bonus
    or a bulk action must refuse, so they never go to approve, which needs no input)."""
    paths = ["/review/bulk", f"/assignments/{site.built.assignments[0]}/bonus"]
    if draw(st.booleans()):
        approve = f"/assignments/{site.built.assignments[0]}/approve"
        return Post(draw(st.sampled_from([*paths, approve])), draw(json_values.filter(lambda v: not isinstance(v, dict))))
    path = draw(st.sampled_from(paths))
    raw = draw(st.one_of(st.binary(max_size=30), st.sampled_from(
        [b"{", b'{"action": "approve",', b"NaN", b'{"amount": NaN, "reason": "x"}', b"\xff\xfe{}",
         b'{"assignment_ids": ["\\ud800"], "action": "approve"}']),
        st.integers(1_000, 50_000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(1_000, 20_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n)))
    return Post(path, None, raw=raw)


def send(site: Site, post: Post, accept: str | None) -> Any:
    headers = {"X-CSRF-Token": site.client.csrf, **({"Accept": accept} if accept else {})}
    if post.raw is not None:
        return site.client.post(post.path, data=post.raw, content_type="application/json", headers=headers)
    if post.as_form:
        return site.client.post(post.path, data=post.body, headers=headers)
    return site.client.post(post.path, data=json.dumps(post.body), content_type="application/json", headers=headers)


def test_review_actions_with_input_they_must_refuse_are_4xx_and_change_nothing(site):
    before = snapshot(site)
    bonus = f"/assignments/{site.built.assignments[0]}/bonus"
    found_by_fuzzing = [  # each once answered 500
        (Post(bonus, {"amount": "1e999999999", "reason": "Great work"}), None),  # past Decimal's range
        (Post("/review/bulk", None, raw=b'{"assignment_ids": ["\\ud800"], "action": "approve"}'), None),
        (Post("/review/bulk", None, raw=b"[" * 5_000 + b"]" * 5_000), None),  # nested past the parser
        (Post("/assignments/a%00b/approve", {}), "application/json"),  # a NUL on PostgreSQL
        (Post("/review/bulk", {"action": "hard_block", "assignment_ids": ["a\x00b"], "reason": "x"}), None),
    ]

    @settings(FUZZ, max_examples=200)
    @example(found_by_fuzzing)
    @given(st.lists(st.tuples(st.one_of(action_posts(site), bulk_posts(site), wrong_bodies(site)), accepts),
                    min_size=REQUESTS_PER_EXAMPLE, max_size=REQUESTS_PER_EXAMPLE))
    def actions(posts):
        for post, accept in posts:
            response = send(site, post, accept)
            check_answer(site, "POST", post.path, response)
            if response.status_code < 400:  # a form post is redirected to show its refusal
                assert response.status_code == 303 and post.as_form, (post, response.status_code)
        assert snapshot(site) == before, posts

    actions()


def test_paying_the_bonuses_of_an_unknown_run_or_starting_an_unknown_task_is_refused_and_pays_nothing(site):
    """Unknown runs and tasks are refused; a confirm of bonuses with no preview behind it pays nothing."""
    before = snapshot(site)
    tasks = set(os.listdir(site.app.config["TASKS_DIR"]))
    real_runs = [site.built.run_id, site.live_run]

    @settings(FUZZ, max_examples=60)
    @given(st.lists(st.tuples(st.one_of(
        st.tuples(st.just("pay"), st.one_of(fuzz_ids, st.sampled_from(real_runs))),
        st.tuples(st.just("start"), fuzz_ids.filter(lambda name: name not in tasks))), accepts),
        min_size=REQUESTS_PER_EXAMPLE, max_size=REQUESTS_PER_EXAMPLE))
    def money(requests):
        for (kind, name), accept in requests:
            path = (f"/runs/{quote(name, safe='')}/bulk/pay_bonuses" if kind == "pay"
                    else f"/app/tasks/{quote(name, safe='')}/start")
            response = site.client.post(path, headers={"X-CSRF-Token": site.client.csrf,
                                                       **({"Accept": accept} if accept else {})})
            check_answer(site, "POST", path, response)
            # (400: a name the database cannot even look up, such as one with a NUL on PostgreSQL)
            # (a confirm that carries no preview is refused: 400 for a real run)
            expected = (400,) if name in real_runs and kind == "pay" else (400, 404)
            assert response.status_code in expected, (path, response.status_code)
        assert snapshot(site) == before

    money()


# CSRF and login: every unsafe request without the session's token is refused ----------------

@st.composite
def forged_posts(draw: st.DrawFn, site: Site, rules: list[Any]) -> tuple[str, str, dict[str, str], dict[str, str], str]:
    rule = draw(st.sampled_from(rules))
    path = draw(path_for(site, rule))
    where = draw(st.sampled_from(["none", "header", "form", "query"]))
    token = draw(st.one_of(st.text(CHARS.filter(lambda c: c not in "\r\n"), max_size=50),  # a header has one line
                           st.just(site.client.csrf[:-1]), st.just(""),
                           st.just(site.client.csrf.upper()), st.just(site.client.csrf + " ")))
    headers = {"X-CSRF-Token": token} if where == "header" else {}
    form = {"csrf_token": token, "password": PASSWORD} if where == "form" else {"password": PASSWORD}
    if where == "query":
        path += "?csrf_token=" + quote(site.client.csrf, safe="")  # the right token, in the wrong place
    return draw(st.sampled_from(["POST", "PUT", "DELETE"])), path, headers, form, rule.rule


def test_an_unsafe_request_without_the_sessions_csrf_token_is_a_403_and_changes_nothing(site):
    rules = site.rules("POST")
    before, asked = snapshot(site), set()
    real = real_segments(site)
    every_route_once = [  # with no token at all; the generated requests need not fall on every route
        ("POST", fill(rule, {name: Segment((real.get(name) or ["x"])[0]) for name in rule.arguments}), {},
         {"password": PASSWORD}, rule.rule) for rule in rules]

    @settings(FUZZ, max_examples=60)
    @example([("POST", "/logout", {"X-CSRF-Token": "é"}, {}, "/logout")])  # non-ASCII once answered 500
    @example(every_route_once)
    @given(st.lists(forged_posts(site, rules), min_size=REQUESTS_PER_EXAMPLE, max_size=REQUESTS_PER_EXAMPLE))
    def forged(requests):
        for method, path, headers, form, rule in requests:
            response = site.client.open(path, method=method, headers=headers, data=form)
            check_answer(site, method, path, response)
            assert response.status_code == 403, (method, path, response.status_code)
            asked.add(rule)

    forged()
    assert asked == {r.rule for r in rules}, "some routes were never asked"
    assert snapshot(site) == before
    assert site.client.get("/").status_code == 200, "a forged logout logged the reviewer out"


def test_a_wrong_password_is_refused_with_a_sentence(site):
    # Few: checking a password hash is slow on purpose.
    @settings(FUZZ, max_examples=6)
    @given(st.lists(st.one_of(st.text(CHARS, max_size=40), st.sampled_from(SQL), st.integers(1_000, 100_000).map(
        lambda n: "p" * n)), min_size=REQUESTS_PER_EXAMPLE, max_size=REQUESTS_PER_EXAMPLE))
    def logins(passwords):
        for password in passwords:
            response = site.client.post("/login", data={"password": password, "csrf_token": site.client.csrf})
            check_answer(site, "POST", "/login", response)
            assert response.status_code == 401

    logins()


# The workers' chat page: fuzzed links never break it --------------------------------------

@dataclass
class ChatServer:
    """Where workers' links point: a runner process, or the webapp serving a test run."""
    client: Any
    run_id: str
    hits: list[str]
    agent_ids: list[str]


@pytest.fixture(scope="module")
def runner(module_store_url):
    # Workers who load a page and never connect must not be timed out mid-test.
    live = LiveRunner(module_store_url, "pair_chat", num_conversations=1, disconnect_timeout=600.0)
    yield live
    live.stop()


@pytest.fixture(params=["runner process", "webapp"])
def chat_server(request, site) -> ChatServer:
    if request.param == "webapp":
        return ChatServer(site.client, site.live_run, site.hits, site.agent_ids)
    runner = request.getfixturevalue("runner")
    return ChatServer(runner.app.test_client(), runner.run_id, list(runner.provider.hit_ids),
                      list(runner.manager.task.agent_ids))


def pick(draw: st.DrawFn, *options: tuple[int, st.SearchStrategy[Any]]) -> Any:
    """Draw from one of (weight, strategy); hypothesis leans to the first, so put the usual first."""
    n = draw(st.integers(0, sum(weight for weight, _ in options) - 1))
    for weight, strategy in options:
        if n < weight:
            return draw(strategy)
        n -= weight
    raise AssertionError("unreachable")


@st.composite
def chat_links(draw: st.DrawFn, server: ChatServer, other_run: str) -> tuple[str, list[tuple[str, str]]]:
    """Mostly links into the run this server holds, with one of its HITs (the way in for a
    worker) and fuzzed assignment and worker ids; the rest anything at all."""
    run = pick(draw, (6, st.just(server.run_id)), (1, st.just(other_run)), (2, fuzz_ids))
    path = f"/task/{quote(run, safe='')}" + pick(draw, (5, st.just("")), (1, st.just("/custom.js")))
    query = [(name, value) for name, value in (
        ("assignmentId", pick(draw, (4, fuzz_ids.map(lambda v: "live-" + v)),
                              (1, st.sampled_from(["", "ASSIGNMENT_ID_NOT_AVAILABLE"])), (1, st.none()))),
        ("hitId", pick(draw, (4, st.sampled_from(server.hits)), (1, fuzz_ids), (1, st.none()))),
        ("workerId", pick(draw, (4, fuzz_ids), (1, st.sampled_from(["", None])))),
        ("role", pick(draw, (1, st.none()), (1, st.sampled_from(server.agent_ids)), (1, fuzz_ids))),
        ("turkSubmitTo", pick(draw, (1, st.none()), (1, fuzz_ids), (1, st.just("javascript:alert(1)")))),
    ) if value is not None]
    return path, query + draw(queries)


def test_the_chat_page_answers_any_link_without_a_5xx(site, chat_server):
    chat_pages = 0

    way_in = [("hitId", chat_server.hits[0]), ("assignmentId", "live-found")]

    @settings(FUZZ, max_examples=60)
    @example([(f"/task/{chat_server.run_id}", [*way_in, ("workerId", "W" * 65)]),  # these answered 500
              (f"/task/{chat_server.run_id}", [*way_in, ("workerId", "a\x00b")]),  # on PostgreSQL
              (f"/task/{chat_server.run_id}", [("hitId", chat_server.hits[0]), ("assignmentId", "A" * 65),
                                                ("workerId", "W-found")])])
    @given(st.lists(chat_links(chat_server, site.built.run_id), min_size=REQUESTS_PER_EXAMPLE,
                    max_size=REQUESTS_PER_EXAMPLE))
    def links(requests):
        nonlocal chat_pages
        for path, query in requests:
            response = chat_server.client.get(path, query_string=query)
            check_answer(site, "GET", path, response)
            chat_pages += 'id="parley-config"' in response.get_data(as_text=True)

    links()
    assert chat_pages, "no fuzzed link was ever let in: the worker-facing path went untested"
