"""`FileSpill`: memory mode's place for a team's older ledger entries.

A long run in memory would otherwise keep every entry ever written in RAM (two per
task: its hold and its capture or release). Older entries are appended to one small
binary file per team in the emulator's temp folder, read back whole when someone reads
the ledger; the temp folder goes at exit as before.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import get_args

from ..domain.ledger import Entry, EntryKind

RECORD = struct.Struct("<qdBqqq")  # seq, time, kind, amount, video_id (-1: none), balance
KINDS: tuple[EntryKind, ...] = get_args(EntryKind)
PACKAGE = len(KINDS)  # added to the kind's number for an entry of package credits


NUMBERS = {(kind, pool): number + (PACKAGE if pool == "package" else 0)
           for number, kind in enumerate(KINDS) for pool in ("monthly", "package")}


class FileSpill:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    def _file(self, team_id: str) -> Path:
        return self.folder / hashlib.sha256(team_id.encode()).hexdigest()

    def append(self, team_id: str, entries: list[Entry]) -> None:
        pack, numbers = RECORD.pack, NUMBERS  # a few hundred entries at a time
        packed = b"".join([
            pack(seq, time, numbers[kind, pool], amount, -1 if video is None else video, balance)
            for seq, time, kind, amount, video, balance, pool in entries
        ])
        with self._file(team_id).open("ab") as file:
            file.write(packed)

    def read(self, team_id: str) -> list[Entry]:
        path = self._file(team_id)
        data = path.read_bytes() if path.exists() else b""
        return [Entry(seq, time, KINDS[kind % PACKAGE], amount, None if video < 0 else video,
                      balance, "package" if kind >= PACKAGE else "monthly")
                for seq, time, kind, amount, video, balance in RECORD.iter_unpack(data)]

    def forget(self, team_id: str) -> None:
        """A team's ledger started over (a reset): its spilled entries go."""
        self._file(team_id).unlink(missing_ok=True)

    def clear(self) -> None:
        """A new state (a reset, a restore): nothing spilled belongs to it."""
        for path in self.folder.iterdir():
            path.unlink(missing_ok=True)
