"""File URLs (uploads and results): no key needed, like a CDN link; the token is the secret."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from . import downloads
from .deps import EmulatorDep

router = APIRouter(include_in_schema=False)


@router.api_route("/files/{token}/{name}", methods=["GET", "HEAD"])
async def download(token: str, name: str, request: Request, emulator: EmulatorDep) -> Response:
    found = emulator.download(token)
    request.scope["state"]["video_id"] = found.video_id
    return downloads.respond(found, request.headers, request.method)
