"""`Lease`: a lock kept in Redis, for work that one process at a time may do.

Several emulator processes share one Redis. A lease is a key holding its holder's random
token, set only if absent (`SET NX PX`), with a time to live: a holder that dies (a
SIGKILL) loses it when its time runs out, and nobody waits forever. Only the holder
gives it up or extends it (a Lua script compares the token first), so a holder whose
time ran out cannot release the next holder's lease by mistake.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

# Both compare the holder's token before touching the key: atomic in Redis.
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
RETRY_SECONDS = (0.0005, 0.02)  # the first and the longest pause between two tries


class Lease:
    def __init__(self, client: Any, name: str, ttl: float) -> None:
        """`client`: a `redis.Redis`; `ttl`: seconds a holder keeps it unless renewed."""
        self._client = client
        self.name = name
        self._ttl_ms = max(1, int(ttl * 1000))
        self._token: str | None = None
        self._release = client.register_script(RELEASE)
        self._renew = client.register_script(RENEW)

    @property
    def held(self) -> bool:
        return self._token is not None

    def acquire(self, wait: float) -> bool:
        """Take the lease, trying for up to `wait` seconds; False if someone else
        kept it all that time."""
        token = secrets.token_hex(16)
        deadline = time.monotonic() + wait
        pause = RETRY_SECONDS[0]
        while True:
            if self._client.set(self.name, token, nx=True, px=self._ttl_ms):
                self._token = token
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(pause, left))  # another process holds it: back off
            pause = min(pause * 2, RETRY_SECONDS[1])

    def renew(self) -> bool:
        """Extend a held lease by its time to live; False if it had run out."""
        if self._token is None:
            return False
        if self._renew(keys=[self.name], args=[self._token, self._ttl_ms]):
            return True
        self._token = None
        return False

    def release(self) -> None:
        """Give the lease up (a lease that ran out and went to someone else stays theirs)."""
        token, self._token = self._token, None
        if token is not None:
            self._release(keys=[self.name], args=[token])
