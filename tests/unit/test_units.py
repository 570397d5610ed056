"""Units of work: the outermost one asks the store to bring its team up to date first
(the seam a store that other processes also write needs), and a store that cannot do
so leaves the emulator usable."""

from __future__ import annotations

from typing import Any

import pytest

from pixverse_emulator import Emulator, Settings
from pixverse_emulator.domain.schemas import TextCreate
from pixverse_emulator.errors import StoreUnavailable
from pixverse_emulator.store.base import StoreError

REQUEST = TextCreate.model_validate({"model": "pixverse-c1", "prompt": "a cat", "duration": 1,
                                     "quality": "360p", "aspect_ratio": "16:9"})


@pytest.fixture
def emulator() -> Any:
    emu = Emulator(Settings(clock="manual"))
    yield emu
    emu.close()


def test_the_outermost_unit_refreshes_its_team_once(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str | None] = []
    monkeypatch.setattr(emulator.store, "refresh", asked.append)
    video_id = emulator.submit("acme", "text", REQUEST).task.video_id
    assert asked == ["acme"]  # submit settles, opens the team, settles again: one unit
    emulator.result("acme", video_id)
    emulator.set_status(video_id, 1)  # looks the task up by id: no one team to name
    emulator.put_team("beta", credits=5)
    assert asked == ["acme", "acme", None, "beta"]


def test_a_failing_refresh_releases_the_unit(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(team_id: str | None) -> None:
        raise StoreError("the store is unreachable")

    monkeypatch.setattr(emulator.store, "refresh", unreachable)
    with pytest.raises(StoreUnavailable, match="unreachable"):
        emulator.submit("acme", "text", REQUEST)
    monkeypatch.undo()
    assert emulator.submit("acme", "text", REQUEST).task.team_id == "acme"
    assert emulator._depth == 0
