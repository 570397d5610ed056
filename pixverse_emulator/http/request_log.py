"""One line per request on stderr: what a person watching the server wants to see.

    2026-11-29T22:40:01.123Z POST /openapi/v2/video/text/generate 402 402001 acme 1.4ms balance

Time (wall clock, UTC), method, path, HTTP status, ErrCode, team, duration and, for an
error, its reason (the rule, limit or fault). `log_format = "json"` writes the same as
JSON lines (with the trace id and video id too); `quiet` writes nothing.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Literal, TextIO

from ..clock import Clock, SystemClock

LogFormat = Literal["text", "json"]


class RequestLog:
    def __init__(self, log_format: LogFormat, stream: TextIO | None = None,
                 wall: Clock | None = None) -> None:
        self.format = log_format
        self.stream = stream
        self._wall = wall or SystemClock()  # the real time, whatever the emulator's clock
        self._second, self._prefix = -1, ""

    def write(self, fields: dict[str, Any], duration: float) -> None:
        stamp = self._stamp()
        line = self._json(fields, stamp, duration) if self.format == "json" else self._text(
            fields, stamp, duration)
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        if not getattr(stream, "line_buffering", False):  # stderr already writes each line
            stream.flush()

    def _stamp(self) -> str:
        """ISO 8601 UTC with milliseconds; the date and time part is formatted once a
        second, not once a request."""
        now = self._wall.now()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((now - second) * 1000):03d}Z"

    @staticmethod
    def _text(fields: dict[str, Any], stamp: str, duration: float) -> str:
        err_code = "-" if fields["err_code"] is None else fields["err_code"]
        parts = [stamp, fields["method"], fields["path"],
                 str(fields["status"]), str(err_code), fields["team"] or "-",
                 f"{duration * 1000:.1f}ms"]
        if fields["status"] >= 400 and fields["reason"]:
            parts.append(fields["reason"])
        return " ".join(parts)

    @staticmethod
    def _json(fields: dict[str, Any], stamp: str, duration: float) -> str:
        shown = {"time": stamp, **fields,
                 "duration_ms": round(duration * 1000, 3)}
        if shown["status"] < 400:
            shown["reason"] = None
        return json.dumps(shown, separators=(",", ":"))
