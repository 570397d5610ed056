"""Durable mode through HTTP: an emulator on a data folder, closed and opened again on the
same folder, keeps every team, ledger entry, task, upload, result URL, trace id, fault
rule and the clock exactly as last acknowledged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from statedump import check_ledgers, dump
from support import FIXTURES, auth, error_of, png_bytes, resp, text_body, wav_bytes

from pixverse_emulator import Emulator, ManualClock, Settings, create_app

TEXT = "/openapi/v2/video/text/generate"
RESULT = "/openapi/v2/video/result"
IMAGE = "/openapi/v2/image/upload"
MEDIA = "/openapi/v2/media/upload"
START = 1_780_000_000.0


class SteppedWallClock:
    """A wall clock whose time the test sets: what the real one does while a server is
    down, without waiting for it."""

    mode = "wall"

    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


class Folder:
    """An emulator on one data folder, opened again whenever the test says."""

    def __init__(self, path: Path, time_source: Any = None, **settings: Any) -> None:
        self.path = path
        self.settings = {"clock": "manual", "data_dir": str(path), **settings}
        self.clock = time_source
        self.emulator: Emulator | None = None
        self.client: TestClient | None = None

    def open(self, clock: Any = None) -> TestClient:
        clock = clock or self.clock or ManualClock(START)
        self.emulator = Emulator(Settings(**self.settings), clock=clock)
        self.client = TestClient(create_app(self.emulator))
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.emulator is not None:
            self.emulator.close()
        self.client = self.emulator = None

    def restart(self, clock: Any = None) -> TestClient:
        self.close()
        return self.open(clock)

    @property
    def emu(self) -> Emulator:
        assert self.emulator is not None
        return self.emulator


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Folder]:
    held = Folder(tmp_path / "data")
    held.open()
    yield held
    held.close()


def create(client: TestClient, key: str = "team-a", trace: str | None = None,
           **body: Any) -> int:
    headers = {**auth(key), **({"Ai-trace-id": trace} if trace else {})}
    return int(resp(client.post(TEXT, json=text_body(**body), headers=headers))["video_id"])


def busy_state(client: TestClient, emulator: Emulator) -> dict[str, Any]:
    """A state with something of every kind in it; returns what the test checks later."""
    client.put("/_emulator/teams/acme", json={"credits": 500, "pending_cap": 3,
                                              "keys": ["acme-key"], "progression": "polls:2",
                                              "outcomes": ["failed", "success"]})
    first = create(client, "acme-key")
    second = create(client, "acme-key")
    client.get(f"{RESULT}/{first}", headers=auth("acme-key"))  # 1 of its 2 reads
    done = create(client, trace="trace-1")
    moderated = create(client, prompt="x [emulator:moderated] [emulator:instant]")
    stuck = create(client, prompt="x [emulator:stuck]")
    deleted = create(client, prompt="x [emulator:instant]")
    client.post(f"/_emulator/tasks/{deleted}/status", json={"status": 6})
    client.post("/_emulator/clock/advance", json={"seconds": 12.5})
    client.post("/_emulator/clock/advance", json={"seconds": 3, "team": "beta"})
    url = resp(client.get(f"{RESULT}/{done}", headers=auth()))["url"]
    image = resp(client.post(IMAGE, files={"image": ("a.png", png_bytes(3, 2))},
                             headers=auth()))
    media = resp(client.post(MEDIA, files={"file": ("a.wav", wav_bytes(1.0))}, headers=auth()))
    by_url = resp(client.post(IMAGE, data={"image_url": "https://example.test/a.png"},
                              headers=auth()))
    client.post("/_emulator/faults", json={"route": "result", "error": "not_found",
                                           "team": "beta", "probability": 0.5, "seed": 4})
    client.post("/_emulator/faults", json={"route": "text", "error": "429", "count": 3,
                                           "team": "beta"})
    for _ in range(6):
        client.get(f"{RESULT}/1", headers=auth("beta"))
    client.post(TEXT, json=text_body(), headers=auth("beta"))
    return {"first": first, "second": second, "done": done, "moderated": moderated,
            "stuck": stuck, "url": url, "video": client.get(url).content, "image": image,
            "media": media, "by_url": by_url}


def test_a_restart_keeps_the_whole_state(folder: Folder) -> None:
    client = folder.client
    assert client is not None
    seen = busy_state(client, folder.emu)
    before = dump(folder.emu)
    client = folder.restart(ManualClock(0))  # the folder's clock time wins over this one
    assert dump(folder.emu) == before
    check_ledgers(folder.emu)
    assert client.get(seen["url"]).content == seen["video"]
    assert client.get(seen["image"]["img_url"]).content == png_bytes(3, 2)
    assert client.get(seen["media"]["url"]).content == wav_bytes(1.0)
    assert client.get("/_emulator/clock").json()["now"] == START + 12.5
    assert client.get("/_emulator/clock?team=beta").json()["now"] == START + 15.5


def test_after_a_restart_everything_goes_on_where_it_was(folder: Folder) -> None:
    client = folder.client
    assert client is not None
    seen = busy_state(client, folder.emu)
    client = folder.restart()
    # The polls:2 task had one read: its second completes it, with the team's outcome.
    assert resp(client.get(f"{RESULT}/{seen['first']}", headers=auth("acme-key")))["status"] == 8
    # The outcome sequence went on: the second task got "success".
    assert folder.emu.task(seen["second"]).outcome == 1
    # A resend with a known trace id replays the task and charges nothing.
    credits = client.get("/_emulator/teams/team-a").json()["credits"]
    assert create(client, trace="trace-1") == seen["done"]
    assert client.get("/_emulator/teams/team-a").json()["credits"] == credits
    # The count rule fired once before; two more 429s, then creates go through.
    codes = [client.post(TEXT, json=text_body(), headers=auth("beta")).status_code
             for _ in range(3)]
    assert codes == [429, 429, 200]
    client.post(f"/_emulator/tasks/{seen['stuck']}/status", json={"status": 1})
    assert resp(client.get(f"{RESULT}/{seen['stuck']}", headers=auth()))["status"] == 1


def test_a_probability_fault_goes_on_with_its_sequence(tmp_path: Path) -> None:
    """Six draws before a restart and six after fire exactly as twelve in one run."""
    rule = {"route": "result", "error": "not_found", "probability": 0.5, "seed": 9}

    def fires(client: TestClient, times: int) -> list[bool]:
        return [client.get(f"{RESULT}/1", headers=auth()).json()["ErrMsg"].startswith("Inj")
                for _ in range(times)]

    straight = Folder(tmp_path / "straight")
    client = straight.open()
    client.post("/_emulator/faults", json=rule)
    expected = fires(client, 12)
    straight.close()
    broken = Folder(tmp_path / "broken")
    client = broken.open()
    client.post("/_emulator/faults", json=rule)
    got = fires(client, 6)
    got += fires(broken.restart(), 6)
    broken.close()
    assert got == expected and any(got) and not all(got)


def test_a_task_due_while_the_server_was_down_moves_at_its_due_time(tmp_path: Path) -> None:
    clock = SteppedWallClock(START)
    folder = Folder(tmp_path / "data", clock, clock="wall")
    client = folder.open()
    video_id = create(client)
    client = folder.restart(SteppedWallClock(START + 3600))  # an hour later
    assert resp(client.get(f"{RESULT}/{video_id}", headers=auth()))["status"] == 1
    capture = client.get("/_emulator/teams/team-a/ledger").json()["entries"][-1]
    assert (capture["kind"], capture["time"]) == ("capture", START + 5)
    folder.close()


def test_ids_are_never_reused_across_restarts_resets_and_restores(folder: Folder) -> None:
    client = folder.client
    assert client is not None
    issued = [create(client)]
    client.post("/_emulator/snapshots", json={"name": "early"})
    issued += [create(client) for _ in range(3)]
    issued.append(resp(client.post(IMAGE, files={"image": ("a.png", png_bytes(2, 2))},
                                   headers=auth()))["img_id"])
    client = folder.restart()
    issued.append(create(client))
    client.post("/_emulator/reset")
    issued.append(create(client))
    client.post("/_emulator/reset?team=team-a")
    issued.append(create(client))
    client.post("/_emulator/snapshots/early/restore")
    issued.append(create(client))
    client = folder.restart()
    issued.append(create(client))
    assert issued == sorted(issued) and len(set(issued)) == len(issued)


def first_id(settings: Settings) -> int:
    emulator = Emulator(settings)
    with TestClient(create_app(emulator)) as client:
        video_id = create(client)
    emulator.close()
    return video_id


def test_fresh_runs_differ_without_a_seed_and_repeat_with_one(tmp_path: Path) -> None:
    assert first_id(Settings()) != first_id(Settings())
    assert first_id(Settings(seed=11)) == first_id(Settings(seed=11))
    assert (first_id(Settings(seed=11, data_dir=str(tmp_path / "a")))
            == first_id(Settings(seed=11, data_dir=str(tmp_path / "b"))))
    assert (first_id(Settings(data_dir=str(tmp_path / "c")))
            != first_id(Settings(data_dir=str(tmp_path / "d"))))


def test_a_poll_that_changes_nothing_writes_nothing(folder: Folder) -> None:
    client = folder.client
    assert client is not None
    store = folder.emu.store
    video_id = create(client)
    counted = create(client, prompt="x [emulator:polls=3]")
    written = store.rows_written  # type: ignore[attr-defined]
    for _ in range(10):
        assert resp(client.get(f"{RESULT}/{video_id}", headers=auth()))["status"] == 5
    client.get("/_emulator/teams/team-a")
    assert store.rows_written == written  # type: ignore[attr-defined]
    client.get(f"{RESULT}/{counted}", headers=auth())  # a polls:N read is state
    assert store.rows_written > written  # type: ignore[attr-defined]
    client.post("/_emulator/clock/advance", json={"seconds": 5})
    assert resp(client.get(f"{RESULT}/{video_id}", headers=auth()))["status"] == 1
    written = store.rows_written  # type: ignore[attr-defined]
    for _ in range(5):
        client.get(f"{RESULT}/{video_id}", headers=auth())
        client.get(resp(client.get(f"{RESULT}/{video_id}", headers=auth()))["url"])
    assert store.rows_written == written  # type: ignore[attr-defined]


def test_a_create_writes_its_task_and_its_hold_and_nothing_else(folder: Folder) -> None:
    client = folder.client
    assert client is not None
    create(client)  # the team's first create also writes the new team and its grant
    store = folder.emu.store
    written = store.rows_written  # type: ignore[attr-defined]
    create(client)
    assert store.rows_written == written + 2  # type: ignore[attr-defined]


def test_an_upload_is_written_once_straight_into_the_store(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import starlette.formparsers

    def no_spooling(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an upload was spooled to a temporary file")

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", no_spooling)
    written: list[int] = []
    receive = folder.emu.files.receive

    def counting(token: str) -> Any:
        incoming = receive(token)
        original = incoming.write
        incoming.write = lambda data: (written.append(len(data)), original(data))[1]  # type: ignore[method-assign]
        return incoming

    monkeypatch.setattr(folder.emu.files, "receive", counting)
    data = (FIXTURES / "sample.mp4").read_bytes()
    client = folder.client
    assert client is not None
    uploaded = resp(client.post(MEDIA, files={"file": ("v.mp4", data)}, headers=auth()))
    assert sum(written) == len(data)
    stored = list((folder.path / "files").rglob("*.mp4"))
    assert len(stored) == 1 and stored[0].read_bytes() == data
    assert client.get(uploaded["url"]).content == data


def test_a_refused_upload_leaves_no_file(folder: Folder) -> None:
    client = folder.client
    assert client is not None
    r = client.post(IMAGE, files={"image": ("a.png", b"not an image")}, headers=auth())
    assert error_of(r)[1] == 400013
    assert list((folder.path / "files").iterdir()) == []


def test_a_store_that_cannot_write_answers_503_and_keeps_the_last_state(folder: Folder) -> None:
    client = folder.client
    assert client is not None
    create(client)
    conn = folder.emu.store._conn  # type: ignore[attr-defined]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
    long_prompt = "a cat " * 800
    for _ in range(50):
        before = dump(folder.emu)
        r = client.post(TEXT, json=text_body(prompt=long_prompt), headers=auth())
        if r.status_code != 200:
            break
    assert error_of(r) == (503, 503001, "store_unavailable")
    assert "state.db" in r.json()["ErrMsg"]
    after_refusal = dump(folder.emu)
    assert after_refusal.pop("ids_high") >= before.pop("ids_high")  # an id may be skipped
    assert after_refusal == before  # nothing of the refused create is left in memory
    conn.execute("PRAGMA max_page_count = 1073741823")
    create(client, prompt=long_prompt)
    after = dump(folder.emu)
    client = folder.restart()
    assert dump(folder.emu) == after
