"""File URLs (uploads and results): no key needed, like a CDN link; the token is the secret."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from .deps import EmulatorDep

router = APIRouter(include_in_schema=False)


@router.api_route("/files/{token}/{name}", methods=["GET", "HEAD"])
async def download(token: str, name: str, emulator: EmulatorDep) -> Response:
    found = emulator.download(token)
    if found.path is not None:
        return FileResponse(found.path, media_type=found.content_type)
    return Response(found.data, media_type=found.content_type)
