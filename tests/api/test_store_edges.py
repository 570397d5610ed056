"""The state's edges: odd folder names, damaged or hostile files, failing disks, and
what runs while a restore or reset swaps the state."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from statedump import dump
from support import auth, error_of, png_bytes, resp
from test_durable import IMAGE, RESULT, Folder, create

from pixverse_emulator import Emulator, ManualClock, Settings, create_app
from pixverse_emulator.media.probe import ImageInfo
from pixverse_emulator.store.base import StoreError
from pixverse_emulator.store.schema import StateFileError

SNAPSHOTS = "/_emulator/snapshots"


@pytest.mark.parametrize("name", ["hash#folder", "what?folder", "percent%41folder"])
def test_a_folder_named_with_uri_characters_reopens(tmp_path: Path, name: str) -> None:
    folder = Folder(tmp_path / name)
    client = folder.open()
    video_id = create(client)
    client.post(SNAPSHOTS, json={"name": "s"})
    assert client.get(SNAPSHOTS).json()["snapshots"][0]["created"] is not None
    client = folder.restart()
    assert folder.emu.task(video_id).team_id == "team-a"
    folder.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing made beside it


def test_an_upload_arriving_during_a_restore_keeps_its_bytes(tmp_path: Path) -> None:
    emulator = Emulator(Settings(clock="manual", data_dir=str(tmp_path / "data")))
    emulator.save_snapshot("empty")
    incoming = emulator.receive_file()
    emulator.write_file(incoming, png_bytes(3, 3))
    emulator.restore_snapshot("empty")  # sweeps the files no record names
    emulator.reset()
    image = emulator.add_image("acme", incoming, None, ImageInfo("png", 3, 3))
    assert image.file is not None
    assert emulator.files.path(image.file.token, image.file.name).read_bytes() == png_bytes(3, 3)
    emulator.restore_snapshot("empty")
    emulator.files.drain()
    assert not emulator.files.path(image.file.token, image.file.name).exists()  # now unnamed
    emulator.close()


def test_a_download_looked_up_before_a_reset_is_served_whole(tmp_path: Path) -> None:
    emulator = Emulator(Settings(clock="manual"))
    with TestClient(create_app(emulator)) as client:
        uploaded = resp(client.post(IMAGE, files={"image": ("a.png", png_bytes(30, 30))},
                                    headers=auth()))
    token = uploaded["img_url"].split("/")[-2]
    download = emulator.download(token)
    emulator.reset()
    assert b"".join(download.chunks(0, download.size - 1)) == png_bytes(30, 30)
    emulator.close()


def test_switching_a_task_to_polls_counts_reads_from_then(folder: Folder) -> None:
    client = folder.client
    assert client is not None
    video_id = create(client, prompt="x [emulator:seconds=1000]")
    for _ in range(5):
        client.get(f"{RESULT}/{video_id}", headers=auth())
    client.post(f"/_emulator/tasks/{video_id}/policy", json={"progression": "polls:2"})
    assert folder.emu.task(video_id).reads == 0
    client = folder.restart()
    assert resp(client.get(f"{RESULT}/{video_id}", headers=auth()))["status"] == 5
    assert resp(client.get(f"{RESULT}/{video_id}", headers=auth()))["status"] == 1


def test_a_refused_clock_move_leaves_the_clock(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = folder.client
    assert client is not None
    create(client)
    before = client.get("/_emulator/clock").json()["now"]

    def full(*args: Any) -> None:
        raise StoreError("database or disk is full")

    monkeypatch.setattr(folder.emu.store, "commit", full)
    answer = client.post("/_emulator/clock/advance", json={"seconds": 1000})
    assert error_of(answer)[:2] == (503, 503001)
    monkeypatch.undo()
    assert client.get("/_emulator/clock").json()["now"] == before


def test_uploads_on_a_full_disk_are_503_and_leave_nothing(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = folder.client
    assert client is not None

    def full(data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    receive = folder.emu.files.receive

    def failing(token: str) -> Any:
        incoming = receive(token)
        monkeypatch.setattr(incoming, "write", full)
        return incoming

    monkeypatch.setattr(folder.emu.files, "receive", failing)
    r = client.post(IMAGE, files={"image": ("a.png", png_bytes(9, 9))}, headers=auth())
    assert error_of(r) == (503, 503001, "store_unavailable")
    assert "No space left" in r.json()["ErrMsg"]
    assert list((folder.path / "files").iterdir()) == []


def test_a_snapshot_that_cannot_be_written_is_503(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pixverse_emulator.snapshots as use_cases

    def full(*args: Any) -> int:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(use_cases, "write_snapshot", full)
    client = folder.client
    assert client is not None
    r = client.post(SNAPSHOTS, json={"name": "s"})
    assert error_of(r) == (503, 503001, "store_unavailable")
    assert "disk is full" in r.json()["ErrMsg"]


def snapshot_bytes(client: TestClient) -> bytes:
    create(client, prompt="x [emulator:instant]")
    client.post(SNAPSHOTS, json={"name": "made", "overwrite": True})
    return client.get(f"{SNAPSHOTS}/made").content


def edited(tmp_path: Path, data: bytes, statement: str) -> bytes:
    path = tmp_path / "edit.snapshot"
    path.write_bytes(data)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(statement)
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize(("statement", "problem"), [
    ("UPDATE meta SET value = 'abc' WHERE key = 'id_high'", "id_high"),
    ("UPDATE meta SET value = 'yesterday' WHERE key = 'created'", "created"),
    ("UPDATE tasks SET body = substr(body, 2)", "damaged"),
    ("UPDATE tasks SET status = 99", "damaged"),
], ids=["id-high", "created", "task-body", "task-status"])
def test_a_snapshot_with_damaged_values_is_refused_and_changes_nothing(
    tmp_path: Path, folder: Folder, statement: str, problem: str
) -> None:
    client = folder.client
    assert client is not None
    data = edited(tmp_path, snapshot_bytes(client), statement)
    before = dump(folder.emu)
    r = client.put(f"{SNAPSHOTS}/bad", content=data)
    assert error_of(r)[:2] == (400, 400013) and problem in r.json()["ErrMsg"]
    assert dump(folder.emu) == before
    assert [s["name"] for s in client.get(SNAPSHOTS).json()["snapshots"]] == ["made"]


def test_a_damaged_running_task_in_the_folder_stops_the_start(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "data")
    create(folder.open())
    folder.close()
    conn = sqlite3.connect(tmp_path / "data" / "state.db")
    with conn:
        conn.execute("UPDATE tasks SET body = '[1]'")
    conn.close()
    with pytest.raises(StateFileError, match="state.db: damaged state"):
        Emulator(Settings(clock="manual", data_dir=str(tmp_path / "data")))


def test_snapshot_names_with_a_leading_dot_survive_a_restart(folder: Folder) -> None:
    client = folder.client
    assert client is not None
    for name in (".hidden", "..."):
        assert client.post(SNAPSHOTS, json={"name": name}).status_code == 200
    client = folder.restart()
    assert [s["name"] for s in client.get(SNAPSHOTS).json()["snapshots"]] == ["...", ".hidden"]


def test_a_bad_snapshot_setting_leaves_a_new_folder_as_it_was(tmp_path: Path) -> None:
    bad = tmp_path / "bad.snapshot"
    bad.write_bytes(b"not a snapshot" * 100)
    folder = tmp_path / "data"
    with pytest.raises(StateFileError, match="bad.snapshot"):
        Emulator(Settings(data_dir=str(folder), snapshot=str(bad)))
    assert not (folder / "baseline.snapshot").exists()
    Emulator(Settings(data_dir=str(folder))).close()  # and the next start is fine


def test_a_missing_snapshot_file_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.snapshot"
    with pytest.raises(StateFileError, match="no such file"):
        Emulator(Settings(snapshot=str(missing)))
    assert not missing.exists()


def test_a_data_folder_that_cannot_be_one_is_refused_with_a_message(tmp_path: Path) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("not a folder")
    with pytest.raises(StateFileError, match="cannot be used as a data folder"):
        Emulator(Settings(data_dir=str(taken)))


def test_multipart_without_its_closing_boundary_is_400(client: TestClient) -> None:
    body = (b"--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n"
            + png_bytes(2, 2))
    r = client.post(IMAGE, content=body, headers={**auth(),
                    "Content-Type": "multipart/form-data; boundary=b"})
    assert error_of(r)[:2] == (400, 400013) and "closing boundary" in r.json()["ErrMsg"]


def test_url_encoded_fields_that_are_not_utf8_are_400(client: TestClient) -> None:
    r = client.post(IMAGE, content=b"image_url=http%3A%2F%2Fx.test%2F%FF.png",
                    headers={**auth(), "Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(r)[:2] == (400, 400013) and "UTF-8" in r.json()["ErrMsg"]


def test_a_trailing_slash_is_the_same_route(client: TestClient, emulator: Emulator) -> None:
    assert client.get(f"{SNAPSHOTS}/").json() == client.get(SNAPSHOTS).json()
    video_id = create(client)
    same = client.get(f"{RESULT}/{video_id}/", headers=auth())
    assert same.status_code == 200 and resp(same)["id"] == video_id
    assert client.get("/_emulator/health/", follow_redirects=False).status_code == 200


@pytest.fixture
def folder(tmp_path: Path) -> Any:
    held = Folder(tmp_path / "data")
    held.open(ManualClock(1_780_000_000.0))
    yield held
    held.close()
