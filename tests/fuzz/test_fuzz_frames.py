"""Over ten thousand generated frames that a broken or hostile page could send, over real
websockets to a real runner where two workers are paired in a chat: each bad frame on a
greeted socket is answered with an error frame (never silence, never a crash of the socket),
a frame past the socket's size limit closes the socket (the page reconnects), a forged
hello is refused and the socket closed, nothing refused reaches the store, a re-sent client
message id is stored once, and afterwards the runner still answers, stores and relays."""
from __future__ import annotations

import contextlib
import json
import string
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import simple_websocket
from hypothesis import HealthCheck, Phase, Verbosity, example, given, settings
from hypothesis import strategies as st

from runner.protocol import (
    CLIENT_TYPES,
    MAX_ACT_DEPTH,
    MAX_FRAME_BYTES,
    MAX_TEXT_CHARS,
    ProtocolError,
    TokenSigner,
    WorkerIdentity,
)
from runner.server import SOCK_OPTIONS
from tests.fuzz.conftest import FUZZ
from tests.support.live_runner import UNMETERED, LiveRunner, Worker

SECRET = "test-secret"  # what LiveRunner signs its workers' tokens with
SENTINEL = "sentinel"
"""Each worker's first message id. Re-sent at the end of a batch, its ack marks the point by
which the server has answered every frame of the batch (frames are handled in order)."""
SOCKET_LIMIT = SOCK_OPTIONS["max_message_size"]
LIVE = settings(FUZZ, phases=[Phase.explicit, Phase.generate], verbosity=Verbosity.quiet)
"""No shrinking: the runner carries its state from one example to the next, so a smaller
example need not fail the same way, and every try is another batch over the sockets. Quiet:
a failure names the frame that failed; the whole batch (megabytes) would bury it."""
BATCH = 100
BATCHES = 100
CID_ALPHABET = string.ascii_letters + string.digits + "_.:-"

# What the generated frames are made of -------------------------------------------------------

CHARS = st.characters(exclude_categories=("Cs",))
"""Any code point a text frame can carry (lone surrogates cannot be UTF-8 encoded)."""
SURROGATES = st.characters(categories=("Cs",))
WHITESPACE = st.text(st.sampled_from(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2003\u2028\u3000"), max_size=6)
keys = st.text(CHARS, max_size=6)
numbers = st.integers() | st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | numbers | st.text(CHARS, max_size=8)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=4)
not_objects = st.none() | st.booleans() | numbers | st.text(CHARS, max_size=8) | st.lists(json_values, max_size=3)
not_strings = st.none() | st.booleans() | numbers | st.lists(json_values, max_size=3) | st.dictionaries(
    keys, json_values, max_size=3)
honest_texts = st.text(CHARS, min_size=1, max_size=24).filter(
    lambda t: t.strip() and t.strip().lower() != "bye")  # "bye" would end pair_chat's conversation
task_data = st.dictionaries(keys, json_values, min_size=1, max_size=3)
junk_fields = st.dictionaries(keys.filter(lambda k: k != "type"), json_values, max_size=2)
cid_suffixes = st.text(st.sampled_from(CID_ALPHABET), max_size=12)


@dataclass(frozen=True)
class Honest:
    """A message the runner must store (or, re-sent under an earlier id, ack as stored)."""
    act: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)  # top-level fields the server ignores
    binary: bool = False
    ascii: bool = True  # False: raw UTF-8 rather than \\u escapes
    replay: int | None = None  # re-send the n-th earlier id of this worker with this text
    suffix: str = ""

    @property
    def text(self) -> str:
        return self.act.get("text", "")


@dataclass(frozen=True)
class Bad:
    """A frame the runner must refuse with an error frame containing one of `errors`."""
    payload: str | bytes
    errors: tuple[str, ...]

    def __repr__(self) -> str:  # a failing batch is printed whole: keep 100 KiB frames short
        shown = self.payload if len(self.payload) <= 120 else self.payload[:120]
        return f"Bad({shown!r}{'...' if shown != self.payload else ''} [{len(self.payload)}], {self.errors})"


@dataclass(frozen=True)
class Hello:
    """A second hello on a greeted socket, with this worker's real token or a fuzzed one."""
    fields: dict[str, Any]
    real_token: bool


@dataclass(frozen=True)
class Heartbeat:
    payload: str


def dumps(value: Any) -> str:
    return json.dumps(value)  # ASCII: lone surrogates and NaN travel as \\u escapes and NaN


def message(cid: Any = "c1", act: Any = None, **extra: Any) -> dict[str, Any]:
    frame = {"type": "message", "cid": cid, **extra}
    if act is not None:
        frame["act"] = act
    return frame


def bad(errors: str | tuple[str, ...]) -> Any:
    return lambda payload: Bad(payload, errors if isinstance(errors, tuple) else (errors,))


NOT_JSON = "frame is not JSON"
NOT_OBJECT = "frame must be an object with type one of"
BAD_CID = "a message needs a cid"
NO_ACT = "a message needs an act object"
TOO_LARGE = "frame too large"
TOO_DEEP = "nested too deeply"
BAD_UNICODE_OR_NUMBER = "valid unicode text and finite numbers"


@st.composite
def honest(draw: st.DrawFn) -> Honest:
    act: dict[str, Any] = {"text": draw(honest_texts | st.just("x" * MAX_TEXT_CHARS))}
    if draw(st.booleans()):
        act["task_data"] = draw(task_data)
        if draw(st.booleans()):
            act["text"] = draw(WHITESPACE)  # a message may be task_data alone
    if draw(st.booleans()):  # fields the runner drops: a page cannot speak for someone else or end the episode
        act.update(draw(st.fixed_dictionaries({}, optional={
            "id": st.just("System"), "episode_done": st.just(True), "message_id": st.text(CHARS, max_size=8),
            "extra": json_values})))
    return Honest(act=act, extra=draw(junk_fields.map(lambda d: {k: v for k, v in d.items()
                                                                if k not in ("type", "cid", "act")})),
                  binary=draw(st.booleans()), ascii=draw(st.booleans()),
                  replay=draw(st.none() | st.integers(0, 1000)), suffix=draw(cid_suffixes))


def truncated(frame: dict[str, Any]) -> st.SearchStrategy[str]:
    text = dumps(frame)
    return st.integers(0, len(text) - 1).map(lambda n: text[:n])  # no proper prefix of an object is JSON


invalid_cids = st.one_of(
    not_strings, st.just(""), st.integers(65, 200).map(lambda n: "c" * n),
    st.tuples(cid_suffixes, CHARS.filter(lambda c: c not in CID_ALPHABET), cid_suffixes).map("".join),
    st.sampled_from(["<script>", "c 1", "c1\n", "ç1", "../c1", "c1;DROP TABLE messages"]),
)
deep_arrays = st.integers(1_000, MAX_FRAME_BYTES // 2 - 100).map(lambda n: "[" * n + "]" * n)
deep_in_act = st.integers(MAX_ACT_DEPTH, MAX_FRAME_BYTES // 2 - 200).map(  # + the act and its task_data
    lambda n: with_task_data_value("[" * n + "]" * n))
invalid_utf8 = st.sampled_from([b"\xff", b"\xfe\xff", b"\x80", b"\xc0\x80", b"\xc3", b"\xe2\x82", b"\xf8\x88\x80\x80\x80",
                                b"\xf4\x90\x80\x80"])
surrogate_bytes = st.sampled_from([b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0\xbd\xed\xb8\x80"])
non_finite = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])


def with_task_data_value(raw: str) -> str:
    """A message frame whose task_data holds `raw` as written (json.dumps would not write it)."""
    return '{"type":"message","cid":"raw","act":{"text":"x","task_data":{"k":' + raw + "}}}"


def with_bytes(text: str, inserted: bytes) -> bytes:
    """A message frame as UTF-8 bytes, with `inserted` spliced into its text."""
    return b'{"type":"message","cid":"u1","act":{"text":"%s%s"}}' % (
        json.dumps(text, ensure_ascii=False)[1:-1].encode(), inserted)


bad_frames = st.one_of(
    # not JSON at all, or JSON that is not an object with a known type
    st.text(CHARS, max_size=30).map(lambda s: "not json " + s).map(bad(NOT_JSON)),
    truncated(message(act={"text": "cut short"})).map(bad(NOT_JSON)),
    st.sampled_from(["", "{'type': 'message'}", "{type: message}", "undefined", '{"type": "heartbeat"'])
    .map(bad(NOT_JSON)),
    not_objects.map(dumps).map(bad(NOT_OBJECT)),
    st.sampled_from(["NaN", "-Infinity", "1e999", '"message"', "null", "[]"]).map(bad(NOT_OBJECT)),
    st.tuples(junk_fields, st.one_of(
        not_strings, st.text(CHARS, max_size=12).filter(lambda t: t not in CLIENT_TYPES),
        st.sampled_from(["Message", "HELLO", "message ", " hello", "heartbeat\x00", "ack", "welcome", "error"])))
    .map(lambda p: dumps({**p[0], "type": p[1]})).map(bad(NOT_OBJECT)),
    junk_fields.map(dumps).map(bad(NOT_OBJECT)),
    st.just('{"type": "message", "cid": "c1", "act": {"text": "x"}, "type": "shout"}').map(bad(NOT_OBJECT)),
    # messages with a missing or wrong field: numbers where strings belong, and so on
    invalid_cids.map(lambda cid: dumps(message(cid=cid, act={"text": "x"}))).map(bad(BAD_CID)),
    st.just(dumps({"type": "message", "act": {"text": "x"}})).map(bad(BAD_CID)),
    st.one_of(not_objects, st.just(None)).map(lambda act: dumps({"type": "message", "cid": "c1", "act": act}))
    .map(bad(NO_ACT)),
    st.just(dumps({"type": "message", "cid": "c1"})).map(bad(NO_ACT)),
    not_strings.map(lambda text: dumps(message(act={"text": text}))).map(bad("act.text must be a string")),
    not_objects.map(lambda data: dumps(message(act={"text": "x", "task_data": data})))
    .map(bad("act.task_data must be an object")),
    st.tuples(WHITESPACE, st.sampled_from([None, {}])).map(
        lambda p: dumps(message(act={"text": p[0], **({} if p[1] is None else {"task_data": p[1]})})))
    .map(bad("an empty message cannot be sent")),
    # huge: text over its limit, frames over 64 KiB (and under the socket's limit), as text or bytes
    st.integers(MAX_TEXT_CHARS + 1, MAX_FRAME_BYTES - 100).map(lambda n: dumps(message(act={"text": "x" * n})))
    .map(bad("message text too long")),
    st.tuples(st.integers(MAX_FRAME_BYTES + 1, 160_000), st.booleans()).map(
        lambda p: (lambda s: s.encode() if p[1] else s)(dumps(message(act={"text": "x"}, pad="y" * p[0]))))
    .map(bad(TOO_LARGE)),
    st.integers(MAX_FRAME_BYTES + 1, 160_000).map(lambda n: "z" * n).map(bad(TOO_LARGE)),
    # bad unicode: invalid UTF-8 in binary frames, lone surrogates as raw bytes or \\u escapes
    st.binary(max_size=40).filter(lambda b: not _is_json_object(b)).map(bad((NOT_JSON, NOT_OBJECT))),
    st.tuples(honest_texts, invalid_utf8).map(lambda p: with_bytes(*p)).map(bad(NOT_JSON)),
    st.tuples(honest_texts, surrogate_bytes).map(lambda p: with_bytes(*p)).map(bad(BAD_UNICODE_OR_NUMBER)),
    st.tuples(honest_texts, SURROGATES, st.sampled_from(["text", "task_data", "key", "extra"])).map(
        lambda p: dumps(message(act=act_with_surrogate(*p)))).map(bad(BAD_UNICODE_OR_NUMBER)),
    # numbers JSON has no place for, and nesting deeper than any act needs
    non_finite.map(with_task_data_value).map(bad(BAD_UNICODE_OR_NUMBER)),
    # (JSON is parsed up to Python's recursion limit, which hypothesis raises while it runs)
    deep_arrays.map(bad((TOO_DEEP, NOT_OBJECT))),
    deep_in_act.map(bad(TOO_DEEP)),
    # frames that are fine, but not now: done before the task is over
    junk_fields.map(lambda d: dumps({**d, "type": "done"})).map(bad("the task is not over yet")),
)
hellos = st.one_of(
    st.builds(Hello, st.fixed_dictionaries({"type": st.just("hello")}, optional={"last_seq": st.integers(0, 10)}),
              st.just(True)),
    st.builds(Hello, st.fixed_dictionaries({"type": st.just("hello")}, optional={
        "token": json_values, "last_seq": json_values}), st.just(False)),
)
heartbeats = junk_fields.map(lambda d: Heartbeat(dumps({**d, "type": "heartbeat"})))
frames = st.integers(0, 99).flatmap(  # mostly bad frames (the simplest too): honest ones cost a write
    lambda n: bad_frames if n < 88 else hellos if n < 91 else heartbeats if n < 94 else honest())


def _is_json_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False


def act_with_surrogate(text: str, surrogate: str, where: str) -> dict[str, Any]:
    if where == "text":
        return {"text": text + surrogate}
    if where == "task_data":
        return {"text": text, "task_data": {"k": surrogate}}
    if where == "key":
        return {"text": text, "task_data": {surrogate: 1}}
    return {"text": text, "note": surrogate}


# The running chat, and what the store must hold ---------------------------------------------

@dataclass
class Chat:
    runner: LiveRunner
    workers: dict[str, Worker]
    stored: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    """(assignment, cid) → (text, message id) of every message the store must hold."""
    cids: dict[str, list[str]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    """Messages each worker had stored: what the world will hand on, one per turn."""
    frames_sent: int = 0
    serial: int = 0

    def assignment(self, name: str) -> str:
        return self.workers[name].config["assignment_id"]

    def next_cid(self, suffix: str) -> str:
        self.serial += 1
        return f"f{self.serial}-{suffix}"[:64]


@pytest.fixture(scope="module")
def chat(module_store_url):
    runner = LiveRunner(module_store_url, "pair_chat", num_conversations=1, disconnect_timeout=600.0, **UNMETERED)
    workers = {"alice": runner.join("W1"), "bob": runner.join("W2")}
    # No heartbeat thread: its sends would interleave with ours on the same socket; the long
    # disconnect timeout keeps a worker who is not being fuzzed from being taken for gone.
    for worker in workers.values():
        worker.heartbeats = False
    workers["bob"].wait_for(lambda f: f["type"] == "message" and f["act"]["text"] == "You are Bob.")
    chat = Chat(runner, workers)
    for name in workers:
        say(chat, name, Honest(act={"text": f"{name} is ready"}), cid=SENTINEL)
    yield chat
    runner.stop()


def payload_of(spec: Honest, cid: str) -> str | bytes:
    text = json.dumps({**spec.extra, "type": "message", "cid": cid, "act": spec.act}, ensure_ascii=spec.ascii)
    return text.encode() if spec.binary else text


def say(chat: Chat, name: str, *specs: Honest, cid: str | None = None) -> None:
    """Send honest messages outside a batch and check their acks."""
    worker = chat.workers[name]
    start = len(worker.frames)
    cids = [cid or chat.next_cid(spec.suffix) for spec in specs]
    for spec, each in zip(specs, cids):
        worker.ws.send(payload_of(spec, each))
    chat.frames_sent += len(specs)
    for spec, each in zip(specs, cids):
        ack = worker.wait_for(lambda f, c=each: f["type"] in ("ack", "error") and f.get("cid") == c, after=start)
        assert ack["type"] == "ack", ack
        record(chat, name, each, spec.text, ack)


def record(chat: Chat, name: str, cid: str, text: str, ack: dict[str, Any]) -> None:
    key = (chat.assignment(name), cid)
    if key in chat.stored:
        assert ack["id"] == chat.stored[key][1], f"a re-sent id {cid!r} got a new message id"
        return
    assert ack["id"] not in {i for _, i in chat.stored.values()}, f"two ids share message {ack['id']}"
    chat.stored[key] = (text, ack["id"])
    chat.cids.setdefault(name, []).append(cid)
    chat.counts[name] += 1


def send_batch(chat: Chat, name: str, batch: list[Any], then_oversize: bool) -> None:
    worker = chat.workers[name]
    start = len(worker.frames)
    expected: list[tuple[str, Any]] = []
    beats = 0
    for spec in batch:
        if isinstance(spec, Honest):
            earlier = chat.cids.get(name, [])
            cid = (earlier[spec.replay % len(earlier)] if spec.replay is not None and earlier
                   else chat.next_cid(spec.suffix))
            if cid == SENTINEL:
                cid = chat.next_cid(spec.suffix)
            worker.ws.send(payload_of(spec, cid))
            expected.append(("ack", (cid, spec.text)))
        elif isinstance(spec, Hello):
            fields = {**spec.fields, "token": worker.config["token"]} if spec.real_token else spec.fields
            worker.ws.send(dumps(fields))
            expected.append(("error", ("hello was already received", "hello needs a token", "last_seq must be")))
        elif isinstance(spec, Heartbeat):
            worker.ws.send(spec.payload)
            beats += 1
        else:
            worker.ws.send(spec.payload)
            expected.append(("error", spec.errors))
    worker.ws.send(payload_of(Honest(act={"text": "again"}), SENTINEL))
    chat.frames_sent += len(batch) + 1

    end = worker.wait_for(lambda f: f["type"] == "ack" and f["cid"] == SENTINEL, after=start, timeout=60)
    window = worker.frames[start:worker.frames.index(end, start)]
    answers = [f for f in window if f["type"] in ("ack", "error")]
    assert len(answers) == len(expected), (
        f"{len(expected)} frames needed an answer, {len(answers)} came back: a frame was dropped "
        f"silently or answered twice\n{answers}")
    for (kind, detail), answer, spec in zip(expected, answers, [s for s in batch if not isinstance(s, Heartbeat)]):
        if kind == "ack":
            cid, text = detail
            assert answer["type"] == "ack" and answer["cid"] == cid, (spec, answer)
            record(chat, name, cid, text, answer)
        else:
            assert answer["type"] == "error", (spec, answer)
            assert isinstance(answer["error"], str) and any(e in answer["error"] for e in detail), (spec, answer)
            assert "retry" not in answer and "fatal" not in answer, (
                f"a frame that can never be stored was answered as a passing failure: {answer}", spec)
    assert sum(f["type"] == "heartbeat" for f in window) >= beats
    assert_store_holds_only_what_was_acked(chat)
    if then_oversize:
        send_past_the_socket_limit(chat, name)


def send_past_the_socket_limit(chat: Chat, name: str) -> None:
    """The library closes a socket that sends a frame over its limit; the page comes back."""
    worker = chat.workers[name]
    with contextlib.suppress(simple_websocket.ConnectionClosed, OSError):
        worker.ws.send(dumps(message(cid="huge", act={"text": "x" * (SOCKET_LIMIT + 1)})))
    chat.frames_sent += 1
    worker._reader.join(timeout=10)
    assert not worker._reader.is_alive(), "the server kept a socket open after a frame over its limit"
    start = len(worker.frames)
    worker.connect()
    worker.wait_for(lambda f: f["type"] == "welcome", after=start)


def assert_store_holds_only_what_was_acked(chat: Chat) -> None:
    runner = chat.runner
    messages = runner.handler.get_messages(runner.run_id, "t_1")
    from_workers = [((m["assignment_id"], m["message_id"]), m["text"]) for m in messages if m["assignment_id"]]
    assert len(dict(from_workers)) == len(from_workers), "a client message id was stored twice"
    assert dict(from_workers) == {key: text for key, (text, _) in chat.stored.items()}
    assert len(messages) == len(chat.stored) + 2, "only the world's two greetings are not the workers'"
    statuses = {a["status"] for a in runner.handler.get_assignments_for_run(runner.run_id)}
    assert statuses == {"in_task"}, "a refused frame moved an assignment"


def assert_runner_still_serves(chat: Chat) -> None:
    """/healthz answers, and an honest message from each worker is acked and relayed."""
    with urllib.request.urlopen(chat.runner.server.url + "/healthz", timeout=10) as response:
        assert response.status == 200 and json.load(response)["ok"] is True
    alice, bob = chat.workers["alice"], chat.workers["bob"]
    # The world takes one message per turn, Alice's first: even the queues up, then probe.
    behind = min(("alice", "bob"), key=lambda n: chat.counts[n])
    say(chat, behind, *[Honest(act={"text": "catching up"})] * abs(chat.counts["alice"] - chat.counts["bob"]))
    probe = f"probe {chat.frames_sent}"
    say(chat, "alice", Honest(act={"text": probe + " from Alice"}))
    bob.wait_for(lambda f: f["type"] == "message" and f["act"].get("text") == probe + " from Alice", timeout=60)
    say(chat, "bob", Honest(act={"text": probe + " from Bob"}))
    alice.wait_for(lambda f: f["type"] == "message" and f["act"].get("text") == probe + " from Bob", timeout=60)
    assert_store_holds_only_what_was_acked(chat)


# The tests ------------------------------------------------------------------------------------

FOUND_BY_FUZZING = [
    # Each once broke the runner; kept as an explicit batch so they run whatever is generated.
    Bad(dumps(message(cid="c1\n", act={"text": "x"})), (BAD_CID,)),  # `$` let a final newline in
    Bad(dumps(message(cid="c" * 64 + "\n", act={"text": "x"})), (BAD_CID,)),  # ... then too long for PostgreSQL
    Bad(dumps(message(act={"text": "\ud800"})), (BAD_UNICODE_OR_NUMBER,)),  # stored, then broke the partner's socket
    Bad(with_bytes("x", b"\xed\xa0\x80"), (BAD_UNICODE_OR_NUMBER,)),  # the same, as raw bytes
    Bad(with_task_data_value("NaN"), (BAD_UNICODE_OR_NUMBER,)),  # refused by the store, told to retry forever
    Bad(with_task_data_value("1e400"), (BAD_UNICODE_OR_NUMBER,)),
    Bad(with_task_data_value("[" * 960 + "]" * 960), (TOO_DEEP,)),  # crashed the store write and the socket
    Bad("[" * 5_000 + "]" * 5_000, (TOO_DEEP,)),  # crashed the parser and the socket
]


def test_ten_thousand_generated_frames_are_each_acked_or_refused_and_only_honest_ones_are_stored(chat):
    # An example is a batch of 100 frames by design (one socket round per batch, not per
    # frame), so it is slow and large to generate: those two health checks do not apply.
    @settings(LIVE, max_examples=BATCHES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @example(batch=FOUND_BY_FUZZING, name="alice", then_oversize=False)
    @given(batch=st.lists(frames, min_size=BATCH, max_size=BATCH), name=st.sampled_from(["alice", "bob"]),
           then_oversize=st.integers(1, 8).map(lambda n: n == 8))
    def batches(batch, name, then_oversize):
        send_batch(chat, name, batch, then_oversize)

    batches()
    assert chat.frames_sent >= BATCH * BATCHES
    assert_runner_still_serves(chat)


forged_tokens = st.one_of(
    st.text(CHARS, min_size=1, max_size=80),
    st.tuples(st.text(CHARS, max_size=20), st.text(CHARS, max_size=20), st.text(CHARS, max_size=20))
    .map(lambda who: TokenSigner("another-secret").issue(WorkerIdentity(*who))),
    json_values.map(lambda payload: ("signed", payload)),
    st.tuples(st.sampled_from(["alice", "bob"]), st.integers(0, 200), CHARS).map(lambda p: ("edited", *p)),
    st.tuples(st.sampled_from(["W1", "W2", "W3", ""]), st.sampled_from(["A-W1-1", "A-W2-2", "A-W9-9", "", "A-W1-1 "]),
              st.booleans()).map(lambda p: ("moved", *p)),
)
first_frames = st.one_of(
    forged_tokens.map(lambda token: ("hello", token)),
    st.fixed_dictionaries({"type": st.just("hello")}, optional={"token": not_strings, "last_seq": json_values})
    .map(lambda fields: ("raw", dumps(fields))),
    st.tuples(st.sampled_from(["alice", "bob"]), json_values.filter(
        lambda v: not isinstance(v, int) or isinstance(v, bool) or v < 0)).map(lambda p: ("bad_last_seq", p)),
    bad_frames.map(lambda b: ("raw", b.payload)),
    honest().map(lambda h: ("raw", payload_of(h, "first"))),
    heartbeats.map(lambda h: ("raw", h.payload)),
)


def forge(chat: Chat, token: Any) -> Any:
    """A token the runner never issued for a session it holds: edited, moved to another
    worker or assignment, or a genuine signature over something that is not an identity."""
    if not isinstance(token, tuple):
        return token
    signer = TokenSigner(SECRET)
    if token[0] == "signed":  # the runner's own key and salt, over any JSON at all
        return signer._serializer.dumps(token[1])
    if token[0] == "edited":
        _, name, at, char = token
        real = chat.workers[name].config["token"]
        at %= len(real)
        edited = real[:at] + char + real[at + 1:]
        with contextlib.suppress(ProtocolError):
            signer.verify(edited)  # same token, or base64 bits the signature check ignores
            return real + "."
        return edited
    _, worker_id, assignment_id, other_run = token
    if (worker_id, assignment_id) in (("W1", "A-W1-1"), ("W2", "A-W2-2")) and not other_run:
        worker_id += "x"
    return signer.issue(WorkerIdentity(chat.runner.run_id + ("-other" if other_run else ""), assignment_id, worker_id))


def test_a_socket_that_opens_with_a_forged_hello_or_anything_else_is_refused_and_closed(chat):
    ws_url = chat.runner.server.url.replace("http", "ws", 1) + "/ws"

    @settings(LIVE, max_examples=40, suppress_health_check=[HealthCheck.too_slow])  # ten sockets an example
    @given(st.lists(first_frames, min_size=10, max_size=10))
    def sockets(firsts):
        for kind, detail in firsts:
            if kind == "hello":
                first = dumps({"type": "hello", "token": forge(chat, detail), "last_seq": 0})
            elif kind == "bad_last_seq":
                name, last_seq = detail
                first = dumps({"type": "hello", "token": chat.workers[name].config["token"], "last_seq": last_seq})
            else:
                first = detail
            ws = simple_websocket.Client(ws_url)
            try:
                ws.send(first)
                chat.frames_sent += 1
                with contextlib.suppress(simple_websocket.ConnectionClosed, OSError):
                    for then in (message(cid="forged", act={"text": "forged"}), {"type": "return"}):
                        ws.send(dumps(then))  # a message, then leaving the task: were it let in
                        chat.frames_sent += 1
                answer = json.loads(ws.receive(timeout=10))
                assert answer["type"] == "error" and answer["fatal"] is True, (first, answer)
                assert isinstance(answer["error"], str) and answer["error"], answer
                with contextlib.suppress(simple_websocket.ConnectionClosed):
                    assert ws.receive(timeout=5) is None
                assert not ws.connected, f"the socket stayed open after {first[:80]!r}"
            finally:
                with contextlib.suppress(simple_websocket.ConnectionClosed, OSError):
                    ws.close()
        assert_store_holds_only_what_was_acked(chat)

    sockets()
    assert_runner_still_serves(chat)
