"""Routes PixVerse's own platform has beyond WorldRouter's: lip sync, sound effects and
the TTS speaker list. `routes_for(profile)` gives the ones a profile serves; under
another profile they do not exist (404, like any unknown route)."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ..domain.schemas import (
    EditRequest,
    Envelope,
    LipSyncCreate,
    MaskSelection,
    MimicCreate,
    ModifyCreate,
    MultiTransitionCreate,
    RestyleCreate,
    SoundEffectCreate,
    SwapCreate,
)
from ..errors import NotFound
from ..profiles import Profile
from . import views
from .api import body_doc
from .deps import CallerDep, create_call
from .documented import DocumentedRoute
from .responses import ok

PAGE_SIZE_MAX = 100

router = APIRouter(prefix="/openapi/v2", tags=["PixVerse platform"], route_class=DocumentedRoute)
EDITS: dict[str, type[BaseModel]] = {"lip_sync": LipSyncCreate,
                                      "sound_effect": SoundEffectCreate,
                                      "restyle": RestyleCreate, "swap": SwapCreate,
                                      "mimic": MimicCreate, "modify": ModifyCreate}


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


@router.post("/video/multi_transition/generate",
             responses={200: {"model": Envelope[EditResp]}},
             openapi_extra=body_doc(MultiTransitionCreate))
async def multi_transition_generate(request: Request) -> JSONResponse:
    create = await MULTI_TRANSITION(request)
    call = create.call
    submission = call.emulator.submit_multi_transition(call.team, create.body, call.trace_id)
    request.scope["state"]["video_id"] = submission.task.video_id
    return ok(views.created(submission.task, call.emulator.profile.credits_unit))


MULTI_TRANSITION = create_call(MultiTransitionCreate)
MASKS = create_call(MaskSelection)


@router.post("/video/mask/selection", openapi_extra=body_doc(MaskSelection))
async def mask_selection(request: Request) -> JSONResponse:
    """The masks one frame of the video offers swap and modify, answered at once."""
    create = await MASKS(request)
    call = create.call
    return ok(call.emulator.select_masks(call.team, create.body, call.base_url))


class RestylePreset(BaseModel):
    restyle_id: int
    restyle_name: str
    restyle_prompt: str
    cover_url: str


@router.get("/video/restyle/list", responses={200: {"model": Envelope[list[RestylePreset]]}})
async def restyle_list(
    call: CallerDep,
    page_num: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 20,
) -> JSONResponse:
    """The restyle presets, a page at a time: a list, as PixVerse answers it."""
    presets = call.emulator.profile.restyles[(page_num - 1) * page_size:page_num * page_size]
    return ok([{"restyle_id": restyle_id, "restyle_name": name, "restyle_prompt": prompt,
                "cover_url": f"{call.base_url}{COVERS}/{restyle_id}.png"}
               for restyle_id, name, prompt in presets], "Success")


COVERS = "/covers/restyle"


FRAMES = "/covers/frame/{size}/{name}"
MASK_PICTURES = "/covers/mask/{size}/{name}"
SIDE_MAX = 1920


async def picture_of(request: Request) -> Response:
    """A keyframe or mask picture a mask selection points at: a PNG of the video's size
    (a plain colour: the emulator draws no real frames)."""
    size, name = request.path_params["size"], request.path_params["name"]
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit() and name.endswith(".png")
            and 1 <= int(width) <= SIDE_MAX and 1 <= int(height) <= SIDE_MAX):
        raise NotFound(f"no picture {size}/{name}", reason="route")
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    return Response(cover_png(seed, int(width), int(height)), media_type="image/png")


async def restyle_cover(request: Request) -> Response:
    """A preset's cover picture: a small PNG in a colour of its own."""
    name = request.path_params["name"]
    emulator = request.app.state.emulator
    ids = {f"{restyle_id}.png": restyle_id for restyle_id, _, _ in emulator.profile.restyles}
    if name not in ids:
        raise NotFound(f"no restyle cover {name!r}", reason="route")
    return Response(cover_png(ids[name]), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


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
         "/openapi/v2/video/mask/selection": "mask_selection",
         "/openapi/v2/video/swap/generate": "swap",
         "/openapi/v2/video/mimic/generate": "mimic",
         "/openapi/v2/video/modify/generate": "modify",
         "/openapi/v2/video/restyle/generate": "restyle",
         "/openapi/v2/video/restyle/list": "restyle_list",
         "/openapi/v2/video/multi_transition/generate": "multi_transition",
         "/openapi/v2/video/lip_sync/generate": "lip_sync",
         "/openapi/v2/video/sound_effect/generate": "sound_effect",
         "/openapi/v2/video/lip_sync/tts_list": "tts_list"}


def routes_for(profile: Profile) -> list[BaseRoute]:
    routes = [route for route in router.routes
              if NAMES[getattr(route, "path", "")] in profile.extra_routes]
    if profile.restyles:  # the covers the restyle list points at
        routes.append(Route(COVERS + "/{name}", restyle_cover, methods=["GET"]))
    if "mask_selection" in profile.extra_routes:  # the pictures a selection points at
        routes += [Route(FRAMES, picture_of, methods=["GET"]),
                   Route(MASK_PICTURES, picture_of, methods=["GET"])]
    return routes


def cover_png(seed: int, width: int = 64, height: int = 64) -> bytes:
    """A solid PNG whose colour comes from `seed`."""
    rgb = bytes(((seed >> shift) & 0xFF) | 0x40 for shift in (0, 8, 16))
    rows = b"".join(b"\x00" + rgb * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
