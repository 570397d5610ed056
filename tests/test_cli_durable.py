"""The CLI on a data folder, as a user runs it: what survives a clean stop, a second
server refused, a folder it cannot use refused without touching it, `--snapshot`."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import urllib.request
from pathlib import Path
from typing import Any

from processes import refused, served

from pixverse_emulator.store import schema

TEXT = "/openapi/v2/video/text/generate"
BODY = {"model": "pixverse-c1", "prompt": "a cube", "duration": 1, "quality": "360p",
        "aspect_ratio": "16:9"}


def call(base: str, path: str, body: Any = None, method: str | None = None,
         key: str = "cli-team") -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def folder_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): "index" if p.name.endswith("-shm")
            else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_clean_stop_keeps_everything_and_leaves_no_wal(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with served("--data-dir", str(folder)) as (process, base):
        video_id = call(base, TEXT, BODY)["Resp"]["video_id"]
    assert process.returncode in (0, -signal.SIGTERM)
    assert sorted(p.name for p in folder.iterdir()) == [
        "emulator.lock", "files", "snapshots", "state.db"]
    with served("--data-dir", str(folder)) as (_, base):
        assert call(base, f"/_emulator/tasks/{video_id}")["team"] == "cli-team"


def test_a_second_server_on_the_folder_exits_1_naming_it_and_the_pid(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with served("--data-dir", str(folder)) as (first, _):
        second = refused("--data-dir", str(folder))
    assert second.returncode == 1
    assert str(folder) in second.stderr and f"PID {first.pid}" in second.stderr


def a_used_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    with served("--data-dir", str(folder)) as (_, base):
        call(base, TEXT, BODY)
    return folder


def test_a_damaged_database_stops_the_start_and_stays_as_it_was(tmp_path: Path) -> None:
    folder = a_used_folder(tmp_path)
    db = folder / "state.db"
    db.write_bytes(db.read_bytes()[:4096] + b"\x00garbage" * 512)
    before = folder_digest(folder)
    run = refused("--data-dir", str(folder))
    assert run.returncode == 1 and str(db) in run.stderr and "damaged" in run.stderr
    assert folder_digest(folder) == before


def test_a_newer_schema_stops_the_start_and_stays_as_it_was(tmp_path: Path) -> None:
    folder = a_used_folder(tmp_path)
    conn = sqlite3.connect(folder / "state.db")
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    before = folder_digest(folder)
    run = refused("--data-dir", str(folder))
    assert run.returncode == 1 and "state.db" in run.stderr and "newer" in run.stderr
    assert folder_digest(folder) == before


def test_a_killed_server_leaves_a_folder_the_next_one_opens(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with served("--data-dir", str(folder), stop=signal.SIGKILL) as (_, base):
        video_id = call(base, TEXT, BODY)["Resp"]["video_id"]
    assert (folder / "state.db-wal").exists()  # killed: nothing was checkpointed
    with served("--data-dir", str(folder)) as (_, base):
        assert call(base, f"/_emulator/tasks/{video_id}")["video_id"] == video_id


def test_snapshot_flag_starts_from_a_file(tmp_path: Path) -> None:
    with served() as (_, base):
        call(base, "/_emulator/teams/seeded", {"credits": 77, "keys": ["seeded-key"]},
             method="PUT")
        call(base, "/_emulator/snapshots", {"name": "start"})
        request = urllib.request.Request(base + "/_emulator/snapshots/start")
        with urllib.request.urlopen(request, timeout=10) as answer:
            (tmp_path / "start.snapshot").write_bytes(answer.read())
    with served("--snapshot", str(tmp_path / "start.snapshot")) as (_, base):
        assert call(base, "/_emulator/teams/seeded")["credits"] == 77


def test_a_snapshot_flag_naming_a_bad_file_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.snapshot"
    bad.write_bytes(b"nothing like a snapshot" * 20)
    run = refused("--snapshot", str(bad))
    assert run.returncode == 1 and str(bad) in run.stderr
