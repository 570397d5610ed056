"""The `/_emulator` control plane: each route is one Emulator call. Kept out of the
public OpenAPI document; every answer is 200 with a JSON body (errors: the envelope)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from . import views
from .deps import EmulatorDep, json_body

router = APIRouter(prefix="/_emulator", include_in_schema=False)


class _Admin(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Advance(_Admin):
    seconds: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class TeamUpdate(_Admin):
    credits: Annotated[int, Field(ge=0)] | None = None
    pending_cap: Annotated[int, Field(ge=0)] | None = None
    keys: list[Annotated[str, Field(min_length=1)]] | None = None


class StatusChange(_Admin):
    status: int


AdvanceBody = Annotated[Advance, Depends(json_body(Advance))]
TeamBody = Annotated[TeamUpdate, Depends(json_body(TeamUpdate))]
StatusBody = Annotated[StatusChange, Depends(json_body(StatusChange))]


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/reset")
async def reset(emulator: EmulatorDep) -> dict[str, Any]:
    emulator.reset()
    return {"reset": True}


@router.get("/clock")
async def clock(emulator: EmulatorDep) -> dict[str, Any]:
    return emulator.clock_info()


@router.post("/clock/advance")
async def advance(emulator: EmulatorDep, body: AdvanceBody) -> dict[str, Any]:
    emulator.advance(body.seconds)
    return emulator.clock_info()


@router.get("/teams/{team_id}")
async def get_team(team_id: str, emulator: EmulatorDep) -> dict[str, Any]:
    return emulator.team(team_id)


@router.put("/teams/{team_id}")
async def put_team(team_id: str, emulator: EmulatorDep, body: TeamBody) -> dict[str, Any]:
    return emulator.put_team(
        team_id, credits=body.credits, pending_cap=body.pending_cap, keys=body.keys
    )


@router.get("/teams/{team_id}/ledger")
async def ledger(team_id: str, emulator: EmulatorDep) -> dict[str, Any]:
    return {"entries": [views.ledger_entry(e) for e in emulator.ledger_entries(team_id)]}


@router.get("/tasks/{video_id}")
async def task(video_id: int, emulator: EmulatorDep) -> dict[str, Any]:
    return views.task_detail(emulator.task(video_id))


@router.post("/tasks/{video_id}/status")
async def set_status(video_id: int, body: StatusBody, emulator: EmulatorDep) -> dict[str, Any]:
    return views.task_detail(emulator.set_status(video_id, body.status))


@router.get("/images/{img_id}")
async def image(img_id: int, emulator: EmulatorDep) -> dict[str, Any]:
    return views.image_detail(emulator.image(img_id))


@router.get("/media/{media_id}")
async def media(media_id: int, emulator: EmulatorDep) -> dict[str, Any]:
    return views.media_detail(emulator.media(media_id))


@router.get("/requests")
async def requests(emulator: EmulatorDep) -> dict[str, Any]:
    return {"requests": emulator.requests()}


@router.delete("/requests")
async def clear_requests(emulator: EmulatorDep) -> dict[str, Any]:
    emulator.clear_requests()
    return {"requests": []}
