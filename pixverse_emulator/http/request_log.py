"""One line per request on stderr: what a person watching the server wants to see.

    2026-11-29T22:40:01.123Z POST /openapi/v2/video/text/generate 402 402001 acme 1.4ms balance

Time (wall clock, UTC), method, path, HTTP status, ErrCode, team, duration and, for an
error, its reason (the rule, limit or fault). `log_format = "json"` writes the same as
JSON lines (with the trace id and video id too); `quiet` writes nothing.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from ..clock import SystemClock

LogFormat = Literal["text", "json"]


class RequestLog:
    def __init__(self, log_format: LogFormat, stream: TextIO | None = None) -> None:
        self.format = log_format
        self.stream = stream
        self._wall = SystemClock()

    def write(self, fields: dict[str, Any], duration: float) -> None:
        stamp = datetime.fromtimestamp(self._wall.now(), UTC).isoformat(timespec="milliseconds")
        line = self._json(fields, stamp, duration) if self.format == "json" else self._text(
            fields, stamp, duration)
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    @staticmethod
    def _text(fields: dict[str, Any], stamp: str, duration: float) -> str:
        err_code = "-" if fields["err_code"] is None else fields["err_code"]
        parts = [stamp.replace("+00:00", "Z"), fields["method"], fields["path"],
                 str(fields["status"]), str(err_code), fields["team"] or "-",
                 f"{duration * 1000:.1f}ms"]
        if fields["status"] >= 400 and fields["reason"]:
            parts.append(fields["reason"])
        return " ".join(parts)

    @staticmethod
    def _json(fields: dict[str, Any], stamp: str, duration: float) -> str:
        shown = {"time": stamp.replace("+00:00", "Z"), **fields,
                 "duration_ms": round(duration * 1000, 3)}
        if shown["status"] < 400:
            shown["reason"] = None
        return json.dumps(shown, separators=(",", ":"))
