"""The floor: a raw ASGI app answering the create and result routes with the same
envelopes as the emulator, from a dict, with no rules. Run by bench_vs_wiremock.py."""

from __future__ import annotations

import json
from typing import Any

TASKS: dict[int, dict[str, Any]] = {}
HEADERS = [(b"content-type", b"application/json")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    path = scope["path"]
    if scope["method"] == "POST" and path == "/openapi/v2/video/text/generate":
        video_id = len(TASKS) + 1
        TASKS[video_id] = {"id": video_id, "status": 5}
        resp: dict[str, Any] = {"video_id": video_id, "credits": 3, "credits_unit": "worldrouter"}
    elif path.startswith("/openapi/v2/video/result/"):
        resp = TASKS.get(int(path.rsplit("/", 1)[1]), {"id": 0, "status": 5})
    else:
        resp = {}
    body = json.dumps({"ErrCode": 0, "ErrMsg": "success", "Resp": resp}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": body})
