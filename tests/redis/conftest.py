"""The shared-store tests' fixtures: a real `redis-server` of each test's own, and two
emulators on it in this process (the cross-process tests start their own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_server import RedisServer

from pixverse_emulator import Emulator, Settings


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture
def pair(redis_url: str, tmp_path: Path) -> Iterator[tuple[Emulator, Emulator]]:
    """Two emulators sharing the server, on a manual clock."""
    settings = Settings(store=redis_url, clock="manual", quiet=True,
                        data_dir=str(tmp_path / "files"))
    first, second = Emulator(settings), Emulator(settings)
    yield first, second
    first.close()
    second.close()
