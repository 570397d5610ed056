"""The baseline: a bare FastAPI app answering the same routes with a fixed envelope."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()
CREATED = {"ErrCode": 0, "ErrMsg": "success",
           "Resp": {"video_id": 407432230962212, "credits": 3, "credits_unit": "worldrouter"}}
RUNNING = {"ErrCode": 0, "ErrMsg": "Success", "Resp": {"id": 407432230962212, "status": 5}}


@app.post("/openapi/v2/video/text/generate")
async def create() -> dict[str, Any]:
    return CREATED


@app.get("/openapi/v2/video/result/{video_id}")
async def result(video_id: int) -> dict[str, Any]:
    return RUNNING
