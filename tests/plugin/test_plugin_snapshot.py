"""The plugin and snapshots: a suite can start every test from a committed snapshot
file, through `pixverse_emulator_settings` or the marker; ids repeat run to run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pixverse_emulator import Emulator, Settings

pytest_plugins = ["pytester"]

pytestmark = pytest.mark.usefixtures("outside_xdist")

BODY = '''
BODY = {"model": "pixverse-c1", "prompt": "a small blue cube", "duration": 1,
        "quality": "360p", "aspect_ratio": "16:9"}
'''


def committed_snapshot(folder: Path) -> Path:
    """A snapshot with team "seeded" (key "seeded-key", 77 credits), as a repository
    would hold it."""
    emulator = Emulator(Settings(clock="manual"))
    emulator.put_team("seeded", credits=77, keys=["seeded-key"])
    emulator.save_snapshot("seed")
    target = folder / "seed.snapshot"
    shutil.copyfile(emulator.shelf.path("seed"), target)
    emulator.close()
    return target


def test_every_test_starts_from_the_snapshot_in_the_settings(pytester: pytest.Pytester) -> None:
    path = committed_snapshot(pytester.path)
    pytester.makeconftest(f"""
import pytest

@pytest.fixture(scope="session")
def pixverse_emulator_settings():
    return {{"snapshot": {str(path)!r}}}
""")
    pytester.makepyfile(BODY + """
import httpx
import pytest

@pytest.mark.parametrize("run", [1, 2, 3])
def test_spends_from_the_snapshot(pixverse_emulator, run):
    emu = pixverse_emulator
    assert emu.emulator.team("seeded")["credits"] == 77  # as the file has it, every time
    with httpx.Client(base_url=emu.base_url,
                      headers={"Authorization": "Bearer seeded-key"}) as client:
        created = client.post("/openapi/v2/video/text/generate", json=BODY)
    assert created.json()["Resp"]["credits"] == 3
    assert emu.emulator.team("seeded")["credits"] == 74
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_the_marker_starts_one_test_from_a_snapshot(pytester: pytest.Pytester) -> None:
    path = committed_snapshot(pytester.path)
    pytester.makepyfile(f"""
import pytest

@pytest.mark.pixverse_emulator(snapshot={str(path)!r})
def test_from_the_file(pixverse_emulator_app):
    assert pixverse_emulator_app.emulator.team("seeded")["credits"] == 77

def test_without(pixverse_emulator_app):
    assert pixverse_emulator_app.emulator.accounts.get("seeded") is None
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_plugin_pins_a_seed_so_ids_repeat(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(BODY + """
import httpx
import pytest

IDS = []

@pytest.mark.parametrize("run", [1, 2])
@pytest.mark.pixverse_emulator(progression="instant")
def test_first_id(pixverse_emulator, run):
    with httpx.Client(base_url=pixverse_emulator.base_url,
                      headers=pixverse_emulator.headers) as client:
        IDS.append(client.post("/openapi/v2/video/text/generate",
                               json=BODY).json()["Resp"]["video_id"])
    assert len(set(IDS)) == 1
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
