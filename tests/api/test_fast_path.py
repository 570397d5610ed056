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


IMG = "/openapi/v2/video/img/generate"
# Creates sent twice and more: the fast path keeps a body the rules pass prepared, and
# must answer each resend as the router works it out anew.
RESENT: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    (TEXT, text_body(), {}),
    (TEXT, text_body(), {}),
    (TEXT, text_body(), {"Ai-trace-id": "trace-1"}),
    # A replayed trace id answers its task, even with a body the rules refuse.
    (TEXT, text_body(model="v6"), {"Ai-trace-id": "trace-1"}),
    (TEXT, text_body(model="v6"), {}),
    (TEXT, text_body(model="v6"), {}),
    (TEXT, text_body(prompt="a cube [emulator:instant] [emulator:failed]"), {}),
    (TEXT, text_body(prompt="a cube [emulator:instant] [emulator:failed]"), {}),
    # The image decides an image-to-video's shape: looked up on every create.
    (IMG, {k: v for k, v in text_body(img_id=1).items() if k != "aspect_ratio"}, {}),
    (IMG, {k: v for k, v in text_body(img_id=1).items() if k != "aspect_ratio"}, {}),
    (TEXT, text_body(duration=5, quality="540p"), {}),
    (TEXT, text_body(duration=5, quality="540p"), {}),
]


def test_resent_bodies_answer_as_the_router_works_them_out(
        clients: tuple[TestClient, TestClient]) -> None:
    for path, body, headers in RESENT:
        fast, routed = (c.post(path, json=body, headers={**auth(), **headers}) for c in clients)
        assert (fast.status_code, fast.json()) == (routed.status_code, routed.json()), body
    tasks = [c.get("/_emulator/tasks", params={"limit": 100}).json()["tasks"] for c in clients]
    assert tasks[0] == tasks[1] and len(tasks[0]) == 7
    ledgers = [c.get("/_emulator/teams/team-a/ledger") for c in clients]
    assert ledgers[0].status_code == 200 and ledgers[0].json() == ledgers[1].json()


def test_a_body_is_prepared_once_and_kept_bodies_stay_bounded(
        monkeypatch: pytest.MonkeyPatch, clients: tuple[TestClient, TestClient]) -> None:
    from pixverse_emulator.http import hot_routes

    fast, _ = clients
    monkeypatch.setattr(hot_routes, "BODIES_KEPT", 2)
    prepared: list[str] = []
    original = Emulator.prepare

    def counted(self: Emulator, route: str, request: Any) -> Any:
        prepared.append(request.prompt)
        return original(self, route, request)

    monkeypatch.setattr(Emulator, "prepare", counted)
    bodies = [text_body(prompt=prompt) for prompt in ["a", "a", "b", "a", "c", "a"]]
    bodies += [text_body(prompt="big", padding="x" * 5000)] * 2  # an unknown field: ignored
    for body in bodies:
        assert fast.post(TEXT, json=body, headers=auth()).status_code == 200
    # "a" again after "b" is kept; "c" pushes "a" out (two kept); over 4 KiB never kept
    assert prepared == ["a", "b", "c", "a", "big", "big"]
