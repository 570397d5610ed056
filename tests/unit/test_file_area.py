"""The file area and its janitor: what a removal queued earlier may and may not take."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pixverse_emulator.store import files
from pixverse_emulator.store.files import FileArea


def stored(area: FileArea, token: str, data: bytes = b"bytes") -> Path:
    incoming = area.receive(token)
    incoming.write(data)
    area.keep(incoming, "image.png")
    area.settled(token)
    return area.path(token, "image.png")


def test_a_file_written_again_after_its_removal_was_queued_stays(tmp_path: Path) -> None:
    area = FileArea(tmp_path)
    path = stored(area, "tok")
    busy = threading.Event()
    area.janitor.later(busy.wait)  # the janitor is still at an earlier job
    area.remove_later(["tok"])  # an eviction or a reset hands the file over ...
    area.write("tok", "image.png", [b"bytes"])  # ... and a restore names it again
    busy.set()
    area.drain()
    assert path.read_bytes() == b"bytes"
    area.stop()


def test_a_queued_removal_still_removes_what_nobody_wants_back(tmp_path: Path) -> None:
    area = FileArea(tmp_path)
    kept, removed = stored(area, "kept"), stored(area, "gone")
    area.remove_later(["gone"])
    area.drain()
    assert kept.exists() and not removed.parent.exists()
    area.stop()


def test_a_stop_ends_a_batch_of_removals_midway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    area = FileArea(tmp_path)
    paths = [stored(area, f"tok-{n}") for n in range(3)]
    rmtree = files.shutil.rmtree

    def rmtree_then_stop(path: Path, ignore_errors: bool = False) -> None:
        rmtree(path, ignore_errors=ignore_errors)
        area.janitor._stopping = True  # as a SIGTERM arriving mid-batch would set it

    monkeypatch.setattr(files.shutil, "rmtree", rmtree_then_stop)
    area.remove_later(["tok-0", "tok-1", "tok-2"])
    area.drain()
    assert [p.exists() for p in paths] == [False, True, True]  # the rest: the next start's
    area.stop()
