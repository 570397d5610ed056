"""The request journal and coverage of a shared store's processes, kept in Redis, so the
control plane of any process shows every process's requests, numbered in one sequence.

Each process notes locally and sends what it noted in one round trip (`flush`) as it
journals a request, before the answer goes out: an entry the client could have caused
is there when the client asks. Coverage values go with it every time (a handful per
request, each a set member Redis keeps once), so a clear by any process is refilled by
the next request of every process.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..domain.coverage import Coverage
from ..domain.journal import Journal, JournalEntry
from ..errors import StoreUnavailable
from .base import StoreError

# KEYS: journal, journal_seq. ARGV: the journal's size, the number of
# entries n, n entries (JSON without seq), then coverage key/value pairs.
# Entries are kept as "<seq> <json>": cjson would round a 15-digit id on the way back.
FLUSH = """
local size, n = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 3, n + 2 do
  local seq = redis.call('incr', KEYS[2])
  redis.call('rpush', KEYS[1], seq .. ' ' .. ARGV[i])
end
if n > 0 then redis.call('ltrim', KEYS[1], -size, -1) end
for i = n + 3, #ARGV, 2 do redis.call('sadd', ARGV[i], ARGV[i + 1]) end
return n
"""

# KEYS: journal. ARGV: the team whose entries go.
CLEAR_TEAM = """
local kept = {}
for _, item in ipairs(redis.call('lrange', KEYS[1], 0, -1)) do
  local entry = cjson.decode(string.sub(item, string.find(item, ' ') + 1))
  if entry['team'] ~= ARGV[1] then kept[#kept + 1] = item end
end
redis.call('del', KEYS[1])
for i = 1, #kept, 1000 do
  redis.call('rpush', KEYS[1], unpack(kept, i, math.min(i + 999, #kept)))
end
return #kept
"""

FIELDS = [name for name in JournalEntry.__slots__ if name != "seq"]


class SharedRun:
    """The Redis side of both: what waits to be sent, and the round trips."""

    def __init__(self, client: Any, prefix: str, name: str,
                 errors: tuple[type[Exception], ...], size: int) -> None:
        self._client, self._prefix, self._name, self._errors = client, prefix, name, errors
        self.size = size  # the journal's entries kept
        self._flush = client.register_script(FLUSH)
        self._clear_team = client.register_script(CLEAR_TEAM)
        self.entries: list[JournalEntry] = []
        self.noted: set[tuple[str, str]] = set()

    def key(self, name: str) -> str:
        return self._prefix + name

    def call(self, command: str, *args: Any) -> Any:
        """A read or a clear for the control plane: the 503 envelope if Redis is away."""
        try:
            return getattr(self._client, command)(*args)
        except self._errors as exc:
            raise StoreUnavailable(f"the store {self._name} did not answer ({exc})") from exc

    def flush(self) -> None:
        """Send what waits. Redis away: it waits for the next flush (the newest `size`
        entries), and the request being answered is not held up by its journal."""
        entries, self.entries = self.entries, []
        noted, self.noted = self.noted, set()
        if not entries and not noted:
            return
        try:
            self._send(entries, noted)
        except StoreError:
            self.entries = [*entries, *self.entries][-self.size:]
            self.noted |= noted

    def _send(self, entries: list[JournalEntry], noted: set[tuple[str, str]]) -> None:
        rows = [json.dumps({name: getattr(e, name) for name in FIELDS}) for e in entries]
        pairs = [part for kind, value in noted for part in (self.key(f"coverage:{kind}"), value)]
        try:
            self._flush(keys=[self.key("journal"), self.key("journal_seq")],
                        args=[self.size, len(rows), *rows, *pairs])
        except self._errors as exc:
            raise StoreError(f"the store {self._name} did not answer ({exc})") from exc

    def clear_team(self, team: str) -> None:
        try:
            self._clear_team(keys=[self.key("journal")], args=[team])
        except self._errors as exc:
            raise StoreUnavailable(f"the store {self._name} did not answer ({exc})") from exc


class SharedJournal(Journal):
    def __init__(self, run: SharedRun) -> None:
        super().__init__(run.size)
        self._run = run

    def add(self, entry: JournalEntry) -> JournalEntry:
        self._run.entries.append(entry)  # numbered by Redis when sent
        return entry

    def flush(self) -> None:
        self._run.flush()

    def entries(self) -> list[JournalEntry]:
        self.flush()
        found = self._run.call("lrange", self._run.key("journal"), 0, -1)
        entries = []
        for item in found:
            seq, _, fields = item.partition(" ")
            entries.append(JournalEntry(seq=int(seq), **json.loads(fields)))
        return entries

    def clear(self, team: str | None = None) -> None:
        self.flush()
        if team is None:
            self._run.call("delete", self._run.key("journal"))
        else:
            self._run.clear_team(team)


class SharedCoverage(Coverage):
    def __init__(self, run: SharedRun, routes: Iterable[str], err_codes: Iterable[int]) -> None:
        super().__init__(routes, err_codes)  # its clear() is local: `_run` is not set yet
        self._run = run

    def note(self, kind: str, value: Any) -> None:
        if value is not None:
            self._run.noted.add((kind, json.dumps(value)))

    def clear(self) -> None:
        self.seen = {name: set() for name in self.universe}
        if hasattr(self, "_run"):  # not while Coverage.__init__ runs
            run = self._run
            run.noted.clear()
            run.call("delete", *(run.key(f"coverage:{kind}") for kind in self.universe))

    def report(self) -> dict[str, dict[str, list[Any]]]:
        self._run.flush()
        self.seen = {kind: {json.loads(v) for v in self._run.call(
            "smembers", self._run.key(f"coverage:{kind}"))} for kind in self.universe}
        return super().report()
