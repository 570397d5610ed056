"""A real server on a data folder, under concurrent creates, uploads, polls, settles and
control-plane changes, killed with SIGKILL at a random moment, again and again.

After every kill the folder is opened again: every create and upload the server
acknowledged is there, nothing it did not acknowledge is half there (every task has
its hold, every hold its task, every upload its bytes, no stray file), and the ledger
invariants hold. Kill moments are counted in acknowledged answers, not timed.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from processes import served
from statedump import check_ledgers
from support import png_bytes, text_body

from pixverse_emulator import Emulator, Settings
from pixverse_emulator.domain.tasks import Status

ROUNDS = 20
WORKERS = 4
TEAMS = ("crash-a", "crash-b", "crash-c")
ENV = {"PIXVERSE_EMULATOR_CLOCK": "manual", "PIXVERSE_EMULATOR_DEFAULT_CREDITS": "100000"}
PROMPTS = ("a cat", "a cat [emulator:instant]", "a cat [emulator:polls=2]",
           "a cat [emulator:stuck]", "a cat [emulator:failed] [emulator:instant]")


@dataclass
class Acknowledged:
    """What the server answered 200 to, across every round."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    tasks: dict[int, tuple[str, int]] = field(default_factory=dict)  # id -> (team, price)
    uploads: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (team, sha)
    balances: list[tuple[str, int]] = field(default_factory=list)  # (team, credits set)
    faults: set[int] = field(default_factory=set)
    caps: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TEAMS, 10))
    answers: int = 0


class Load:
    """Workers that drive the server until it dies; the kill comes after `kill_after`
    acknowledged answers."""

    def __init__(self, base: str, process: subprocess.Popen[str], acked: Acknowledged,
                 rng: random.Random, kill_after: int) -> None:
        self.base, self.process, self.acked = base, process, acked
        self.rng, self.kill_after = rng, kill_after
        self.answered = 0
        self.count_lock = threading.Lock()
        self.killed = threading.Event()

    def run(self) -> None:
        seeds = [self.rng.randrange(2**32) for _ in range(WORKERS)]
        threads = [threading.Thread(target=self._worker, args=(seed,)) for seed in seeds]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

    def _answered(self) -> None:
        with self.count_lock:
            self.answered += 1
            if self.answered == self.kill_after:
                self.killed.set()
                os.kill(self.process.pid, signal.SIGKILL)

    def _worker(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.base, timeout=30) as client:
            try:
                while True:
                    self._step(client, rng)
            except Exception:
                # Once the server is killed every call fails: httpx maps that to its
                # TransportError, except in a test run that re-imported httpcore (pytester
                # runs), where the raw httpcore error comes through. Anything else fails.
                if not self.killed.is_set():
                    raise

    def _step(self, client: httpx.Client, rng: random.Random) -> None:
        team = rng.choice(TEAMS)
        action = rng.choices(["create", "upload", "poll", "settle", "team", "advance",
                              "fault"], weights=[8, 3, 6, 2, 1, 1, 1])[0]
        getattr(self, f"_{action}")(client, rng, team)
        self._answered()

    def _create(self, client: httpx.Client, rng: random.Random, team: str) -> None:
        body = text_body(prompt=rng.choice(PROMPTS), duration=rng.randint(1, 5))
        r = client.post("/openapi/v2/video/text/generate", json=body,
                        headers={"Authorization": f"Bearer {team}"})
        if r.status_code == 200:
            resp = r.json()["Resp"]
            with self.acked.lock:
                self.acked.tasks[resp["video_id"]] = (team, resp["credits"])

    def _upload(self, client: httpx.Client, rng: random.Random, team: str) -> None:
        data = png_bytes(rng.randint(2, 40), rng.randint(2, 40))
        r = client.post("/openapi/v2/image/upload", files={"image": ("a.png", data)},
                        headers={"Authorization": f"Bearer {team}"})
        if r.status_code == 200:
            with self.acked.lock:
                self.acked.uploads[r.json()["Resp"]["img_id"]] = (
                    team, hashlib.sha256(data).hexdigest())

    def _known_task(self, rng: random.Random, team: str) -> int | None:
        with self.acked.lock:
            ids = [i for i, (owner, _) in self.acked.tasks.items() if owner == team]
        return rng.choice(ids[-50:]) if ids else None

    def _poll(self, client: httpx.Client, rng: random.Random, team: str) -> None:
        video_id = self._known_task(rng, team)
        if video_id is not None:
            client.get(f"/openapi/v2/video/result/{video_id}",
                       headers={"Authorization": f"Bearer {team}"})

    def _settle(self, client: httpx.Client, rng: random.Random, team: str) -> None:
        video_id = self._known_task(rng, team)
        if video_id is not None:
            client.post(f"/_emulator/tasks/{video_id}/status",
                        json={"status": rng.choice([1, 6, 7, 8])})

    def _team(self, client: httpx.Client, rng: random.Random, team: str) -> None:
        with self.acked.lock:  # caps only grow, so pending <= cap stays an invariant
            self.acked.caps[team] += 1
            body = {"credits": rng.randint(0, 100_000), "pending_cap": self.acked.caps[team]}
            r = client.put(f"/_emulator/teams/{team}", json=body)
            if r.status_code == 200:
                self.acked.balances.append((team, body["credits"]))

    def _advance(self, client: httpx.Client, rng: random.Random, team: str) -> None:
        client.post("/_emulator/clock/advance", json={"seconds": rng.uniform(0.5, 6)})

    def _fault(self, client: httpx.Client, rng: random.Random, team: str) -> None:
        r = client.post("/_emulator/faults", json={"route": "download", "latency": 0.001,
                                                   "team": team})
        if r.status_code == 200:
            with self.acked.lock:
                self.acked.faults.add(r.json()["fault"]["id"])


def check_folder(folder: Path, acked: Acknowledged) -> None:
    emulator = Emulator(Settings(clock="manual", data_dir=str(folder)))
    try:
        world = emulator.world
        for video_id, (team, price) in acked.tasks.items():
            task = world.tasks.get(video_id)
            assert task is not None, f"acknowledged task {video_id} is gone"
            assert (task.team_id, task.price) == (team, price)
        for img_id, (team, sha) in acked.uploads.items():
            image = world.uploads.images.get(img_id)
            assert image is not None and image.file is not None, f"upload {img_id} is gone"
            data = emulator.files.path(image.file.token, image.file.name).read_bytes()
            assert (image.team_id, hashlib.sha256(data).hexdigest()) == (team, sha)
        for team, credits in acked.balances:
            entries = world.ledger.account(team).entries
            assert any(e.kind == "grant" and e.balance == credits for e in entries)
        assert acked.faults <= {rule.id for rule in world.faults.rules()}
        check_ledgers(emulator)
        nothing_half_there(emulator)
    finally:
        emulator.close()


def nothing_half_there(emulator: Emulator) -> None:
    world = emulator.world
    for task in world.tasks.all():
        holds = [e for e in world.ledger.account(task.team_id).entries
                 if e.kind == "hold" and e.video_id == task.video_id]
        assert [e.amount for e in holds] == [task.price], f"task {task.video_id} without hold"
        if task.status is Status.SUCCEEDED:
            assert world.video_tokens[task.token] == task.video_id
    for account in world.ledger.all():
        for entry in account.entries:
            if entry.video_id is not None:
                assert entry.video_id in world.tasks, f"ledger names a lost task {entry}"
    named = set(world.uploads.files)
    emulator.files.drain()  # the start's sweep runs on the remover thread
    assert emulator.files.tokens() == named, "a stray or missing upload folder"
    for token, stored in world.uploads.files.items():
        assert emulator.files.path(token, stored.name).stat().st_size == stored.size


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def test_sigkill_at_random_moments_loses_nothing_acknowledged(folder: Path) -> None:
    rng = random.Random(20261129)
    acked = Acknowledged()
    for _ in range(ROUNDS):
        with served("--data-dir", str(folder), env=ENV, stop=signal.SIGKILL) as (process, base):
            Load(base, process, acked, rng, kill_after=rng.randint(5, 250)).run()
        assert process.returncode == -signal.SIGKILL
        check_folder(folder, acked)
    assert len(acked.tasks) > 100 and len(acked.uploads) > 20
    print_summary(acked)


def print_summary(acked: Acknowledged) -> Any:
    print(f"{ROUNDS} kills; acknowledged {len(acked.tasks)} creates, {len(acked.uploads)} "
          f"uploads, {len(acked.balances)} team changes, {len(acked.faults)} fault rules")
