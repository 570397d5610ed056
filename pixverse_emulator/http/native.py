"""Routes PixVerse's own platform has beyond WorldRouter's: lip sync, sound effects and
the TTS speaker list. `routes_for(profile)` gives the ones a profile serves; under
another profile they do not exist (404, like any unknown route)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from ..domain.schemas import EditRequest, Envelope, LipSyncCreate, SoundEffectCreate
from ..profiles import Profile
from . import views
from .api import body_doc
from .deps import CallerDep, create_call
from .responses import ok

PAGE_SIZE_MAX = 100

router = APIRouter(prefix="/openapi/v2", tags=["PixVerse platform"])
EDITS: dict[str, type[BaseModel]] = {"lip_sync": LipSyncCreate,
                                      "sound_effect": SoundEffectCreate}


class EditResp(BaseModel):
    video_id: int
    credits: int


class Speaker(BaseModel):
    speaker_id: str
    name: str


class SpeakerPage(BaseModel):
    total: int
    data: list[Speaker]


def edit_endpoint(route: str, model: type[BaseModel]) -> Callable[[Request], Awaitable[Any]]:
    resolve = create_call(model)

    async def endpoint(request: Request) -> JSONResponse:
        create = await resolve(request)
        call = create.call
        body: EditRequest = create.body  # type: ignore[assignment]
        submission = call.emulator.submit_edit(call.team, route, body, call.trace_id)
        request.scope["state"]["video_id"] = submission.task.video_id
        return ok(views.created(submission.task, call.emulator.profile.credits_unit))

    endpoint.__name__ = f"{route}_generate"
    return endpoint


for _route, _model in EDITS.items():
    router.add_api_route(f"/video/{_route}/generate", edit_endpoint(_route, _model),
                         methods=["POST"], openapi_extra=body_doc(_model),
                         responses={200: {"model": Envelope[EditResp]}},
                         summary=f"{_route.replace('_', ' ').capitalize()} generate")


@router.get("/video/lip_sync/tts_list", responses={200: {"model": Envelope[SpeakerPage]}})
async def tts_list(
    call: CallerDep,
    page_num: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 30,
) -> JSONResponse:
    """The TTS speakers, a page at a time (`total` counts them all)."""
    speakers = call.emulator.profile.speakers
    page = speakers[(page_num - 1) * page_size:page_num * page_size]
    data = [{"speaker_id": speaker_id, "name": name} for speaker_id, name in page]
    return ok({"total": len(speakers), "data": data}, "Success")


class Balance(BaseModel):
    account_id: int
    credit_monthly: int
    credit_package: int


@router.get("/account/balance", responses={200: {"model": Envelope[Balance]}})
async def balance(call: CallerDep) -> JSONResponse:
    """The caller's credits: monthly ones are drawn first, package ones when the monthly
    ones cannot pay a task's whole price."""
    return ok(call.emulator.balance(call.team))


NAMES = {"/openapi/v2/account/balance": "balance",
         "/openapi/v2/video/lip_sync/generate": "lip_sync",
         "/openapi/v2/video/sound_effect/generate": "sound_effect",
         "/openapi/v2/video/lip_sync/tts_list": "tts_list"}


def routes_for(profile: Profile) -> list[BaseRoute]:
    return [route for route in router.routes
            if NAMES[getattr(route, "path", "")] in profile.extra_routes]
