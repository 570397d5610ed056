"""The `/openapi/v2` router: parse, one core call, envelope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from starlette.responses import JSONResponse

from . import ingest, views
from .core import Submission
from .deps import BaseUrlDep, EmulatorDep, TeamDep, TraceDep
from .errors import CATALOGUE
from .responses import ok
from .schemas import (
    CreateResp,
    Envelope,
    ErrorEnvelope,
    ExtendCreate,
    FusionCreate,
    ImageCreate,
    ImageUploadResp,
    MediaUploadResp,
    ResultResp,
    TextCreate,
    TransitionCreate,
)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    cls.http_status: {"model": ErrorEnvelope, "description": cls.code} for cls in CATALOGUE
}
ERROR_RESPONSES[400]["description"] = "unsupported_model, invalid_field or invalid_parameter"
CREATED: dict[int | str, dict[str, Any]] = {200: {"model": Envelope[CreateResp]}}

router = APIRouter(prefix="/openapi/v2", responses=ERROR_RESPONSES, tags=["PixVerse"])


def created(submission: Submission) -> JSONResponse:
    return ok(views.created(submission.task))


@router.post("/video/text/generate", responses=CREATED)
async def text_generate(
    body: TextCreate, team: TeamDep, emulator: EmulatorDep, trace: TraceDep
) -> JSONResponse:
    return created(emulator.submit(team, "text", body, trace))


@router.post("/video/img/generate", responses=CREATED)
async def img_generate(
    body: ImageCreate, team: TeamDep, emulator: EmulatorDep, trace: TraceDep
) -> JSONResponse:
    return created(emulator.submit(team, "img", body, trace))


@router.post("/video/transition/generate", responses=CREATED)
async def transition_generate(
    body: TransitionCreate, team: TeamDep, emulator: EmulatorDep, trace: TraceDep
) -> JSONResponse:
    return created(emulator.submit(team, "transition", body, trace))


@router.post("/video/fusion/generate", responses=CREATED)
async def fusion_generate(
    body: FusionCreate, team: TeamDep, emulator: EmulatorDep, trace: TraceDep
) -> JSONResponse:
    return created(emulator.submit(team, "fusion", body, trace))


@router.post("/video/extend/generate", responses=CREATED)
async def extend_generate(
    body: ExtendCreate, team: TeamDep, emulator: EmulatorDep, trace: TraceDep
) -> JSONResponse:
    return created(emulator.submit(team, "extend", body, trace))


@router.get("/video/result/{video_id}", responses={200: {"model": Envelope[ResultResp]}})
async def video_result(
    video_id: int, team: TeamDep, emulator: EmulatorDep, base: BaseUrlDep
) -> JSONResponse:
    return ok(views.result(emulator.result(team, video_id), base), "Success")


@router.post("/image/upload", responses={200: {"model": Envelope[ImageUploadResp]}})
async def image_upload(
    team: TeamDep,
    emulator: EmulatorDep,
    base: BaseUrlDep,
    image: Annotated[UploadFile | None, File(description="PNG, JPEG or WebP")] = None,
    image_url: Annotated[str | None, Form(description="recorded as given")] = None,
) -> JSONResponse:
    stored = await ingest.image(emulator, team, image, image_url)
    return ok(views.image(stored, base))


@router.post("/media/upload", responses={200: {"model": Envelope[MediaUploadResp]}})
async def media_upload(
    team: TeamDep,
    emulator: EmulatorDep,
    base: BaseUrlDep,
    file: Annotated[UploadFile | None, File(description="MP4/MOV/WebM or MP3/WAV/M4A/AAC")] = None,
    file_url: Annotated[str | None, Form(description="recorded as given")] = None,
    media_type: Annotated[str | None, Form(description="video or audio, for file_url")] = None,
) -> JSONResponse:
    stored = await ingest.media(emulator, team, file, file_url, media_type)
    return ok(views.media(stored, base))
