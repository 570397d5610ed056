"""Trace ids the emulator makes up: shaped as version-4 UUIDs, never repeated."""

from __future__ import annotations

import re

from pixverse_emulator import Emulator, Settings
from pixverse_emulator.http.middleware import Recorder

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_made_up_trace_ids_are_uuid4_shaped_and_unique() -> None:
    emulator = Emulator(Settings(quiet=True))
    try:
        first, second = Recorder(emulator), Recorder(emulator)  # e.g. two processes
        made = [first.trace([])[0] for _ in range(5000)] + [second.trace([])[0]
                                                            for _ in range(5000)]
        assert all(UUID4.fullmatch(trace) for trace in made)
        assert len(set(made)) == len(made)
        assert first.trace([(b"ai-trace-id", b"mine")]) == ("mine", True)
    finally:
        emulator.close()
