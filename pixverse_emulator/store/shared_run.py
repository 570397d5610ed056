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

# What waits to be sent, as one JSON argument {"size", "entries", "pairs"}, taken by the
# store's commit and release scripts too (one round trip for a hot request's changes and
# its journal entry). Entries are kept as "<seq> <json>": cjson would round a 15-digit
# id on its way back, so an entry is never decoded here.
FLUSH_FUNCTION = """
local function flush_run(prefix, packed)
  if not packed or packed == '' then return 0 end
  local run = cjson.decode(packed)
  local journal = prefix .. 'journal'
  for _, entry in ipairs(run['entries']) do
    local seq = redis.call('incr', prefix .. 'journal_seq')
    redis.call('rpush', journal, seq .. ' ' .. entry)
  end
  if #run['entries'] > 0 then redis.call('ltrim', journal, -run['size'], -1) end
  local pairs = run['pairs']
  for i = 1, #pairs, 2 do redis.call('sadd', prefix .. pairs[i], pairs[i + 1]) end
  return #run['entries']
end
"""

# ARGV: the key prefix, what waits (FLUSH_FUNCTION).
FLUSH = FLUSH_FUNCTION + "return flush_run(ARGV[1], ARGV[2])"

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
        self._taken: tuple[list[JournalEntry], set[tuple[str, str]]] = ([], set())

    def key(self, name: str) -> str:
        return self._prefix + name

    def call(self, command: str, *args: Any) -> Any:
        """A read or a clear for the control plane: the 503 envelope if Redis is away."""
        try:
            return getattr(self._client, command)(*args)
        except self._errors as exc:
            raise StoreUnavailable(f"the store {self._name} did not answer ({exc})") from exc

    def take(self) -> str:
        """What waits, packed for FLUSH_FUNCTION ('' when nothing does); `put_back` it
        if it could not be sent."""
        entries, self.entries = self.entries, []
        noted, self.noted = self.noted, set()
        self._taken = entries, noted
        if not entries and not noted:
            return ""
        rows = [json.dumps({name: getattr(e, name) for name in FIELDS}) for e in entries]
        pairs = [part for kind, value in noted for part in (f"coverage:{kind}", value)]
        return json.dumps({"size": self.size, "entries": rows, "pairs": pairs})

    def put_back(self, first: int | None = None) -> None:
        """Redis was away: what was taken waits for the next send (the newest `size`
        entries), and the request being answered is not held up by its journal.
        `first`: only that many of the entries (those from before a unit whose changes
        did not take effect)."""
        entries, noted = self._taken
        self.entries = [*entries[:first], *self.entries][-self.size:]
        self.noted |= noted

    def flush(self) -> None:
        packed = self.take()
        if not packed:
            return
        try:
            self._flush(args=[self._prefix, packed])
        except self._errors:
            self.put_back()

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
