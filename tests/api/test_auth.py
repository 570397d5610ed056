"""Keys, teams and the error envelope for auth."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, error_of, resp, text_body

from pixverse_emulator import Emulator

CREATE = "/openapi/v2/video/text/generate"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}, {"API-KEY": ""}],
    ids=["none", "empty-bearer", "basic", "empty-api-key"],
)
def test_missing_key_is_401(client: TestClient, headers: dict[str, str]) -> None:
    r = client.post(CREATE, json=text_body(), headers=headers)
    assert error_of(r) == (401, 401001, "invalid_api_key")
    assert "API key" in r.json()["ErrMsg"]


def test_native_api_key_header_is_accepted(client: TestClient) -> None:
    resp(client.post(CREATE, json=text_body(), headers={"API-KEY": "team-a"}))


def test_open_mode_unlisted_key_is_its_own_team(client: TestClient, emulator: Emulator) -> None:
    video_id = resp(client.post(CREATE, json=text_body(), headers=auth("k1")))["video_id"]
    assert emulator.task(video_id).team_id == "k1"
    assert emulator.team("k1")["credits"] == 10_000 - 3


def test_auth_comes_before_body_parsing(client: TestClient) -> None:
    r = client.post(CREATE, content=b"{not json", headers={"Content-Type": "application/json"})
    assert error_of(r)[0] == 401


class TestStrictMode:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "auth": "strict",
            "teams": [{"id": "acme", "keys": ["k-one", "k-two"], "credits": 100}],
        }

    def test_unknown_key_is_refused(self, client: TestClient) -> None:
        assert error_of(client.post(CREATE, json=text_body(), headers=auth("nobody")))[0] == 401

    def test_keys_of_one_team_share_credits_and_ownership(
        self, client: TestClient, emulator: Emulator
    ) -> None:
        video_id = resp(client.post(CREATE, json=text_body(), headers=auth("k-one")))["video_id"]
        seen = resp(client.get(f"/openapi/v2/video/result/{video_id}", headers=auth("k-two")))
        assert seen["id"] == video_id
        assert emulator.team("acme")["credits"] == 97

    def test_team_created_over_admin_api_gets_its_keys(self, client: TestClient) -> None:
        assert client.put("/_emulator/teams/new", json={"keys": ["fresh"]}).status_code == 200
        resp(client.post(CREATE, json=text_body(), headers=auth("fresh")))
