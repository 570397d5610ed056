"""PixVerse's two kinds of credits under `profile = "pixverse"`: `GET /account/balance`,
monthly credits drawn first and package credits when the monthly ones cannot pay a
task's whole price, refunds to the pool a hold came from, and all of it kept across a
restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from pixverse_emulator import Emulator, ManualClock, Settings, create_app

BALANCE = "/openapi/v2/account/balance"
TEXT = "/openapi/v2/video/text/generate"
KEY = {"API-KEY": "buyer"}
BODY = {"model": "v5", "prompt": "a fox [emulator:stuck]", "duration": 5, "quality": "540p",
        "aspect_ratio": "16:9"}  # 45 credits, running until settled by hand


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"profile": "pixverse"}


def balance(client: TestClient) -> tuple[int, int]:
    answer = client.get(BALANCE, headers=KEY).json()
    assert answer["ErrCode"] == 0, answer
    return answer["Resp"]["credit_monthly"], answer["Resp"]["credit_package"]


def create(client: TestClient) -> dict[str, Any]:
    answer: dict[str, Any] = client.post(TEXT, json=BODY, headers=KEY).json()
    return answer


def test_a_new_team_has_the_default_credits_all_monthly(client: TestClient) -> None:
    first = client.get(BALANCE, headers=KEY).json()["Resp"]
    assert (first["credit_monthly"], first["credit_package"]) == (10000, 0)
    assert isinstance(first["account_id"], int)
    assert client.get(BALANCE, headers=KEY).json()["Resp"]["account_id"] == first["account_id"]
    other = client.get(BALANCE, headers={"API-KEY": "someone"}).json()["Resp"]
    assert other["account_id"] != first["account_id"]


def test_monthly_credits_go_first_then_package_ones_whole(client: TestClient) -> None:
    team = client.put("/_emulator/teams/buyer", json={"credits": 50, "credit_package": 100})
    assert (team.json()["credit_monthly"], team.json()["credit_package"]) == (50, 100)
    create(client)
    assert balance(client) == (5, 100)
    create(client)  # 5 monthly cannot pay 45: the package does
    assert balance(client) == (5, 55)
    create(client)
    assert balance(client) == (5, 10)
    refused = create(client)
    assert refused["ErrCode"] == 500090
    assert "5 monthly and 10 package credits" in refused["ErrMsg"]
    pools = [(e["kind"], e.get("pool", "monthly")) for e in client.get(
        "/_emulator/teams/buyer/ledger").json()["entries"] if e["kind"] == "hold"]
    assert pools == [("hold", "monthly"), ("hold", "package"), ("hold", "package")]


def test_a_refund_goes_back_to_the_pool_it_came_from(client: TestClient) -> None:
    client.put("/_emulator/teams/buyer", json={"credits": 0, "credit_package": 45})
    video_id = create(client)["Resp"]["video_id"]
    assert balance(client) == (0, 0)
    client.post(f"/_emulator/tasks/{video_id}/status", json={"status": 8})
    assert balance(client) == (0, 45)
    team = client.get("/_emulator/teams/buyer").json()
    assert (team["credits"], team["held"], team["spent"]) == (45, 0, 0)


def test_pools_and_a_package_hold_survive_a_restart(tmp_path: Path) -> None:
    settings = Settings(profile="pixverse", clock="manual", quiet=True,
                        data_dir=str(tmp_path / "data"))
    emulator = Emulator(settings, clock=ManualClock(1_780_000_000.0))
    with TestClient(create_app(emulator)) as client:
        client.put("/_emulator/teams/buyer", json={"credits": 10, "credit_package": 100})
        video_id = create(client)["Resp"]["video_id"]
        assert balance(client) == (10, 55)
    emulator.close()
    emulator = Emulator(settings, clock=ManualClock(1_780_000_000.0))
    with TestClient(create_app(emulator)) as client:
        assert balance(client) == (10, 55)
        client.post(f"/_emulator/tasks/{video_id}/status", json={"status": 7})
        assert balance(client) == (10, 100)
    emulator.close()


def test_under_worldrouter_there_is_no_balance_route() -> None:
    emulator = Emulator(Settings(quiet=True))
    with TestClient(create_app(emulator)) as client:
        assert client.get(BALANCE, headers=KEY).status_code == 404
        assert "credit_package" not in client.put("/_emulator/teams/x", json={}).json()
    emulator.close()
