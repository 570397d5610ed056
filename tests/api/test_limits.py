"""Bounded growth: each limit evicts the oldest of what it bounds, journaled, and a
request that fails authentication or routing creates nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import auth, error_of, png_bytes, resp, text_body, wav_bytes

from pixverse_emulator import Emulator, ManualClock, Settings, create_app
from pixverse_emulator.domain.uploads import url_size
from pixverse_emulator.settings import TeamConfig

TEXT = "/openapi/v2/video/text/generate"
RESULT = "/openapi/v2/video/result"
IMAGE = "/openapi/v2/image/upload"
DONE = "x [emulator:instant]"


def server(tmp_path: Path | None = None, **settings: Any) -> tuple[Emulator, TestClient]:
    values: dict[str, Any] = {"clock": "manual", **settings}
    if tmp_path is not None:
        values["data_dir"] = str(tmp_path / "data")
    emulator = Emulator(Settings(**values), clock=ManualClock(1_780_000_000.0))
    return emulator, TestClient(create_app(emulator))


def create(client: TestClient, key: str = "team-a", prompt: str = DONE) -> int:
    return int(resp(client.post(TEXT, json=text_body(prompt=prompt), headers=auth(key)))
               ["video_id"])


def evictions(client: TestClient) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/_emulator/requests?route=eviction").json()[
        "requests"]
    return entries


def gone(client: TestClient, video_id: int, key: str = "team-a") -> bool:
    answer = client.get(f"{RESULT}/{video_id}", headers=auth(key))
    if answer.status_code == 200:
        return False
    return error_of(answer)[:2] == (404, 404001)


def test_a_team_over_its_task_limit_loses_its_oldest_finished_task() -> None:
    emulator, client = server(max_tasks_per_team=3)
    first = create(client)
    url = resp(client.get(f"{RESULT}/{first}", headers=auth()))["url"]
    later = [create(client) for _ in range(2)]
    assert not gone(client, first)
    newest = create(client)
    assert gone(client, first) and error_of(client.get(url))[0] == 404
    assert not any(gone(client, video_id) for video_id in [*later, newest])
    entries = client.get("/_emulator/teams/team-a/ledger").json()["entries"]
    assert [e["kind"] for e in entries if e["video_id"] == first] == ["hold", "capture"]
    (eviction,) = evictions(client)
    assert (eviction["team"], eviction["reason"], eviction["method"]) == (
        "team-a", "max_tasks_per_team", "EVICT")
    assert eviction["path"] == f"/_emulator/tasks/{first}"
    emulator.close()


def ledger_kinds(client: TestClient, video_id: int, team: str = "team-a") -> list[str]:
    entries = client.get(f"/_emulator/teams/{team}/ledger").json()["entries"]
    return [e["kind"] for e in entries if e["video_id"] == video_id]


def test_when_every_task_runs_the_oldest_running_one_goes_and_its_hold_is_released() -> None:
    emulator, client = server(max_tasks_per_team=2)
    running = [create(client, prompt="x [emulator:stuck]") for _ in range(3)]
    assert gone(client, running[0]) and not any(gone(client, v) for v in running[1:])
    assert ledger_kinds(client, running[0]) == ["hold", "release"]
    team = client.get("/_emulator/teams/team-a").json()
    assert (team["pending"], team["held"]) == (2, 2 * emulator.world.tasks.get(running[1]).price)
    (eviction,) = evictions(client)
    assert (eviction["reason"], eviction["path"]) == (
        "max_tasks_per_team", f"/_emulator/tasks/{running[0]}")
    emulator.close()


def test_over_the_total_stuck_tasks_of_other_teams_go_too() -> None:
    emulator, client = server(max_tasks=2)
    stuck = [create(client, "team-a", prompt="x [emulator:stuck]") for _ in range(2)]
    create(client, "team-b", prompt="x [emulator:stuck]")
    assert gone(client, stuck[0], "team-a") and not gone(client, stuck[1], "team-a")
    assert ledger_kinds(client, stuck[0]) == ["hold", "release"]
    assert len(emulator.world.tasks) == 2
    emulator.close()


def test_another_teams_task_past_its_due_time_goes_before_newer_finished_ones() -> None:
    emulator, client = server(max_tasks=3)
    overdue = create(client, "team-x", prompt="x")  # due after run_seconds; never polled
    finished = [create(client) for _ in range(2)]
    clock = emulator.clock
    assert isinstance(clock, ManualClock)
    clock.advance(60)  # time passes as on a wall clock: nothing settles team-x
    create(client)
    assert gone(client, overdue, "team-x") and not any(gone(client, v) for v in finished)
    assert ledger_kinds(client, overdue, "team-x") == ["hold", "capture"]  # done, then gone
    emulator.close()


def upload(client: TestClient, side: int, key: str = "team-a") -> Any:
    return client.post(IMAGE, files={"image": ("a.png", png_bytes(side, side))}, headers=auth(key))


def test_uploads_over_the_teams_bytes_evict_its_oldest() -> None:
    size = len(png_bytes(20, 20))
    emulator, client = server(max_upload_bytes_per_team=int(size * 2.5))
    first, second = resp(upload(client, 20)), resp(upload(client, 20))
    third = resp(upload(client, 20))
    assert client.get(first["img_url"]).status_code == 404
    assert client.get(f"/_emulator/images/{first['img_id']}").status_code == 404
    for kept in (second, third):
        assert client.get(kept["img_url"]).content == png_bytes(20, 20)
    assert resp(upload(client, 20, "team-b"))  # another team's allowance is its own
    assert [e["reason"] for e in evictions(client)] == ["max_upload_bytes_per_team"]
    too_big = client.post("/openapi/v2/media/upload", files={"file": ("a.wav", wav_bytes(1.0))},
                          headers=auth())
    assert error_of(too_big)[:2] == (413, 413001)
    assert "max_upload_bytes_per_team" in too_big.json()["ErrMsg"]
    assert client.get(third["img_url"]).status_code == 200  # a refusal evicts nothing
    emulator.files.drain()
    names = {p.name for p in emulator.files.folder.iterdir()}
    assert len(names) == 3  # second, third and team-b's: nothing else left on disk
    emulator.close()


def test_uploads_by_url_count_toward_the_allowance_and_are_evicted_too() -> None:
    url = "https://example.invalid/cat.png"
    size = len(png_bytes(20, 20))
    emulator, client = server(max_upload_bytes_per_team=size + url_size(url) + 100)
    by_url = resp(client.post(IMAGE, data={"image_url": url}, headers=auth()))
    stored = resp(upload(client, 20))
    assert client.get(f"/_emulator/images/{by_url['img_id']}").status_code == 200
    resp(client.post(IMAGE, data={"image_url": url}, headers=auth()))  # over: the oldest goes
    assert client.get(f"/_emulator/images/{by_url['img_id']}").status_code == 404
    assert client.get(stored["img_url"]).status_code == 200
    assert emulator.world.uploads.bytes["team-a"] == size + url_size(url)
    assert [e["reason"] for e in evictions(client)] == ["max_upload_bytes_per_team"]
    emulator.close()


def test_over_max_teams_the_least_recently_used_keyless_team_goes() -> None:
    configured = (TeamConfig(id="configured"),)
    emulator, client = server(max_teams=4, teams=configured)
    create(client, "old")
    client.put("/_emulator/teams/keyed", json={"keys": ["keyed-key"]})
    create(client, "busy", prompt="x [emulator:stuck]")
    client.get(f"{RESULT}/1", headers=auth("configured"))
    create(client, "newcomer")  # a fifth team: one goes
    assert client.get("/_emulator/teams/old").status_code == 404
    for kept in ("configured", "keyed", "busy", "newcomer"):
        assert client.get(f"/_emulator/teams/{kept}").status_code == 200, kept
    assert [e["reason"] for e in evictions(client)] == ["max_teams"]
    create(client, "another")  # busy is less recent, but has a task running
    assert client.get("/_emulator/teams/newcomer").status_code == 404
    assert client.get("/_emulator/teams/busy").status_code == 200
    emulator.close()


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "data-folder-restarted"])
def test_a_team_made_through_the_control_plane_is_never_evicted(
    tmp_path: Path, durable: bool
) -> None:
    folder = tmp_path if durable else None
    emulator, client = server(folder, max_teams=2)
    assert client.put("/_emulator/teams/made", json={"credits": 5}).status_code == 200
    if durable:  # the pin is state: it survives a restart
        client.close()
        emulator.close()
        emulator, client = server(folder, max_teams=2)
    create(client, "first")
    create(client, "second")  # made is the least recently used, but pinned
    assert client.get("/_emulator/teams/made").status_code == 200
    assert client.get("/_emulator/teams/first").status_code == 404
    emulator.close()


def test_a_put_refused_for_a_claimed_key_creates_no_team() -> None:
    emulator, client = server()
    assert client.put("/_emulator/teams/owner", json={"keys": ["k"]}).status_code == 200
    refused = client.put("/_emulator/teams/thief", json={"keys": ["k"]})
    assert refused.status_code == 409
    assert client.get("/_emulator/teams/thief").status_code == 404
    assert emulator.world.team_ids() == ["owner"]
    emulator.close()


def test_keys_of_no_team_leave_no_trace_in_the_recency_of_teams() -> None:
    emulator, client = server(max_teams=2)
    create(client, "first")
    for n in range(20):
        client.get(f"{RESULT}/1", headers=auth(f"garbage-{n}"))
    assert list(emulator.evictor.recency) == ["first"]
    emulator.close()


def test_after_a_restart_the_teams_a_key_opened_can_still_be_evicted(tmp_path: Path) -> None:
    emulator, client = server(tmp_path, max_teams=2)
    create(client, "first")
    create(client, "second")
    client.close()
    emulator.close()
    emulator, client = server(tmp_path, max_teams=2)
    create(client, "third")
    assert len(emulator.world.accounts) == 2
    assert [e["reason"] for e in evictions(client)] == ["max_teams"]
    emulator.close()


def test_a_team_whose_tasks_are_done_by_time_counts_as_idle_unpolled() -> None:
    emulator, client = server(max_teams=2)
    create(client, "overdue", prompt="x [emulator:seconds=5]")
    create(client, "running", prompt="x [emulator:seconds=500]")
    emulator.advance(10)  # overdue's task is done, though nobody has polled it
    create(client, "newcomer")
    assert client.get("/_emulator/teams/overdue").status_code == 404
    assert client.get("/_emulator/teams/running").status_code == 200
    emulator.close()


def test_when_every_old_team_has_tasks_running_the_least_recent_goes_anyway() -> None:
    emulator, client = server(max_teams=3)
    for name in ("stuck-1", "stuck-2", "stuck-3"):
        create(client, name, prompt="x [emulator:stuck]")
    create(client, "newcomer")  # the number of teams stays bounded
    assert client.get("/_emulator/teams/stuck-1").status_code == 404
    assert len(emulator.world.accounts) == 3
    assert [e["reason"] for e in evictions(client)] == ["max_teams"]
    emulator.close()


def test_recent_use_keeps_a_team() -> None:
    emulator, client = server(max_teams=2)
    create(client, "first")
    create(client, "second")
    client.get(f"{RESULT}/1", headers=auth("first"))  # first is now the more recent
    create(client, "third")
    assert client.get("/_emulator/teams/second").status_code == 404
    assert client.get("/_emulator/teams/first").status_code == 200
    emulator.close()


@pytest.mark.parametrize(("method", "path", "headers"), [
    ("GET", f"{RESULT}/123", auth("unknown-key")),
    ("GET", "/openapi/v2/nowhere", auth("unknown-key")),
    ("POST", "/openapi/v2/video/result/1", auth("unknown-key")),
    ("POST", TEXT, {"Authorization": "Bearer "}),
], ids=["unknown-video", "unknown-route", "wrong-method", "no-key"])
def test_a_failed_request_creates_no_team(method: str, path: str, headers: Any) -> None:
    emulator, client = server()
    client.request(method, path, headers=headers)
    assert emulator.world.team_ids() == []
    emulator.close()


def test_evictions_are_kept_by_a_data_folder(tmp_path: Path) -> None:
    emulator, client = server(tmp_path, max_tasks_per_team=2)
    first = create(client)
    create(client)
    create(client)
    assert gone(client, first)
    client.close()
    emulator.close()
    emulator, client = server(tmp_path, max_tasks_per_team=2)
    assert gone(client, first) and emulator.world.tasks.count("team-a") == 2
    assert create(client) > first
    emulator.close()
