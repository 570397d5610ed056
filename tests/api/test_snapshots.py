"""Snapshots through `/_emulator/snapshots`, in memory and on a data folder: save, list,
download, upload, restore, delete; the `snapshot` setting; reset after a start from one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from statedump import check_ledgers, dump
from support import auth, error_of, png_bytes, resp
from test_durable import IMAGE, RESULT, START, SteppedWallClock, busy_state, create

from pixverse_emulator import Emulator, ManualClock, Settings, create_app
from pixverse_emulator.settings import TeamConfig
from pixverse_emulator.store.schema import StateFileError

SNAPSHOTS = "/_emulator/snapshots"


class Server:
    """An emulator and a client, in memory or on a data folder."""

    def __init__(self, data_dir: Path | None, time_source: Any = None, **settings: Any) -> None:
        values: dict[str, Any] = {"clock": "manual", **settings}
        if data_dir is not None:
            values["data_dir"] = str(data_dir)
        self.emulator = Emulator(Settings(**values), clock=time_source or ManualClock(START))
        self.client = TestClient(create_app(self.emulator))

    def close(self) -> None:
        self.client.close()
        self.emulator.close()


@pytest.fixture(params=["memory", "durable"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def servers(tmp_path: Path, mode: str) -> Iterator[Any]:
    made: list[Server] = []

    def make(name: str = "main", time_source: Any = None, **settings: Any) -> Server:
        folder = tmp_path / name if mode == "durable" else None
        made.append(Server(folder, time_source, **settings))
        return made[-1]

    yield make
    for server in made:
        server.close()


def save(client: TestClient, name: str, **extra: Any) -> dict[str, Any]:
    r = client.post(SNAPSHOTS, json={"name": name, **extra})
    assert r.status_code == 200, r.json()
    saved: dict[str, Any] = r.json()
    return saved


def test_save_list_download_delete(servers: Any) -> None:
    client = servers().client
    create(client)
    saved = save(client, "seed-1")
    assert set(saved) == {"name", "created", "bytes"} and saved["created"] == START
    assert client.get(SNAPSHOTS).json() == {"snapshots": [saved]}
    got = client.get(f"{SNAPSHOTS}/seed-1")
    assert got.status_code == 200 and got.headers["content-type"] == "application/octet-stream"
    assert len(got.content) == saved["bytes"] and got.content.startswith(b"SQLite format 3")
    assert client.delete(f"{SNAPSHOTS}/seed-1").json() == {"deleted": "seed-1"}
    assert client.get(SNAPSHOTS).json() == {"snapshots": []}


def test_an_existing_name_is_409_unless_overwrite(servers: Any) -> None:
    client = servers().client
    save(client, "s")
    assert error_of(client.post(SNAPSHOTS, json={"name": "s"})) == (409, 409001, "conflict")
    create(client)
    assert save(client, "s", overwrite=True)["bytes"] > 0


@pytest.mark.parametrize("name", ["", "a" * 65, "with space", "semi;colon", "ü"])
def test_bad_names_are_400_naming_the_name(servers: Any, name: str) -> None:
    r = servers().client.post(SNAPSHOTS, json={"name": name})
    assert error_of(r)[:2] == (400, 400013) and "name" in r.json()["ErrMsg"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/x%20y"), ("PUT", "/x%20y"), ("POST", "/x%20y/restore"), ("DELETE", "/x%20y"),
])
def test_bad_names_in_the_path_are_400(servers: Any, method: str, path: str) -> None:
    r = servers().client.request(method, SNAPSHOTS + path, content=b"")
    assert error_of(r)[:2] == (400, 400013) and "name" in r.json()["ErrMsg"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/nope"), ("POST", "/nope/restore"), ("DELETE", "/nope"),
])
def test_unknown_snapshots_are_404(servers: Any, method: str, path: str) -> None:
    assert error_of(servers().client.request(method, SNAPSHOTS + path))[0] == 404


def test_the_body_must_be_json_with_a_name(servers: Any) -> None:
    client = servers().client
    assert error_of(client.post(SNAPSHOTS, json={}))[1] == 400013
    assert error_of(client.post(SNAPSHOTS, json={"name": 5}))[1] == 400013
    assert error_of(client.post(SNAPSHOTS, json={"name": "a", "extra": 1}))[1] == 400013


def test_restore_gives_back_the_saved_state_exactly(servers: Any) -> None:
    server = servers()
    client = server.client
    busy_state(client, server.emulator)
    save(client, "busy")
    before = dump(server.emulator)
    for _ in range(3):
        create(client, prompt="x [emulator:instant]")
    client.put("/_emulator/teams/acme", json={"credits": 1, "progression": "manual"})
    client.post("/_emulator/faults", json={"route": "*", "latency": 0.001})
    client.post("/_emulator/clock/advance", json={"seconds": 99})
    client.post(IMAGE, files={"image": ("b.png", png_bytes(4, 4))}, headers=auth())
    assert client.post(f"{SNAPSHOTS}/busy/restore").json() == {"restored": "busy"}
    after = dump(server.emulator)
    assert after.pop("ids_high") > before.pop("ids_high")  # ids never go back
    assert after == before
    check_ledgers(server.emulator)


def test_a_snapshot_moves_between_servers(servers: Any) -> None:
    origin = servers("origin")
    busy = busy_state(origin.client, origin.emulator)
    save(origin.client, "busy")
    file = origin.client.get(f"{SNAPSHOTS}/busy").content
    other = servers("other", teams=(TeamConfig(id="configured", keys=("c-key",)),))
    put = other.client.put(f"{SNAPSHOTS}/copied", content=file)
    assert put.status_code == 200 and put.json()["bytes"] == len(file)
    other.client.post(f"{SNAPSHOTS}/copied/restore")
    theirs, ours = dump(origin.emulator), dump(other.emulator)
    assert ours.pop("ids_high") >= theirs.pop("ids_high")
    assert ours == theirs  # the configured team is gone: the snapshot's teams replace it
    assert other.client.get(busy["image"]["img_url"]).content == png_bytes(3, 2)
    assert other.client.get(busy["url"]).content == busy["video"]


@pytest.mark.parametrize(("body", "problem"), [
    (b"", "not a pixverse-emulator state file"),
    (b"garbage" * 100, "not a readable SQLite database"),
], ids=["empty", "garbage"])
def test_a_put_that_is_no_snapshot_is_400_naming_the_problem(
    servers: Any, body: bytes, problem: str
) -> None:
    client = servers().client
    r = client.put(f"{SNAPSHOTS}/bad", content=body)
    assert error_of(r)[:2] == (400, 400013) and problem in r.json()["ErrMsg"]
    assert client.get(SNAPSHOTS).json() == {"snapshots": []}


def test_a_put_of_a_data_folders_database_is_refused(tmp_path: Path, servers: Any) -> None:
    durable = Server(tmp_path / "folder")
    durable.close()
    client = servers().client
    r = client.put(f"{SNAPSHOTS}/db", content=(tmp_path / "folder" / "state.db").read_bytes())
    assert error_of(r)[1] == 400013 and "not a snapshot" in r.json()["ErrMsg"]


def test_the_snapshot_limit_applies_to_puts_not_the_json_limit(servers: Any) -> None:
    origin = servers("origin")
    create(origin.client)
    save(origin.client, "s")
    file = origin.client.get(f"{SNAPSHOTS}/s").content
    roomy = servers("roomy", json_body_limit=100, snapshot_upload_limit=len(file))
    assert roomy.client.put(f"{SNAPSHOTS}/s", content=file).status_code == 200
    tight = servers("tight", snapshot_upload_limit=len(file) - 1)
    r = tight.client.put(f"{SNAPSHOTS}/s", content=file)
    assert error_of(r)[:2] == (413, 413001) and "snapshot_upload_limit" in r.json()["ErrMsg"]
    assert tight.client.get(SNAPSHOTS).json() == {"snapshots": []}


def test_a_chunked_put_over_the_limit_is_413_and_leaves_nothing(servers: Any) -> None:
    server = servers(snapshot_upload_limit=100_000)

    def chunks() -> Iterator[bytes]:
        for _ in range(30):
            yield b"x" * 10_000

    r = server.client.put(f"{SNAPSHOTS}/big", content=chunks())
    assert error_of(r)[:2] == (413, 413001) and "snapshot_upload_limit" in r.json()["ErrMsg"]
    assert list(server.emulator.shelf.folder.iterdir()) == []


def test_leftovers_of_a_cut_short_save_or_upload_go_at_the_next_start(tmp_path: Path) -> None:
    first = Server(tmp_path / "data")
    first.close()
    snapshots = tmp_path / "data" / "snapshots"
    (snapshots / ".s.1234.building").write_bytes(b"half a save")
    (snapshots / ".t.abcd.incoming").write_bytes(b"half an upload")
    second = Server(tmp_path / "data")
    assert list(snapshots.iterdir()) == []
    assert second.client.get(SNAPSHOTS).json() == {"snapshots": []}
    second.close()


def test_a_manual_clock_snapshot_restored_on_a_wall_clock_keeps_the_wall_time(
    servers: Any,
) -> None:
    manual = servers("manual")
    video_id = create(manual.client)
    manual.client.post("/_emulator/clock/advance", json={"seconds": 50, "team": "team-a"})
    save(manual.client, "m")
    file = manual.client.get(f"{SNAPSHOTS}/m").content
    wall = servers("wall", time_source=SteppedWallClock(START + 10_000), clock="wall")
    wall.client.put(f"{SNAPSHOTS}/m", content=file)
    wall.client.post(f"{SNAPSHOTS}/m/restore")
    assert wall.client.get("/_emulator/clock?team=team-a").json()["now"] == START + 10_000
    detail = wall.client.get(f"/_emulator/tasks/{video_id}").json()
    assert detail["created_at"] == START and detail["status"] == 1  # due long ago


def test_a_manual_clock_goes_back_to_the_snapshots_time(servers: Any) -> None:
    server = servers()
    save(server.client, "t0")
    server.client.post("/_emulator/clock/advance", json={"seconds": 500})
    server.client.post(f"{SNAPSHOTS}/t0/restore")
    assert server.client.get("/_emulator/clock").json()["now"] == START


def snapshot_file(tmp_path: Path) -> Path:
    """A snapshot with team "acme" (an image, a running task) and team "beta"."""
    server = Server(None)
    client = server.client
    client.put("/_emulator/teams/acme", json={"credits": 300, "keys": ["acme-key"]})
    client.put("/_emulator/teams/beta", json={"credits": 50, "keys": ["beta-key"]})
    client.post(IMAGE, files={"image": ("a.png", png_bytes(5, 5))}, headers=auth("acme-key"))
    create(client, "acme-key")
    save(client, "start")
    path = tmp_path / "start.snapshot"
    path.write_bytes(client.get(f"{SNAPSHOTS}/start").content)
    server.close()
    return path


def test_a_start_from_a_snapshot_and_reset_back_to_it(tmp_path: Path, servers: Any) -> None:
    path = snapshot_file(tmp_path)
    server = servers(snapshot=str(path), teams=(TeamConfig(id="configured"),))
    client = server.client
    start = dump(server.emulator)
    assert set(start["teams"]) == {"acme", "beta"}
    create(client, "acme-key")
    create(client, "beta-key")
    client.put("/_emulator/teams/beta", json={"credits": 1})
    client.post(IMAGE, files={"image": ("b.png", png_bytes(6, 6))}, headers=auth("beta-key"))
    client.post("/_emulator/reset?team=acme")
    files = server.emulator.files
    files.drain()  # files go on the remover thread: wait for it
    assert files.tokens() == set(server.emulator.world.uploads.files)  # no stray file
    now = dump(server.emulator)
    assert now["teams"]["acme"] == start["teams"]["acme"]  # back to the snapshot's share
    assert now["teams"]["beta"] != start["teams"]["beta"]
    client.post("/_emulator/reset")
    again = dump(server.emulator)
    assert again.pop("ids_high") > start.pop("ids_high")
    assert again == start


def test_a_data_folder_starts_from_the_snapshot_only_when_new(tmp_path: Path) -> None:
    path = snapshot_file(tmp_path)
    folder = tmp_path / "data"
    first = Server(folder, snapshot=str(path))
    assert set(dump(first.emulator)["teams"]) == {"acme", "beta"}
    create(first.client, "acme-key")
    kept = dump(first.emulator)
    first.close()
    second = Server(folder, snapshot=str(path))
    assert dump(second.emulator) == kept  # the folder's state wins over the setting
    second.client.post("/_emulator/reset")
    after_reset = dump(second.emulator)
    assert set(after_reset["teams"]) == {"acme", "beta"}  # reset: back to the snapshot
    assert len(after_reset["tasks"]) == 1 and len(after_reset["uploads"]) == 1
    second.close()


def test_a_snapshot_of_another_profile_is_refused_at_start(tmp_path: Path) -> None:
    path = snapshot_file(tmp_path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value = 'pixverse' WHERE key = 'profile'")
    conn.close()
    with pytest.raises(StateFileError, match="profile 'pixverse'"):
        Emulator(Settings(snapshot=str(path)))


def test_restoring_frees_the_files_nobody_names(servers: Any, mode: str) -> None:
    server = servers()
    client = server.client
    save(client, "empty")
    uploaded = resp(client.post(IMAGE, files={"image": ("a.png", png_bytes(2, 2))},
                                headers=auth()))
    client.post(f"{SNAPSHOTS}/empty/restore")
    assert error_of(client.get(uploaded["img_url"]))[0] == 404
    server.emulator.files.drain()
    assert list(server.emulator.files.folder.iterdir()) == []
    assert error_of(client.get(f"{RESULT}/1", headers=auth()))[0] == 404
