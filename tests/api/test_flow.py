"""The seed's quick-start flow, end to end: create, poll, download."""

from __future__ import annotations

import re

from starlette.testclient import TestClient
from support import auth, resp, text_body

from pixverse_emulator import Emulator

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_create_returns_video_id_and_price(client: TestClient) -> None:
    r = client.post(
        "/openapi/v2/video/text/generate",
        json=text_body(),
        headers={**auth(), "Ai-trace-id": "pixverse-c1-smoke-001"},
    )
    body = r.json()
    assert body["ErrMsg"] == "success"
    created = resp(r)
    assert set(created) == {"video_id", "credits", "credits_unit"}
    assert isinstance(created["video_id"], int) and 0 < created["video_id"] < 2**53
    assert created["credits"] == 3
    assert created["credits_unit"] == "worldrouter"
    assert r.headers["ai-trace-id"] == "pixverse-c1-smoke-001"


def test_running_then_succeeded_then_download(client: TestClient, emulator: Emulator) -> None:
    video_id = resp(client.post("/openapi/v2/video/text/generate", json=text_body(),
                                headers=auth()))["video_id"]
    running = client.get(f"/openapi/v2/video/result/{video_id}", headers=auth())
    assert running.json()["ErrMsg"] == "Success"
    assert resp(running) == {"id": video_id, "status": 5}

    emulator.advance(emulator.settings.run_seconds)
    done = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))
    assert done["status"] == 1
    assert (done["outputWidth"], done["outputHeight"]) == (640, 360)
    assert done["has_audio"] is False
    assert done["credits"] == 3 and done["credits_unit"] == "worldrouter"
    assert done["prompt"] == text_body()["prompt"]
    assert done["resolution_ratio"] == 360
    assert isinstance(done["seed"], int) and 0 < done["seed"] <= 2147483647
    assert ISO_Z.match(done["create_time"]) and ISO_Z.match(done["modify_time"])
    assert done["create_time"] < done["modify_time"]

    video = client.get(done["url"])  # no key: a CDN-style link with a secret token
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert len(video.content) == done["size"]
    assert video.content[4:8] == b"ftyp"


def test_result_url_uses_the_request_host(client: TestClient, emulator: Emulator) -> None:
    video_id = resp(client.post("/openapi/v2/video/text/generate", json=text_body(),
                                headers=auth()))["video_id"]
    emulator.advance(5)
    url = resp(client.get(f"/openapi/v2/video/result/{video_id}",
                          headers={**auth(), "Host": "emu.example:9000"}))["url"]
    assert url.startswith("http://emu.example:9000/files/")


def test_seed_given_is_the_seed_used(client: TestClient, emulator: Emulator) -> None:
    body = text_body(seed=1234, negative_prompt="blur", style="anime")
    video_id = resp(client.post("/openapi/v2/video/text/generate", json=body,
                                headers=auth()))["video_id"]
    emulator.advance(5)
    done = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))
    assert (done["seed"], done["negative_prompt"], done["style"]) == (1234, "blur", "anime")


def test_trace_id_is_generated_when_absent(client: TestClient) -> None:
    r = client.get("/openapi/v2/video/result/1", headers=auth())
    assert re.fullmatch(r"[0-9a-f-]{36}", r.headers["ai-trace-id"])


def test_same_trace_id_same_team_replays_without_charging(
    client: TestClient, emulator: Emulator
) -> None:
    headers = {**auth(), "Ai-trace-id": "once"}
    first = resp(client.post("/openapi/v2/video/text/generate", json=text_body(), headers=headers))
    again = resp(client.post("/openapi/v2/video/text/generate", json=text_body(), headers=headers))
    assert again == first
    holds = [e for e in emulator.ledger_entries("team-a") if e.kind == "hold"]
    assert len(holds) == 1
    other = resp(client.post("/openapi/v2/video/text/generate", json=text_body(),
                             headers={**auth("team-b"), "Ai-trace-id": "once"}))
    assert other["video_id"] != first["video_id"]
