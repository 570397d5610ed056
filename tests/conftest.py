from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from pixverse_emulator import Emulator, ManualClock, Settings, create_app

START = 1_780_000_000.0  # a fixed epoch so timestamps in tests are predictable


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a module or test to change the emulator's settings."""
    return {}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def emulator(
    tmp_path: Path, clock: ManualClock, settings_overrides: dict[str, Any]
) -> Iterator[Emulator]:
    values: dict[str, Any] = {"clock": "manual", "quiet": True}
    values.update(settings_overrides)
    settings = Settings(**values)
    emu = Emulator(settings, clock=clock if settings.clock == "manual" else None)
    yield emu
    emu.close()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[TestClient]:
    with TestClient(create_app(emulator), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def outside_xdist(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that start pytest runs of their own: those runs are not workers of this
    one, even when this one is (pytest-xdist marks its workers in the environment, and
    plugins such as pytest-benchmark act on it)."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
