"""The baseline for bench_media.py: a bare FastAPI app serving and receiving media bytes.

`/small` answers the bytes of $MEDIA_BENCH_SMALL from memory with a plain `Response`,
`/large` serves $MEDIA_BENCH_LARGE with Starlette's `FileResponse`, and `/upload` reads
a request body through `request.stream()` and throws it away.

    python -m uvicorn media_bare_app:app --app-dir benchmarks --port N
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import FileResponse, Response

app = FastAPI()
SMALL_PATH = os.environ.get("MEDIA_BENCH_SMALL")
LARGE_PATH = os.environ.get("MEDIA_BENCH_LARGE")
SMALL = Path(SMALL_PATH).read_bytes() if SMALL_PATH else b""


@app.get("/small")
async def small() -> Response:
    return Response(SMALL, media_type="video/mp4")


@app.get("/large")
async def large() -> Response:
    if not LARGE_PATH:
        return Response(status_code=404)
    return FileResponse(LARGE_PATH, media_type="video/mp4")


@app.post("/upload")
async def upload(request: Request) -> dict[str, int]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
    return {"ErrCode": 0, "received": received}
