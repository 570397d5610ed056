"""The SQLite store on its own: no HTTP, no Emulator. Worlds built by hand, committed,
loaded back; the folder's lock; what it refuses to open, and that refusing changes
nothing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from pixverse_emulator.domain.accounts import Accounts, Team
from pixverse_emulator.domain.faults import FaultRule
from pixverse_emulator.domain.policies import OutcomeSequence, parse_progression
from pixverse_emulator.domain.tasks import Status, Task, VideoSpec
from pixverse_emulator.domain.uploads import StoredFile, StoredImage, StoredMedia
from pixverse_emulator.domain.world import World
from pixverse_emulator.media.probe import ImageInfo, MediaInfo
from pixverse_emulator.store import schema
from pixverse_emulator.store.base import Changes, StoreError
from pixverse_emulator.store.folder import FolderInUse, FolderLock
from pixverse_emulator.store.schema import StateFileError
from pixverse_emulator.store.sqlite import SqliteStore

META = {"id_high": 123_000_000_000_000, "clock_now": 50.0, "fault_next_id": 1,
        "profile": "worldrouter"}


def task(video_id: int, team: str = "acme", **fields: object) -> Task:
    values: dict[str, object] = dict(
        video_id=video_id, team_id=team, route="text",
        request={"model": "pixverse-c1", "prompt": "a cat", "duration": 5}, trace_id="",
        model="pixverse-c1", quality="540p", price=45, video=VideoSpec(960, 540, 5.0, True, 7),
        created_at=10.0, due_at=15.0, outcome=Status.SUCCEEDED,
    )
    values.update(fields)
    return Task(**values)  # type: ignore[arg-type]


def world_with_everything() -> World:
    world = World(Accounts("open"))
    team = Team("acme", 3, {"k1", "k2"}, parse_progression("polls:2"),
                OutcomeSequence((Status.FAILED, Status.SUCCEEDED), taken=1))
    world.accounts.add(team)
    world.ledger.open("acme", 500, 1.0)
    running, done = task(11, trace_id="trace-1"), task(12, due_polls=2, reads=1)
    for t in (running, done):
        world.ledger.hold("acme", t.video_id, t.price, 10.0)
        world.add_task(t)
    done.move(Status.SUCCEEDED, 20.0, "due")
    done.token = "result-token"
    world.tasks.moved(done, Status.RUNNING)
    world.ledger.capture("acme", 12, 20.0)
    world.video_tokens["result-token"] = 12
    world.uploads.add(StoredImage(21, "acme", 3.0, StoredFile("tok-a", "image.png", "image/png",
                                                               5), None, ImageInfo("png", 2, 2)))
    world.uploads.add(StoredMedia(22, "acme", 4.0, "video", None, "https://x.test/v.mp4", None))
    world.uploads.add(StoredMedia(23, "acme", 4.5, "audio", StoredFile("tok-b", "media.wav",
                                                                       "audio/wav", 9),
                                  None, MediaInfo("audio", "wav", 1.5, None, None, True)))
    world.trace_ids["acme", "trace-1"] = 11
    world.offsets["acme"] = 7.5
    world.faults.add(FaultRule(route="result", error="not_found", probability=0.5, seed=3))
    world.faults.match("result", "GET", "acme")
    return world


def fingerprint(world: World) -> object:
    """Everything a store keeps, as comparable data."""
    teams = [(t.id, t.pending_cap, sorted(t.keys), str(t.progression), t.outcomes.names(),
              t.outcomes.taken) for t in world.accounts.all()]
    accounts = [(a.team_id, a.available, a.held, a.spent, a.granted, a.holds,
                 [tuple(e) for e in a.entries]) for a in world.ledger.all()]
    tasks = sorted((t.video_id, t.team_id, t.request, t.status, t.outcome, t.due_at,
                    t.due_polls, t.reads, t.progression, t.timeline, t.token, t.video,
                    t.modified_at) for t in world.tasks.all())
    faults = [(r.model_dump(), world.faults.draws[r.id]) for r in world.faults.rules()]
    return (teams, accounts, tasks, sorted(world.uploads.all(), key=repr), world.trace_ids,
            world.offsets, faults, world.video_tokens, world.faults.next_id,
            {team: world.tasks.pending(team) for team in world.team_ids()})


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    return SqliteStore(tmp_path / "data", "worldrouter")


def reopened(store: SqliteStore) -> World:
    store.close()
    again = SqliteStore(store.root, "worldrouter")
    saved = again.load("open")
    assert saved is not None
    for account in saved.world.ledger.all():
        assert account.recent == [] and account.older is not None  # they stay in the file
        account.recent, account.older = account.entries, None  # read while it is open
    again.close()
    return saved.world


def test_a_new_folder_holds_no_state(store: SqliteStore) -> None:
    assert store.load("open") is None
    store.close()


def test_a_replaced_world_loads_back_exactly(store: SqliteStore) -> None:
    world = world_with_everything()
    store.replace(world, META)
    expected = fingerprint(world)  # while the store is open: it reads the entries
    assert fingerprint(reopened(store)) == expected


def test_meta_values_load_back(store: SqliteStore) -> None:
    store.replace(world_with_everything(), META)
    store.close()
    again = SqliteStore(store.root, "worldrouter")
    saved = again.load("open")
    again.close()
    assert saved is not None and {k: saved.meta[k] for k in META} == META


def test_committed_changes_load_back(store: SqliteStore) -> None:
    world = World(Accounts("open"))
    store.replace(world, META)
    world.accounts.add(Team("acme", 2))
    world.ledger.open("acme", 100, 1.0)
    first = task(31, due_at=None, due_polls=3, trace_id="t-31")
    world.ledger.hold("acme", 31, first.price, 2.0)
    world.add_task(first)
    changes = Changes()
    changes.team("acme")
    changes.ledger("acme")
    changes.task(first)
    changes.meta_value("id_high")
    store.commit(world, changes, {**META, "id_high": 555})
    first.reads = 2  # a polls:N task's reads are state
    changes = Changes()
    changes.task(first)
    store.commit(world, changes, META)
    world.trace_ids["acme", "t-31"] = 31
    expected = fingerprint(world)
    loaded = reopened(store)
    assert fingerprint(loaded) == expected
    assert loaded.tasks.get(31) is not None and loaded.tasks.get(31).reads == 2  # type: ignore[union-attr]


def test_only_new_ledger_entries_are_appended(store: SqliteStore) -> None:
    world = world_with_everything()
    store.replace(world, META)
    world.ledger.set_available("acme", 900, 30.0)
    changes = Changes()
    changes.team("acme")
    changes.ledger("acme")
    store.commit(world, changes, META)
    store.commit(world, changes, META)  # the same team again: nothing written twice
    expected = world.ledger.account("acme").entries
    entries = reopened(store).ledger.account("acme").entries
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries == expected


def test_a_dropped_team_goes_before_it_comes_back(store: SqliteStore) -> None:
    world = world_with_everything()
    store.replace(world, META)
    changes = Changes()
    changes.drop_team("acme", world.remove_team("acme"))
    world.accounts.add(Team("acme", 5))
    world.ledger.open("acme", 42, 99.0)
    changes.team("acme")
    changes.ledger("acme")
    store.commit(world, changes, META)
    expected = fingerprint(world)
    loaded = reopened(store)
    assert fingerprint(loaded) == expected
    assert [tuple(e)[2:4] for e in loaded.ledger.account("acme").entries] == [("grant", 42)]
    assert loaded.tasks.all() == [] and loaded.uploads.all() == []


def test_a_failed_commit_leaves_the_last_state(store: SqliteStore) -> None:
    world = world_with_everything()
    store.replace(world, META)
    before = fingerprint(reopened(store))
    store = SqliteStore(store.root, "worldrouter")
    broken = task(41, request={"not json": {1, 2}})  # a set cannot be written
    world.add_task(broken)
    changes = Changes()
    changes.task(broken)
    changes.offset("acme")
    with pytest.raises(StoreError, match="state.db"):
        store.commit(world, changes, META)
    assert fingerprint(reopened(store)) == before


def test_a_second_store_on_the_folder_is_refused_naming_the_pid(store: SqliteStore) -> None:
    with pytest.raises(FolderInUse) as refused:
        SqliteStore(store.root, "worldrouter")
    assert str(store.root) in str(refused.value) and f"PID {os.getpid()}" in str(refused.value)
    store.close()
    SqliteStore(store.root, "worldrouter").close()  # free again once closed


def test_the_lock_file_names_the_holder(tmp_path: Path) -> None:
    lock = FolderLock(tmp_path)
    lock.acquire()
    assert (tmp_path / "emulator.lock").read_text().strip() == str(os.getpid())
    lock.release()


def folder_digest(folder: Path) -> dict[str, str]:
    """Every file's bytes, but a -shm file's: that is SQLite's shared-memory index,
    which any reader of a database with a WAL writes its read marks into."""
    return {str(p.relative_to(folder)): "index" if p.name.endswith("-shm")
            else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(db: Path, statement: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(statement)
    conn.close()


def refusal(folder: Path) -> str:
    before = folder_digest(folder)
    with pytest.raises(StateFileError) as refused:
        SqliteStore(folder, "worldrouter")
    assert folder_digest(folder) == before, "refusing must change nothing in the folder"
    return str(refused.value)


def test_a_newer_schema_is_refused_and_left_alone(store: SqliteStore) -> None:
    store.replace(world_with_everything(), META)
    store.close()
    edit(store.root / "state.db", f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    message = refusal(store.root)
    assert "state.db" in message and "newer" in message


def test_a_damaged_database_is_refused_and_left_alone(store: SqliteStore) -> None:
    store.replace(world_with_everything(), META)
    store.close()
    db = store.root / "state.db"
    data = bytearray(db.read_bytes())
    data[4096:4096 + 512] = os.urandom(512)  # a page of garbage
    db.write_bytes(bytes(data))
    message = refusal(store.root)
    assert "state.db" in message and ("damaged" in message or "not" in message)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state.db").write_bytes(b"this is not SQLite" * 100)
    assert "state.db" in refusal(tmp_path)


def test_another_applications_database_is_refused(tmp_path: Path) -> None:
    edit(tmp_path / "state.db", "CREATE TABLE t (x)")
    assert "not a pixverse-emulator state file" in refusal(tmp_path)


def test_another_profile_is_refused(store: SqliteStore) -> None:
    store.close()
    edit(store.root / "state.db", "UPDATE meta SET value = 'pixverse' WHERE key = 'profile'")
    assert "profile 'pixverse'" in refusal(store.root)


def test_a_half_made_database_from_a_crashed_first_start_is_redone(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "state.db.new").write_bytes(b"half")
    store = SqliteStore(folder, "worldrouter")
    assert store.load("open") is None and not (folder / "state.db.new").exists()
    store.close()


def test_migrations_run_in_order_and_stamp_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mechanism every later schema change uses: a file one version behind is
    brought up to date, step by step, in one transaction."""
    store = SqliteStore(tmp_path / "data", "worldrouter")
    store.replace(world_with_everything(), META)
    store.close()
    steps: list[int] = []

    def add_column(conn: sqlite3.Connection) -> None:
        steps.append(int(conn.execute("PRAGMA user_version").fetchone()[0]))
        conn.execute("ALTER TABLE teams ADD COLUMN note TEXT")

    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION, add_column)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    again = SqliteStore(tmp_path / "data", "worldrouter")
    again.close()
    with sqlite3.connect(tmp_path / "data" / "state.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert "note" in [row[1] for row in conn.execute("PRAGMA table_info(teams)")]
    assert steps == [schema.SCHEMA_VERSION - 1]


def test_the_wal_is_checkpointed_off_the_commit_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commits never run SQLite's own checkpoint; the store's thread copies the WAL
    every so many commits, the writer catches up the rest, and later commits reuse the
    WAL from its start, so it stays bounded under a steady stream of commits (without
    this, these 600 commits of 2 KB tasks would grow it past 2.5 MB)."""
    from pixverse_emulator.store import checkpoint

    monkeypatch.setattr(checkpoint, "COMMITS_PER_CHECKPOINT", 20)
    store = SqliteStore(tmp_path / "data", "worldrouter")
    world = world_with_everything()
    store.replace(world, META)
    wal = tmp_path / "data" / "state.db-wal"
    assert store._checkpointer.passed.wait(timeout=30)  # the replace's own pass
    caught_up = 0
    for n in range(600):
        big = task(1000 + n, request={"prompt": "x" * 2000}, status=Status.FAILED)
        world.add_task(big)
        changes = Changes()
        changes.task(big)
        store.commit(world, changes, META)
        if store._checkpointer.ran.is_set():
            store._checkpointer.ran.clear()
            caught_up += 1
        if n % 20 == 19:  # the thread was woken: let its pass end (an event, not a sleep)
            assert store._checkpointer.passed.wait(timeout=30)
    assert caught_up == 30, "the writer did not catch up after every pass"
    assert wal.stat().st_size < 1024 * 1024
    expected = fingerprint(world)  # while the store is open: it reads the entries
    assert fingerprint(reopened(store)) == expected
