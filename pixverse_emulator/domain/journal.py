"""The request journal: what was asked, what was answered, and why (newest N kept)."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)  # not frozen: a frozen init costs several µs per request
class JournalEntry:
    seq: int
    time: float
    method: str
    path: str
    route: str | None  # the route's name (faults.ROUTES), None for other paths
    status: int
    err_code: int | None
    team: str | None
    trace_id: str
    reason: str | None  # for errors: the rule, limit or fault that produced them
    video_id: int | None = None  # the task the request created, read or downloaded
    message: str | None = None  # for errors: the ErrMsg the client was sent

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def log_fields(self) -> dict[str, Any]:
        """What the request log shows (`http/request_log.py`)."""
        return {"method": self.method, "path": self.path, "status": self.status,
                "err_code": self.err_code, "team": self.team, "trace_id": self.trace_id,
                "reason": self.reason, "video_id": self.video_id}


class Journal:
    def __init__(self, size: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._seq = 0

    def record(self, **fields: Any) -> JournalEntry:
        return self.add(JournalEntry(seq=0, **fields))

    def add(self, entry: JournalEntry) -> JournalEntry:
        """Keep `entry`, numbered next (its `seq` is set here)."""
        self._seq += 1
        entry.seq = self._seq
        self._entries.append(entry)
        return entry

    def flush(self) -> None:
        """Send what was added to where others read it (a shared store's journal)."""

    def entries(self) -> list[JournalEntry]:
        return list(self._entries)

    def clear(self, team: str | None = None) -> None:
        if team is None:
            self._entries.clear()
            return
        kept = [entry for entry in self._entries if entry.team != team]
        self._entries.clear()
        self._entries.extend(kept)


def matches(entry: JournalEntry, filters: dict[str, Any]) -> bool:
    """Filters by team, route (name or path prefix), status, err_code and trace id."""
    for name, wanted in filters.items():
        if wanted is None:
            continue
        if name == "route":
            if wanted != entry.route and not entry.path.startswith(str(wanted)):
                return False
        elif getattr(entry, name) != wanted:
            return False
    return True
