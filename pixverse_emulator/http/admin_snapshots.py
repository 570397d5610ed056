"""`/_emulator/snapshots`: save, list, download, upload, restore and delete snapshots.

Saving and restoring touch the whole state (and every uploaded file), so they run in a
worker thread: the event loop stays free while they hold the emulator's lock. An
uploaded snapshot streams to disk as it arrives, limited by `snapshot_upload_limit`
(not the JSON body limit), and is kept only once it proves to be a snapshot.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse

from ..store.base import storing
from .deps import EmulatorDep, json_body

router = APIRouter(prefix="/_emulator", include_in_schema=False)
PREFIX = "/_emulator/snapshots/"


class SnapshotSave(BaseModel):
    # defer_build: validators built at the first save, not at start (json_body parses).
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)

    name: str
    overwrite: bool = False


SaveBody = Annotated[SnapshotSave, Depends(json_body(SnapshotSave))]


@router.post("/snapshots")
async def save(emulator: EmulatorDep, body: SaveBody) -> dict[str, Any]:
    return await run_in_threadpool(emulator.save_snapshot, body.name, body.overwrite)


@router.get("/snapshots")
async def listing(emulator: EmulatorDep) -> dict[str, Any]:
    return {"snapshots": emulator.list_snapshots()}


@router.get("/snapshots/{name}")
async def download(name: str, emulator: EmulatorDep) -> FileResponse:
    path = emulator.snapshot_file(name)
    return FileResponse(path, media_type="application/octet-stream",
                        filename=path.name)


@router.put("/snapshots/{name}")
async def upload(name: str, request: Request, emulator: EmulatorDep) -> dict[str, Any]:
    target = emulator.receiving_snapshot(name)
    try:
        with storing(f"snapshot {name!r}"), target.open("wb") as file:
            async for chunk in request.stream():
                file.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return await run_in_threadpool(emulator.put_snapshot, name, target)


@router.post("/snapshots/{name}/restore")
async def restore(name: str, emulator: EmulatorDep) -> dict[str, Any]:
    await run_in_threadpool(emulator.restore_snapshot, name)
    return {"restored": name}


@router.delete("/snapshots/{name}")
async def delete(name: str, emulator: EmulatorDep) -> dict[str, Any]:
    emulator.delete_snapshot(name)
    return {"deleted": name}
