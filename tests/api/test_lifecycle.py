"""Status progression, directives, the ledger, the pending cap and check order."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import FIXTURES, auth, error_of, resp, text_body

from pixverse_emulator import Emulator

TEXT = "/openapi/v2/video/text/generate"


def create(client: TestClient, key: str = "team-a", **change: Any) -> int:
    video_id: int = resp(client.post(TEXT, json=text_body(**change), headers=auth(key)))[
        "video_id"
    ]
    return video_id


def status_of(client: TestClient, video_id: int, key: str = "team-a") -> int:
    status: int = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth(key)))[
        "status"
    ]
    return status


def kinds(emulator: Emulator, team: str = "team-a") -> list[tuple[str, int]]:
    return [(e.kind, e.amount) for e in emulator.ledger_entries(team)]


def test_stays_running_until_run_seconds(client: TestClient, emulator: Emulator) -> None:
    video_id = create(client)
    emulator.advance(4.999)
    assert status_of(client, video_id) == 5
    emulator.advance(0.001)
    assert status_of(client, video_id) == 1


@pytest.mark.parametrize(
    ("directive", "status"),
    [("[emulator:moderated]", 7), ("[emulator:failed]", 8)],
    ids=["moderated", "failed"],
)
def test_outcome_directives_release_credits(
    client: TestClient, emulator: Emulator, directive: str, status: int
) -> None:
    video_id = create(client, prompt=f"a cat {directive}")
    emulator.advance(5)
    assert resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth())) == {
        "id": video_id,
        "status": status,
    }
    assert kinds(emulator) == [("grant", 10_000), ("hold", 3), ("release", 3)]
    assert emulator.team("team-a")["credits"] == 10_000


def test_stuck_directive_waits_for_the_admin_api(client: TestClient, emulator: Emulator) -> None:
    video_id = create(client, prompt="[emulator:stuck] a cat")
    emulator.advance(10_000)
    assert status_of(client, video_id) == 5
    r = client.post(f"/_emulator/tasks/{video_id}/status", json={"status": 1})
    assert r.status_code == 200 and r.json()["status"] == 1
    assert status_of(client, video_id) == 1


def test_seconds_directive_sets_run_time(client: TestClient, emulator: Emulator) -> None:
    video_id = create(client, prompt="a cat [emulator:seconds=0.5]")
    emulator.advance(0.4)
    assert status_of(client, video_id) == 5
    emulator.advance(0.1)
    assert status_of(client, video_id) == 1


def test_zero_seconds_is_done_at_once(client: TestClient) -> None:
    assert status_of(client, create(client, prompt="[emulator:seconds=0] x")) == 1


@pytest.mark.parametrize("directive", ["[emulator:explode]", "[emulator:seconds=soon]",
                                       "[emulator:seconds=-1]", "[emulator:seconds=inf]"])
def test_bad_directive_is_400013(client: TestClient, directive: str) -> None:
    r = client.post(TEXT, json=text_body(prompt=f"x {directive}"), headers=auth())
    assert error_of(r)[1] == 400013
    assert "directive" in r.json()["ErrMsg"]


def test_capture_is_stamped_at_the_due_time_not_the_poll(
    client: TestClient, emulator: Emulator
) -> None:
    start = emulator.clock.now()
    video_id = create(client)
    emulator.advance(60)
    assert status_of(client, video_id) == 1
    capture = [e for e in emulator.ledger_entries("team-a") if e.kind == "capture"]
    assert [(e.time, e.video_id, e.amount) for e in capture] == [(start + 5, video_id, 3)]
    detail = client.get(f"/_emulator/tasks/{video_id}").json()
    assert [s["status"] for s in detail["timeline"]] == [5, 1]
    assert detail["timeline"][1]["time"] == start + 5


@pytest.mark.parametrize(
    ("model", "quality", "duration", "audio", "price"),
    [
        ("pixverse-c1", "360p", 1, False, 3),
        ("pixverse-c1", "360p", 1, True, 4),
        ("pixverse-c1", "1080p", 15, True, 180),
        ("pixverse-v6", "540p", 5, False, 35),
        ("pixverse-v6", "720p", 5, True, 60),
    ],
)
def test_price_is_rate_times_duration(
    client: TestClient, emulator: Emulator, model: str, quality: str, duration: int,
    audio: bool, price: int,
) -> None:
    body = text_body(model=model, quality=quality, duration=duration,
                     generate_audio_switch=audio)
    created = resp(client.post(TEXT, json=body, headers=auth()))
    assert created["credits"] == price
    assert emulator.team("team-a")["held"] == price


def test_insufficient_credits_is_402_and_balance_never_negative(
    client: TestClient, emulator: Emulator
) -> None:
    emulator.put_team("team-a", credits=5)
    create(client)
    r = client.post(TEXT, json=text_body(), headers=auth())
    assert error_of(r) == (402, 402001, "pixverse_balance_too_low")
    assert "3" in r.json()["ErrMsg"] and "2" in r.json()["ErrMsg"]
    assert emulator.team("team-a")["credits"] == 2


def test_pending_cap_is_429_until_a_task_finishes(client: TestClient, emulator: Emulator) -> None:
    emulator.put_team("team-a", pending_cap=2)
    create(client)
    create(client)
    r = client.post(TEXT, json=text_body(), headers=auth())
    assert error_of(r) == (429, 429001, "pixverse_too_many_pending_tasks")
    assert "2" in r.json()["ErrMsg"]
    emulator.advance(5)
    create(client)


def test_cap_is_checked_before_balance(client: TestClient, emulator: Emulator) -> None:
    emulator.put_team("team-a", pending_cap=1)
    create(client)
    emulator.put_team("team-a", credits=0)
    assert error_of(client.post(TEXT, json=text_body(), headers=auth()))[0] == 429


def test_references_are_checked_before_cap(client: TestClient, emulator: Emulator) -> None:
    emulator.put_team("team-a", pending_cap=0)
    body = text_body(img_id=123)
    r = client.post("/openapi/v2/video/img/generate", json=body, headers=auth())
    assert error_of(r)[1] == 400017


def test_body_rules_are_checked_before_references(client: TestClient) -> None:
    body = text_body(img_id=123, duration=99)
    r = client.post("/openapi/v2/video/img/generate", json=body, headers=auth())
    assert error_of(r)[1] == 400013


def test_result_of_unknown_video_is_404(client: TestClient) -> None:
    r = client.get("/openapi/v2/video/result/123456789", headers=auth())
    assert error_of(r) == (404, 404001, "not_found")
    assert "123456789" in r.json()["ErrMsg"]


def test_result_of_another_teams_video_is_403(client: TestClient) -> None:
    video_id = create(client, key="team-a")
    r = client.get(f"/openapi/v2/video/result/{video_id}", headers=auth("team-b"))
    assert error_of(r) == (403, 403001, "media_resource_access_denied")


def test_result_id_must_be_an_integer(client: TestClient) -> None:
    r = client.get("/openapi/v2/video/result/abc", headers=auth())
    assert error_of(r)[1] == 400013
    assert "video_id" in r.json()["ErrMsg"]


def test_deleted_video_url_is_404(client: TestClient, emulator: Emulator) -> None:
    video_id = create(client)
    emulator.advance(5)
    url = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))["url"]
    assert client.get(url).status_code == 200
    emulator.set_status(video_id, 6)
    assert status_of(client, video_id) == 6
    assert error_of(client.get(url))[0] == 404
    assert kinds(emulator)[-1] == ("capture", 3)  # a deleted success stays billed


def test_deleting_a_running_task_releases_its_hold(client: TestClient, emulator: Emulator
                                                   ) -> None:
    video_id = create(client)
    assert client.post(f"/_emulator/tasks/{video_id}/status", json={"status": 6}).status_code == 200
    assert status_of(client, video_id) == 6
    assert kinds(emulator) == [("grant", 10_000), ("hold", 3), ("release", 3)]
    assert emulator.team("team-a")["pending"] == 0


class TestPublicUrl:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"public_url": "https://emulator.example/base/"}

    def test_every_returned_url_uses_it(self, client: TestClient, emulator: Emulator) -> None:
        video_id = create(client)
        emulator.advance(5)
        url = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth()))["url"]
        assert url.startswith("https://emulator.example/base/files/")
        files = {"image": ("a.png", (FIXTURES / "sample.png").read_bytes())}
        img_url = resp(client.post("/openapi/v2/image/upload", files=files, headers=auth()))[
            "img_url"]
        assert img_url.startswith("https://emulator.example/base/files/")
        assert client.get(url.removeprefix("https://emulator.example/base")).status_code == 200
