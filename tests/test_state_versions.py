"""Every data folder and snapshot an earlier (or this) version made, in
`fixtures/state/v<N>/`, opens with this version, through its migrations, holding
exactly what it held when it was made (`expected.json`, written beside it)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pixverse_emulator import Emulator, ManualClock, Settings
from pixverse_emulator.store.schema import SCHEMA_VERSION

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
VERSIONS = sorted((FIXTURES / "state").glob("v*"), key=lambda p: int(p.name[1:]))


def maker() -> Any:
    spec = importlib.util.spec_from_file_location("make_state", FIXTURES / "make_state.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SUMMARY = maker().summary
KEY = maker().KEY  # the key make_state.py gave team "acme"


def expected(version: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((version / "expected.json").read_text())
    return loaded


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def test_this_versions_state_is_among_them() -> None:
    assert VERSIONS and VERSIONS[-1].name == f"v{SCHEMA_VERSION}"


@pytest.mark.parametrize("version", VERSIONS, ids=[v.name for v in VERSIONS])
def test_a_data_folder_opens_with_everything(version: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(version / "data", folder)
    emulator = Emulator(Settings(clock="manual", data_dir=str(folder)), clock=ManualClock(0))
    try:
        assert as_json(SUMMARY(emulator)) == expected(version)
        assert emulator.authenticate(KEY) == "acme"  # its key still works
    finally:
        emulator.close()


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "data-folder"])
@pytest.mark.parametrize("version", VERSIONS, ids=[v.name for v in VERSIONS])
def test_a_snapshot_restores_with_everything(
    version: Path, durable: bool, tmp_path: Path
) -> None:
    folder = {"data_dir": str(tmp_path / "data")} if durable else {}
    emulator = Emulator(Settings(clock="manual", **folder), clock=ManualClock(0))
    try:
        received = emulator.receiving_snapshot("old")
        shutil.copyfile(version / "state.snapshot", received)
        emulator.put_snapshot("old", received)
        emulator.restore_snapshot("old")
        got, wanted = as_json(SUMMARY(emulator)), expected(version)
        assert got.pop("ids_high") >= wanted.pop("ids_high")
        assert got == wanted
        assert emulator.authenticate(KEY) == "acme"
    finally:
        emulator.close()
