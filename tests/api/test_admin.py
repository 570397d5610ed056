"""The /_emulator control plane."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, error_of, resp, text_body

from pixverse_emulator import Emulator
from pixverse_emulator.domain.accounts import key_hash
from pixverse_emulator.version import __version__

TEXT = "/openapi/v2/video/text/generate"


def test_health(client: TestClient) -> None:
    assert client.get("/_emulator/health").json() == {"status": "ok", "version": __version__}


def test_clock_and_advance(client: TestClient) -> None:
    before = client.get("/_emulator/clock").json()
    assert before["mode"] == "manual"
    after = client.post("/_emulator/clock/advance", json={"seconds": 1.5}).json()
    assert after["now"] == before["now"] + 1.5


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "1"}, {}, {"seconds": 1, "x": 1}],
                         ids=["negative", "string", "missing", "extra"])
def test_advance_rejects_bad_bodies(client: TestClient, body: dict[str, Any]) -> None:
    assert error_of(client.post("/_emulator/clock/advance", json=body))[1] == 400013


class TestWallClock:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"clock": "wall"}

    def test_advance_on_a_wall_clock_is_409(self, client: TestClient) -> None:
        r = client.post("/_emulator/clock/advance", json={"seconds": 1})
        assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
        assert client.get("/_emulator/clock").json()["mode"] == "wall"


def test_team_put_get_and_ledger(client: TestClient) -> None:
    r = client.put("/_emulator/teams/t1", json={"credits": 50, "pending_cap": 3, "keys": ["k"]})
    assert r.json() == {"id": "t1", "credits": 50, "held": 0, "spent": 0, "pending": 0,
                        "pending_cap": 3, "keys": [key_hash("k")], "progression": "seconds:5",
                        "outcomes": ["success"], "now": 1_780_000_000.0}
    resp(client.post(TEXT, json=text_body(), headers=auth("k")))
    team = client.get("/_emulator/teams/t1").json()
    assert (team["credits"], team["held"], team["pending"]) == (47, 3, 1)
    entries = client.get("/_emulator/teams/t1/ledger").json()["entries"]
    assert [(e["seq"], e["kind"], e["amount"], e["balance"]) for e in entries] == [
        (1, "grant", 10_000, 10_000),
        (2, "grant", -9_950, 50),
        (3, "hold", 3, 47),
    ]
    assert isinstance(entries[2]["video_id"], int) and entries[0]["video_id"] is None


def test_unknown_team_is_404(client: TestClient) -> None:
    assert error_of(client.get("/_emulator/teams/ghost"))[0] == 404
    assert error_of(client.get("/_emulator/teams/ghost/ledger"))[0] == 404


@pytest.mark.parametrize("body", [{"credits": -1}, {"credits": "5"}, {"keys": [""]},
                                  {"pending_cap": 1.5}],
                         ids=["negative", "string", "empty-key", "float-cap"])
def test_team_put_rejects_bad_values(client: TestClient, body: dict[str, Any]) -> None:
    assert error_of(client.put("/_emulator/teams/t1", json=body))[1] == 400013


def test_key_of_another_team_is_409(client: TestClient) -> None:
    client.put("/_emulator/teams/t1", json={"keys": ["shared"]})
    assert client.put("/_emulator/teams/t2", json={"keys": ["shared"]}).status_code == 409


def test_task_detail_and_forced_transitions(client: TestClient) -> None:
    video_id = resp(client.post(TEXT, json=text_body(), headers=auth()))["video_id"]
    detail = client.get(f"/_emulator/tasks/{video_id}").json()
    assert detail["team"] == "team-a" and detail["route"] == "text"
    assert detail["request"]["prompt"] == text_body()["prompt"] and detail["status"] == 5
    assert client.post(f"/_emulator/tasks/{video_id}/status", json={"status": 5}).status_code == 409
    assert client.post(f"/_emulator/tasks/{video_id}/status", json={"status": 8}).status_code == 200
    assert client.post(f"/_emulator/tasks/{video_id}/status", json={"status": 1}).status_code == 409
    assert client.post(f"/_emulator/tasks/{video_id}/status", json={"status": 6}).status_code == 409
    assert error_of(client.get("/_emulator/tasks/42"))[0] == 404


def test_success_can_be_deleted_but_not_undone(client: TestClient) -> None:
    video_id = resp(client.post(TEXT, json=text_body(), headers=auth()))["video_id"]
    for status, code in [(1, 200), (7, 409), (6, 200), (1, 409)]:
        r = client.post(f"/_emulator/tasks/{video_id}/status", json={"status": status})
        assert r.status_code == code, (status, r.json())


def test_reset_goes_back_to_configured_teams(client: TestClient, emulator: Emulator) -> None:
    video_id = resp(client.post(TEXT, json=text_body(), headers=auth()))["video_id"]
    assert client.post("/_emulator/reset").status_code == 200
    assert error_of(client.get(f"/_emulator/tasks/{video_id}"))[0] == 404
    assert error_of(client.get("/_emulator/teams/team-a"))[0] == 404
    assert client.get("/_emulator/requests").json() == {"requests": []}


def test_journal_records_calls_oldest_first(client: TestClient, emulator: Emulator) -> None:
    client.post(TEXT, json=text_body(), headers={**auth(), "Ai-trace-id": "t-1"})
    client.get("/openapi/v2/video/result/1", headers={**auth(), "Ai-trace-id": "t-2"})
    client.get("/_emulator/health")  # the control plane is not journaled
    entries = client.get("/_emulator/requests").json()["requests"]
    assert [(e["method"], e["path"], e["status"], e["err_code"], e["team"], e["trace_id"])
            for e in entries] == [
        ("POST", TEXT, 200, 0, "team-a", "t-1"),
        ("GET", "/openapi/v2/video/result/1", 404, 404001, "team-a", "t-2"),
    ]
    assert entries[1]["reason"] == "unknown_video"
    assert entries[0]["time"] == emulator.clock.now()
    assert client.delete("/_emulator/requests").status_code == 200
    assert client.get("/_emulator/requests").json() == {"requests": []}


class TestJournalSize:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"journal_size": 2}

    def test_keeps_the_newest(self, client: TestClient) -> None:
        for i in range(3):
            client.get(f"/openapi/v2/video/result/{i}", headers=auth())
        paths = [e["path"] for e in client.get("/_emulator/requests").json()["requests"]]
        assert paths == ["/openapi/v2/video/result/1", "/openapi/v2/video/result/2"]


def test_control_plane_is_not_in_the_public_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert all(not p.startswith("/_emulator") for p in paths)
    assert "/openapi/v2/video/result/{video_id}" in paths


def test_the_journal_has_the_entry_before_the_answer_ends(emulator: Emulator) -> None:
    """A client that has read its whole answer must find it in the journal (a live
    server's thread could otherwise record it after the client looked)."""
    import asyncio

    from pixverse_emulator import create_app

    seen_at_last_byte: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            seen_at_last_byte.append(len(emulator.requests()))

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "path": "/openapi/v2/video/result/1", "raw_path": b"",
             "query_string": b"", "headers": [(b"authorization", b"Bearer team-a")],
             "scheme": "http", "server": ("test", 80), "client": ("c", 1), "root_path": ""}
    asyncio.run(create_app(emulator)(scope, receive, send))
    assert seen_at_last_byte == [1]
