"""`Link`: the Redis store's own connection for its Lua scripts."""

from __future__ import annotations

import threading
from typing import Any


class Link:
    """One connection of the store's own for its scripts, which run under the state's
    lock. Through redis-py's client each call also paid for its pool, retry and
    telemetry bookkeeping: ~130 us, more than the round trip itself, twice a request."""

    def __init__(self, client: Any, redis: Any) -> None:
        self._pool = client.connection_pool
        self._no_script, self._lost = redis.exceptions.NoScriptError, (
            redis.ConnectionError, redis.TimeoutError, OSError)
        self._connection: Any = None
        self._lock = threading.Lock()

    def run(self, script: Any, keys: list[str], args: list[Any], again: bool) -> Any:
        """EVALSHA, loading the script on a Redis that does not know it (a restart).
        `again`: on a connection Redis closed (it restarted), try once more on a new
        one: for scripts that may run twice, not for a commit, which may have run."""
        with self._lock:
            try:
                return self._once(script, keys, args)
            except self._lost:
                if not again:
                    raise
                return self._once(script, keys, args)

    def _once(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        if self._connection is None:
            self._connection = self._pool.get_connection()
        connection = self._connection
        try:
            connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
            try:
                return connection.read_response()
            except self._no_script:
                connection.send_command("EVAL", script.script, len(keys), *keys, *args)
                return connection.read_response()
        except self._lost:
            connection.disconnect()  # the next call connects again
            raise

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.disconnect()
                self._connection = None
