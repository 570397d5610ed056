"""The request log's line format on its own, at chosen instants (the CLI tests cover it
end to end)."""

from __future__ import annotations

import io
import json
from typing import Any

from pixverse_emulator import ManualClock
from pixverse_emulator.http.request_log import RequestLog

FIELDS: dict[str, Any] = {"method": "GET", "path": "/openapi/v2/video/result/7", "status": 404,
                          "err_code": 404001, "team": "acme", "trace_id": "t-1",
                          "reason": "unknown_video", "video_id": 7}


def lines(log_format: str, instants: list[float]) -> list[str]:
    stream, wall = io.StringIO(), ManualClock(0)
    log = RequestLog(log_format, stream, wall)  # type: ignore[arg-type]
    for instant in instants:
        wall.advance(instant - wall.now())
        log.write(FIELDS, 0.00125)
    return stream.getvalue().splitlines()


def test_each_line_has_the_millisecond_it_was_written_even_within_one_second() -> None:
    found = lines("text", [1795994187.0, 1795994187.4659, 1795994187.999, 1795994188.002])
    assert [line.split()[0] for line in found] == [
        "2026-11-29T23:16:27.000Z", "2026-11-29T23:16:27.465Z", "2026-11-29T23:16:27.999Z",
        "2026-11-29T23:16:28.002Z"]
    assert found[0].split()[1:] == ["GET", "/openapi/v2/video/result/7", "404", "404001",
                                    "acme", "1.2ms", "unknown_video"]


def test_json_lines_carry_the_same_time() -> None:
    (line,) = lines("json", [1795994187.25])
    shown = json.loads(line)
    assert shown["time"] == "2026-11-29T23:16:27.250Z" and shown["duration_ms"] == 1.25
