"""What a person looks at: the task list, the journal by task, health with a version,
and the settings in force with secrets redacted."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, png_bytes, resp, text_body

from pixverse_emulator.settings import REDACTED
from pixverse_emulator.version import __version__

TEXT = "/openapi/v2/video/text/generate"
RESULT = "/openapi/v2/video/result"


def create(client: TestClient, key: str = "team-a", prompt: str = "x", route: str = "text",
           **extra: Any) -> int:
    path = f"/openapi/v2/video/{route}/generate"
    return int(resp(client.post(path, json=text_body(prompt=prompt, **extra),
                                headers=auth(key)))["video_id"])


def listed(client: TestClient, query: str = "") -> list[dict[str, Any]]:
    answer = client.get(f"/_emulator/tasks{query}")
    assert answer.status_code == 200, answer.json()
    tasks: list[dict[str, Any]] = answer.json()["tasks"]
    return tasks


def test_tasks_are_listed_newest_first_with_what_identifies_them(client: TestClient) -> None:
    first = create(client, prompt="x [emulator:instant]")
    second = create(client, "team-b", prompt="x [emulator:failed] [emulator:instant]")
    third = create(client)
    tasks = listed(client)
    assert [t["video_id"] for t in tasks] == [third, second, first]
    assert set(tasks[0]) == {"video_id", "team", "route", "status", "created", "price", "url"}
    done = tasks[2]
    assert (done["team"], done["route"], done["status"], done["price"]) == ("team-a", "text", 1, 3)
    assert done["url"] == resp(client.get(f"{RESULT}/{first}", headers=auth()))["url"]
    assert tasks[0]["url"] is None and tasks[0]["status"] == 5


def test_the_list_filters_by_team_status_and_route(client: TestClient) -> None:
    mine = create(client, prompt="x [emulator:instant]")
    create(client, "team-b", prompt="x [emulator:instant]")
    running = create(client)
    upload = resp(client.post("/openapi/v2/image/upload",
                              files={"image": ("a.png", png_bytes(8, 8))}, headers=auth()))
    from_image = int(resp(client.post("/openapi/v2/video/img/generate", json={
        **text_body(), "img_id": upload["img_id"]}, headers=auth()))["video_id"])
    assert [t["video_id"] for t in listed(client, "?team=team-a")] == [from_image, running, mine]
    assert [t["video_id"] for t in listed(client, "?team=team-a&status=1")] == [mine]
    assert [t["video_id"] for t in listed(client, "?route=img")] == [from_image]
    assert len(listed(client, "?limit=2")) == 2
    assert listed(client, "?team=nobody") == []


def test_the_list_shows_tasks_as_they_are_now(client: TestClient) -> None:
    video_id = create(client)  # runs 5 s on the manual clock
    client.post("/_emulator/clock/advance", json={"seconds": 5})
    assert listed(client)[0]["status"] == 1 and listed(client)[0]["video_id"] == video_id


@pytest.mark.parametrize("query", ["?limit=0", "?limit=x", "?status=one"])
def test_bad_list_queries_are_400(client: TestClient, query: str) -> None:
    answer = client.get(f"/_emulator/tasks{query}")
    assert answer.status_code == 400 and answer.json()["ErrCode"] == 400013


def test_journal_entries_name_the_task_they_touched(client: TestClient) -> None:
    video_id = create(client, prompt="x [emulator:instant]")
    url = resp(client.get(f"{RESULT}/{video_id}", headers=auth()))["url"]
    client.get(url)
    client.get(f"{RESULT}/123", headers=auth())
    mine = client.get(f"/_emulator/requests?video_id={video_id}").json()["requests"]
    assert [e["route"] for e in mine] == ["text", "result", "download"]
    unknown = client.get("/_emulator/requests?video_id=123").json()["requests"]
    assert [(e["route"], e["status"]) for e in unknown] == [("result", 404)]


def test_health_says_the_version(client: TestClient) -> None:
    assert client.get("/_emulator/health").json() == {"status": "ok", "version": __version__}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"admin_token": None, "teams": [{"id": "acme", "keys": ["acme-key-1", "acme-key-2"]}],
            "seed": 5}


def test_settings_are_shown_with_keys_and_tokens_redacted(client: TestClient) -> None:
    shown = client.get("/_emulator/settings").json()
    assert shown["teams"][0]["keys"] == [REDACTED, REDACTED] and shown["seed"] == 5
    assert "acme-key" not in client.get("/_emulator/settings").text
    assert shown["clock"] == "manual" and shown["admin_token"] is None
