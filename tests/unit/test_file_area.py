"""The file area and its janitor: what a removal queued earlier may and may not take."""

from __future__ import annotations

import threading
from pathlib import Path

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
