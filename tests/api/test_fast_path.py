"""The fast path answers exactly as the FastAPI routes it stands in front of."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, text_body

from pixverse_emulator import Emulator, create_app
from pixverse_emulator.http.fast_path import FastPath

TEXT = "/openapi/v2/video/text/generate"
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("create", "POST", {"json": text_body(), "headers": auth()}),
    ("create-no-key", "POST", {"json": text_body()}),
    ("create-bad-field", "POST", {"json": text_body(duration="5"), "headers": auth()}),
    ("create-bad-model", "POST", {"json": text_body(model="v6"), "headers": auth()}),
    ("create-broken-json", "POST", {"content": b"{", "headers": auth()}),
    ("create-no-content-type", "POST", {"content": b'{"model": 1}', "headers": auth()}),
    ("result-unknown", "GET", {"headers": auth()}),
    ("result-not-a-number", "GET", {"headers": auth()}),
    ("result-negative", "GET", {"headers": auth()}),
    ("result-no-key", "GET", {}),
    ("result-plus-sign", "GET", {"headers": auth()}),
    ("result-huge", "GET", {"headers": auth()}),
]
PATHS = {"result-unknown": "/openapi/v2/video/result/123", "result-not-a-number":
         "/openapi/v2/video/result/12ab", "result-negative": "/openapi/v2/video/result/-4",
         "result-no-key": "/openapi/v2/video/result/1",
         "result-plus-sign": "/openapi/v2/video/result/+5",
         "result-huge": "/openapi/v2/video/result/" + "9" * 40}


def router_only(emulator: Emulator) -> Any:
    app = create_app(emulator)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not FastPath]
    return app


@pytest.fixture
def clients(tmp_path: Any) -> Iterator[tuple[TestClient, TestClient]]:
    from pixverse_emulator import ManualClock, Settings

    emulators = [Emulator(Settings(clock="manual", seed=7), clock=ManualClock(0))
                 for _ in ("fast", "routed")]
    with TestClient(create_app(emulators[0])) as fast, \
         TestClient(router_only(emulators[1])) as routed:
        yield fast, routed
    for emulator in emulators:
        emulator.close()


@pytest.mark.parametrize(("name", "method", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_same_answer_with_and_without_the_fast_path(
    clients: tuple[TestClient, TestClient], name: str, method: str, kwargs: dict[str, Any]
) -> None:
    path = PATHS.get(name, TEXT)
    fast, routed = (c.request(method, path, **kwargs) for c in clients)
    assert (fast.status_code, fast.json()) == (routed.status_code, routed.json())


def test_a_known_result_is_the_same_both_ways(clients: tuple[TestClient, TestClient]) -> None:
    answers = []
    for client in clients:
        video_id = client.post(TEXT, json=text_body(seed=7), headers=auth()).json()["Resp"][
            "video_id"]
        answers.append(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()).json())
    assert answers[0] == answers[1]


def test_other_methods_fall_through_to_the_router(clients: tuple[TestClient, TestClient]
                                                  ) -> None:
    fast, _ = clients
    assert fast.get(TEXT, headers=auth()).status_code == 405
    assert fast.head("/openapi/v2/video/result/1", headers=auth()).status_code == 405
