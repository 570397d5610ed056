"""Fault rules without HTTP: FaultRule's checks, FaultBook's matching and counting, and
the pure helpers FaultInjector applies them with."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from pydantic import ValidationError

from pixverse_emulator.domain.faults import (
    CREATE_ROUTES,
    FaultBook,
    FaultRule,
    Upstream,
    route_name,
)
from pixverse_emulator.errors import (
    InsufficientCredits,
    InvalidField,
    PayloadTooLarge,
    TooManyPending,
    UnsupportedModel,
)
from pixverse_emulator.http.fault_injector import (
    api_key_of,
    error_class,
    truncating,
    upstream_message,
)

ROUTE_PATHS = {
    "text": ("POST", "/openapi/v2/video/text/generate"),
    "img": ("POST", "/openapi/v2/video/img/generate"),
    "transition": ("POST", "/openapi/v2/video/transition/generate"),
    "fusion": ("POST", "/openapi/v2/video/fusion/generate"),
    "extend": ("POST", "/openapi/v2/video/extend/generate"),
    "image_upload": ("POST", "/openapi/v2/image/upload"),
    "media_upload": ("POST", "/openapi/v2/media/upload"),
    "result": ("GET", "/openapi/v2/video/result/123"),
    "download": ("GET", "/files/tok/video.mp4"),
}


def rule(**fields: Any) -> FaultRule:
    fields.setdefault("error", "402")
    return FaultRule(**fields)


# -- FaultRule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{}, {"drop": False}, {"error": "402", "drop": True}, {"latency": 1, "truncate": 0.5},
     {"upstream": Upstream(err_code=500044), "error": "429"}],
    ids=["none", "drop-false", "error-and-drop", "latency-and-truncate", "upstream-and-error"],
)
def test_a_rule_needs_exactly_one_fault(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one of"):
        FaultRule(**fields)


@pytest.mark.parametrize(
    "fields",
    [{"route": "text", "truncate": 0.5}, {"route": "download", "truncate": 1.0},
     {"route": "somewhere", "drop": True}, {"drop": True, "probability": 2.0},
     {"drop": True, "count": 0}, {"latency": 0.0}, {"latency": 61.0}],
    ids=["truncate-off-download", "truncate-everything", "unknown-route", "probability-2",
         "count-0", "latency-0", "latency-61"],
)
def test_out_of_range_rules_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FaultRule(**fields)


def test_upstream_defaults_and_bounds() -> None:
    assert Upstream(err_code=500069).model_dump() == {
        "err_code": 500069, "http_status": 500, "message": None, "retry_after": None}
    for bad in ({"err_code": 0}, {"err_code": 1, "http_status": 302},
                {"err_code": 1, "retry_after": -1}):
        with pytest.raises(ValidationError):
            Upstream.model_validate(bad)


def test_covers_route_method_and_team() -> None:
    assert rule().covers("result", "GET", None)  # `*`, any method, any team
    assert rule(route="result").covers("result", "GET", "a")
    assert not rule(route="result").covers("text", "POST", "a")
    assert rule(method="post").covers("text", "POST", "a")
    assert not rule(method="POST").covers("result", "GET", "a")
    assert rule(team="a").covers("text", "POST", "a")
    assert not rule(team="a").covers("text", "POST", "b")
    assert not rule(team="a").covers("text", "POST", None)


def test_create_covers_the_five_create_routes_only() -> None:
    create = rule(route="create")
    assert all(create.covers(name, "POST", None) for name in CREATE_ROUTES)
    assert len(CREATE_ROUTES) == 5
    for other in ("image_upload", "media_upload", "result", "download"):
        assert not create.covers(other, ROUTE_PATHS[other][0], None)


@pytest.mark.parametrize("name", list(ROUTE_PATHS))
def test_route_names(name: str) -> None:
    method, path = ROUTE_PATHS[name]
    assert route_name(method, path) == name


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/openapi/v2/video/text/generate"), ("GET", "/_emulator/health"),
     ("GET", "/openapi/v2/video/result/"), ("GET", "/openapi/v2/video/result/1/x"),
     ("GET", "/files/only-a-token"), ("POST", "/openapi/v2/video/result/1"),
     ("GET", "/nowhere")],
    ids=["wrong-method", "control-plane", "no-id", "too-deep", "no-name", "post-result",
         "unknown"],
)
def test_other_requests_have_no_route(method: str, path: str) -> None:
    assert route_name(method, path) is None


# -- FaultBook ---------------------------------------------------------------------


def test_add_numbers_rules_and_resets_their_count() -> None:
    book = FaultBook()
    first = book.add(rule(id=40, fired=9))
    second = book.add(rule(team="a"))
    assert (first.id, first.fired, second.id) == (1, 0, 2)
    assert book.rules() == [first, second]
    assert book.rules("a") == [second]


def test_remove_and_clear() -> None:
    book = FaultBook()
    kept, gone, other = book.add(rule(team="a")), book.add(rule(team="b")), book.add(rule())
    assert book.remove(gone.id) and not book.remove(gone.id)
    assert book.rules() == [kept, other]
    book.clear("a")
    assert book.rules() == [other]
    book.clear()
    assert book.rules() == []
    assert book.add(rule()).id == 4  # ids are never reused


def test_the_first_matching_rule_wins_and_is_counted() -> None:
    book = FaultBook()
    specific, broad = book.add(rule(route="result")), book.add(rule(error="429"))
    assert book.match("result", "GET", "a") is specific
    assert book.match("text", "POST", "a") is broad
    assert book.match("result", "GET", "a") is specific
    assert (specific.fired, broad.fired) == (2, 1)


def test_count_fires_n_times_then_the_rule_is_gone() -> None:
    book = FaultBook()
    book.add(rule(count=3))
    assert [book.match("text", "POST", None) is not None for _ in range(5)] == [
        True, True, True, False, False]
    assert book.rules() == []


def pattern(book: FaultBook, times: int = 50) -> list[bool]:
    return [book.match("result", "GET", "a") is not None for _ in range(times)]


def seeded(probability: float, seed: int) -> FaultBook:
    book = FaultBook()
    book.add(rule(probability=probability, seed=seed))
    return book


def test_probability_with_a_seed_is_repeatable() -> None:
    first = pattern(seeded(0.3, 11))
    assert 0 < sum(first) < 50
    assert pattern(seeded(0.3, 11)) == first
    assert pattern(seeded(0.3, 12)) != first
    assert not any(pattern(seeded(0.0, 11)))
    assert all(pattern(seeded(1.0, 11)))


def test_requests_a_rule_does_not_cover_leave_its_draws_alone() -> None:
    """Another team's traffic must not shift a rule's firing pattern."""
    alone = pattern(seeded(0.5, 3))
    mixed: list[bool] = []
    shared = FaultBook()
    shared.add(rule(probability=0.5, seed=3, team="a"))
    for _ in range(50):
        assert shared.match("result", "GET", "b") is None
        mixed.append(shared.match("result", "GET", "a") is not None)
    assert mixed == alone


def test_a_rule_that_does_not_fire_lets_the_next_one_try() -> None:
    book = FaultBook()
    book.add(rule(probability=0.0))
    fallback = book.add(rule(error="429"))
    assert book.match("text", "POST", None) is fallback


# -- the injector's helpers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("pixverse_balance_too_low", InsufficientCredits), ("402001", InsufficientCredits),
     ("402", InsufficientCredits), ("429", TooManyPending), ("413001", PayloadTooLarge),
     ("400", UnsupportedModel), ("400013", InvalidField), ("invalid_field", InvalidField),
     ("405", None), ("409001", None), ("416", None), ("", None), ("Not_Found", None)],
)
def test_error_class_resolves_name_errcode_or_status(value: str, expected: type | None) -> None:
    assert error_class(value) is expected


def test_upstream_messages() -> None:
    assert upstream_message(Upstream(err_code=500044)) == (
        "Reached the limit for concurrent generations")
    assert upstream_message(Upstream(err_code=500069)) == (
        "The system is overloaded, please try again later")
    assert upstream_message(Upstream(err_code=500001)) == "Upstream error"
    assert upstream_message(Upstream(err_code=500044, message="m")) == "m"


@pytest.mark.parametrize(
    ("headers", "key"),
    [([(b"authorization", b"Bearer  k1 ")], "k1"), ([(b"api-key", b"k2")], "k2"),
     ([(b"api-key", b"k2"), (b"authorization", b"bearer k1")], "k1"),
     ([(b"authorization", b"Basic xyz"), (b"api-key", b" k3 ")], "k3"),
     ([(b"authorization", b"Bearer ")], None), ([], None)],
    ids=["bearer", "api-key", "bearer-first", "basic-falls-back", "empty-bearer", "none"],
)
def test_api_key_of_a_scope(headers: list[tuple[bytes, bytes]], key: str | None) -> None:
    assert api_key_of({"type": "http", "headers": headers}) == key


def run_truncating(fraction: float, status: int, length: int | None,
                   chunks: list[bytes]) -> list[dict[str, Any]]:
    """Feed a response through `truncating` and return what reached the server."""
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def respond() -> None:
        cut = truncating(send, fraction)
        headers = [] if length is None else [(b"content-length", str(length).encode())]
        await cut({"type": "http.response.start", "status": status,
                   "headers": [(b"etag", b'"x"'), *headers]})
        for i, chunk in enumerate(chunks):
            await cut({"type": "http.response.body", "body": chunk,
                       "more_body": i < len(chunks) - 1})

    asyncio.run(respond())
    return sent


def body_of(sent: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent[1:])


def test_truncating_cuts_across_several_body_messages() -> None:
    chunks = [b"a" * 10, b"b" * 10, b"c" * 10]
    sent = run_truncating(0.5, 200, 30, chunks)
    assert dict(sent[0]["headers"]) == {b"etag": b'"x"', b"content-length": b"15"}
    assert body_of(sent) == b"a" * 10 + b"b" * 5
    assert sent[-1]["more_body"] is False
    assert [m["more_body"] for m in sent[1:]] == [True, True, False]


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.33, 0.999])
def test_truncating_keeps_the_floor(fraction: float) -> None:
    data = bytes(range(256)) * 4
    sent = run_truncating(fraction, 200, len(data), [data[:500], data[500:]])
    assert body_of(sent) == data[: math.floor(len(data) * fraction)]


@pytest.mark.parametrize(("status", "length"), [(404, 6), (304, 6), (200, None)],
                         ids=["error", "not-modified", "no-length"])
def test_truncating_leaves_other_responses_alone(status: int, length: int | None) -> None:
    sent = run_truncating(0.5, status, length, [b"abc", b"def"])
    assert body_of(sent) == b"abcdef"
    assert (b"content-length", b"6") in sent[0]["headers"] or length is None


@pytest.mark.parametrize(
    "fields",
    [{"error": "no_such_error"}, {"route": "*", "truncate": 0.5}, {"route": "result",
                                                                   "truncate": 0.5}],
    ids=["unknown-error", "truncate-on-every-route", "truncate-on-result"],
)
def test_rules_made_in_python_are_checked_too(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultRule.model_validate(fields)
