"""The control plane's lock, keys never shown, and the clock's bounds, through HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, error_of, resp, text_body

from pixverse_emulator import Emulator, ManualClock, Settings, create_app
from pixverse_emulator.clock import MAX_ADVANCE
from pixverse_emulator.settings import TeamConfig

TOKEN = "admin-token-for-tests"
TEXT = "/openapi/v2/video/text/generate"


@pytest.fixture
def locked() -> Iterator[TestClient]:
    emulator = Emulator(Settings(clock="manual", admin_token=TOKEN), clock=ManualClock(0))
    with TestClient(create_app(emulator)) as client:
        yield client
    emulator.close()


ADMIN_CALLS = [
    ("GET", "/_emulator/clock"), ("POST", "/_emulator/reset"),
    ("GET", "/_emulator/teams/acme"), ("PUT", "/_emulator/teams/acme"),
    ("GET", "/_emulator/requests"), ("GET", "/_emulator/faults"),
    ("GET", "/_emulator/snapshots"), ("GET", "/_emulator/coverage"),
    ("GET", "/_emulator/tasks/1"), ("POST", "/_emulator/clock/advance"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer "],
                         ids=["none", "wrong", "not-bearer", "empty"])
def test_every_control_plane_call_needs_the_token(
    locked: TestClient, method: str, path: str, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    answer = locked.request(method, path, headers=headers, json={})
    assert error_of(answer) == (401, 401001, "admin_unauthorized")
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert TOKEN not in answer.text


def test_the_token_opens_it_and_health_needs_none(locked: TestClient) -> None:
    admin = {"Authorization": f"Bearer {TOKEN}"}
    assert locked.get("/_emulator/clock", headers=admin).json()["mode"] == "manual"
    assert locked.put("/_emulator/teams/acme", headers=admin, json={"credits": 5}).json()[
        "credits"] == 5
    assert locked.get("/_emulator/health").json()["status"] == "ok"


def test_the_public_api_and_files_ignore_the_lock(locked: TestClient) -> None:
    created = resp(locked.post(TEXT, json=text_body(prompt="x [emulator:instant]"),
                               headers=auth()))
    done = resp(locked.get(f"/openapi/v2/video/result/{created['video_id']}", headers=auth()))
    assert locked.get(done["url"]).status_code == 200


@pytest.fixture
def client_with_keys() -> Iterator[tuple[Emulator, TestClient]]:
    teams = (TeamConfig(id="acme", keys=("acme-secret-key-1",)),)
    emulator = Emulator(Settings(clock="manual", teams=teams), clock=ManualClock(0))
    with TestClient(create_app(emulator)) as client:
        yield emulator, client
    emulator.close()


def test_no_answer_or_journal_entry_holds_a_configured_key(
    client_with_keys: tuple[Emulator, TestClient],
) -> None:
    emulator, client = client_with_keys
    key = "acme-secret-key-1"
    client.post(TEXT, json=text_body(), headers=auth(key))
    client.get("/openapi/v2/video/result/1", headers={"API-KEY": key})
    client.put("/_emulator/teams/other", json={"keys": [key]})  # a conflict, naming no key
    seen = [client.get(path).text for path in (
        "/_emulator/teams/acme", "/_emulator/requests", "/_emulator/teams/acme/ledger",
        "/_emulator/coverage")]
    seen.append(client.put("/_emulator/teams/other", json={"keys": [key]}).text)
    assert all(key not in text for text in seen)
    assert client.get("/_emulator/teams/acme").json()["keys"][0].startswith("sha256:")
    assert key not in repr(emulator.world.accounts.get("acme"))


def test_in_open_mode_a_teams_id_is_no_key_once_it_has_keys(
    client_with_keys: tuple[Emulator, TestClient],
) -> None:
    _, client = client_with_keys
    assert error_of(client.post(TEXT, json=text_body(), headers=auth("acme")))[:2] == (
        401, 401001)
    assert resp(client.post(TEXT, json=text_body(), headers=auth("acme-secret-key-1")))
    assert resp(client.post(TEXT, json=text_body(), headers=auth("fresh-key")))  # its own


@pytest.mark.parametrize("seconds", [-1, 1e308, MAX_ADVANCE * 1.01, "NaN", "Infinity"],
                         ids=["negative", "huge", "over-a-century", "nan", "infinite"])
def test_the_clock_moves_at_most_a_century_at_a_time(client: TestClient, seconds: Any) -> None:
    body = f'{{"seconds": {seconds}}}'
    before = client.get("/_emulator/clock").json()["now"]
    answer = client.post("/_emulator/clock/advance", content=body)
    assert error_of(answer)[:2] == (400, 400013) and "seconds" in answer.json()["ErrMsg"]
    assert client.get("/_emulator/clock").json()["now"] == before


def test_a_century_is_allowed_and_twice_is_fine(client: TestClient) -> None:
    for _ in range(2):
        moved = client.post("/_emulator/clock/advance", json={"seconds": MAX_ADVANCE})
        assert moved.status_code == 200


def test_the_python_api_refuses_the_same(emulator: Emulator) -> None:
    from pixverse_emulator.errors import InvalidField

    with pytest.raises(InvalidField, match="100 years"):
        emulator.advance(1e308)


def test_the_settings_view_redacts_the_token(locked: TestClient) -> None:
    from pixverse_emulator.settings import REDACTED

    shown = locked.get("/_emulator/settings", headers={"Authorization": f"Bearer {TOKEN}"})
    assert shown.json()["admin_token"] == REDACTED and TOKEN not in shown.text
