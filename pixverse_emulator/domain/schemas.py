"""Wire shapes: request bodies and response envelopes. No behaviour.

Request models are strict (no coercion: `"5"` is not a duration, `"false"` is not
a boolean) and ignore unknown fields, as the gateway does.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from . import rules

Prompt = Annotated[str, Field(min_length=1, max_length=rules.PROMPT_MAX)]
ShortPrompt = Annotated[str, Field(min_length=1, max_length=rules.SHORT_PROMPT_MAX)]
Duration = Annotated[int, Field(ge=rules.DURATION_MIN, le=rules.DURATION_MAX)]
Seed = Annotated[int, Field(ge=0, le=rules.SEED_MAX)]
NegativePrompt = Annotated[str, Field(max_length=rules.NEGATIVE_PROMPT_MAX)]
ResourceId = Annotated[int, Field(description="An id returned by an earlier call")]


# defer_build: a model's validator is built at its first use, not at import. A server
# starts without parsing any body, and most runs use a few of these shapes, not all.


class _Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, defer_build=True)


class _CreateBase(_Request):
    model: str = Field(description="pixverse-c1 or pixverse-v6")
    duration: Duration
    quality: rules.Quality
    negative_prompt: NegativePrompt | None = None
    motion_mode: rules.MotionMode | None = None
    seed: Seed | None = None
    style: rules.Style | None = None
    generate_audio_switch: bool = False
    water_mark: bool = False


class TextCreate(_CreateBase):
    prompt: Prompt
    aspect_ratio: rules.AspectRatio


class ImageCreate(_CreateBase):
    prompt: Prompt
    img_id: ResourceId
    aspect_ratio: rules.AspectRatio | None = None


class TransitionCreate(_CreateBase):
    prompt: ShortPrompt
    first_frame_img: ResourceId
    last_frame_img: ResourceId
    aspect_ratio: rules.AspectRatio | None = None


class ImageReference(_Request):
    type: rules.ReferenceType = "subject"
    img_id: ResourceId
    ref_name: Annotated[str, Field(min_length=1, max_length=rules.REF_NAME_MAX)]


class FusionCreate(_CreateBase):
    prompt: Prompt
    aspect_ratio: rules.AspectRatio
    image_references: Annotated[
        list[ImageReference],
        Field(min_length=rules.REFERENCES_MIN, max_length=rules.REFERENCES_MAX),
    ]


class ExtendCreate(_CreateBase):
    prompt: ShortPrompt
    source_video_id: ResourceId | None = None
    video_media_id: ResourceId | None = None


CreateRequest = TextCreate | ImageCreate | TransitionCreate | FusionCreate | ExtendCreate

TtsContent = Annotated[str, Field(min_length=1, max_length=rules.TTS_CONTENT_MAX)]
EffectContent = Annotated[str, Field(max_length=rules.SHORT_PROMPT_MAX)]


class _VideoEdit(_Request):
    """A task made from a video: one generated (`source_video_id`) or uploaded
    (`video_media_id`)."""

    source_video_id: ResourceId | None = None
    video_media_id: ResourceId | None = None


class LipSyncCreate(_VideoEdit):
    """The video's speech from uploaded audio, or from text a TTS speaker reads."""

    audio_media_id: ResourceId | None = None
    lip_sync_tts_speaker_id: str | None = None
    lip_sync_tts_content: TtsContent | None = None


class SoundEffectCreate(_VideoEdit):
    """Sound effects added to the video, described by `sound_effect_content` (or chosen
    automatically), over its own sound or instead of it."""

    sound_effect_content: EffectContent | None = None
    original_sound_switch: bool = False


class RestyleCreate(_VideoEdit):
    """The video redrawn in a preset style (`restyle_id`) or a described one."""

    restyle_id: ResourceId | None = None
    restyle_prompt: Prompt | None = None
    seed: Seed | None = None


SubjectQuality = Literal["360p", "540p", "720p"]  # swap, mimic and modify: no 1080p
MaskId = Annotated[str, Field(min_length=1, max_length=64)]
FrameNumber = Annotated[int, Field(ge=1)]


class MaskSelection(_VideoEdit):
    """Which parts of one frame of the video can be swapped or modified (synchronous)."""

    keyframe_id: FrameNumber = 1


class SwapCreate(_VideoEdit):
    """A selected part of the video replaced by the subject of an uploaded image."""

    keyframe_id: FrameNumber
    mask_id: MaskId
    img_id: ResourceId
    quality: SubjectQuality


class MimicCreate(_VideoEdit):
    """The motion of the video given to the subject of an uploaded image."""

    img_id: ResourceId
    quality: SubjectQuality


class ModifyCreate(_VideoEdit):
    """The video changed as the prompt says (`@selection0` names a mask, `@img0` an image)."""

    prompt: Prompt
    img_ids: Annotated[list[ResourceId], Field(max_length=3)] = []
    mask_ids: Annotated[list[MaskId], Field(max_length=3)] = []
    keyframe_ids: FrameNumber = 1
    quality: SubjectQuality


EditRequest = (LipSyncCreate | SoundEffectCreate | RestyleCreate | SwapCreate | MimicCreate
               | ModifyCreate)


class Keyframe(_Request):
    img_id: ResourceId
    duration: Annotated[int, Field(ge=0, le=rules.KEYFRAMES_SECONDS_MAX)] = 0
    prompt: ShortPrompt | None = None


class MultiTransitionCreate(_Request):
    """2 to 7 uploaded images, each shown for its `duration` and blended into the next."""

    model: str = Field(description="v3.5, v4, v4.5 or v5")
    quality: rules.Quality
    multi_transition: Annotated[list[Keyframe], Field(min_length=rules.KEYFRAMES_MIN,
                                                      max_length=rules.KEYFRAMES_MAX)]
    motion_mode: rules.MotionMode | None = None
    seed: Seed | None = None
    water_mark: bool = False

R = TypeVar("R")


class _Answer(BaseModel):
    """An answer's shape, for /openapi.json only: the routes write their JSON directly."""

    model_config = ConfigDict(defer_build=True)


class Envelope(_Answer, Generic[R]):
    """Every answer: `ErrCode` 0 and `Resp` on success."""

    ErrCode: int = 0
    ErrMsg: str = "success"
    Resp: R


class CreateResp(_Answer):
    video_id: int
    credits: int
    credits_unit: str = rules.CREDITS_UNIT


class ResultResp(_Answer):
    id: int
    status: int = Field(description="5 running, 1 succeeded, 6 deleted, 7 moderated, 8 failed")
    url: str | None = None
    outputWidth: int | None = None
    outputHeight: int | None = None
    has_audio: bool | None = None
    size: int | None = None
    seed: int | None = None
    prompt: str | None = None
    negative_prompt: str | None = None
    style: str | None = None
    resolution_ratio: int | None = None
    create_time: str | None = None
    modify_time: str | None = None
    credits: int | None = None
    credits_unit: str | None = None


class ImageUploadResp(_Answer):
    img_id: int
    img_url: str


class MediaUploadResp(_Answer):
    media_id: int
    media_type: str
    url: str


class ErrorDetail(_Answer):
    code: str
    message: str
    type: str


class ErrorEnvelope(_Answer):
    ErrCode: int
    ErrMsg: str
    Resp: dict[str, Any]
    error: ErrorDetail
