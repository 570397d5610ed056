"""Tasks made from a video rather than a prompt: lip sync, sound effects and restyle.

`plan` checks an edit's body against what it names (the source video, the audio or the
TTS speaker) and works out what the result will be: the source's picture and length,
with sound, and its price. Like a create's checks, it changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import InvalidParameter
from . import masks, rules
from .references import (
    VideoSource,
    check_one_source,
    check_owner,
    owned_image,
    picture,
    video_source,
)
from .schemas import (
    EditRequest,
    LipSyncCreate,
    MimicCreate,
    ModifyCreate,
    RestyleCreate,
    SwapCreate,
)
from .tasks import TaskBook
from .uploads import UploadStore

# An audio upload recorded by URL was never fetched: its length is assumed.
URL_AUDIO_SECONDS = 5.0


@dataclass(frozen=True)
class EditPricing:
    lip_sync: Callable[[float | None, str | None], int]  # (audio seconds, TTS text)
    sound_effect: Callable[[float], int]  # the video's seconds
    restyle: Callable[[float], int]  # the video's seconds
    subject: Callable[[str, float], int]  # swap, mimic, modify: (quality, video's seconds)
    mask_selection: int  # credits, charged at once
    multi_transition: Callable[[str, int], int]  # (quality, seconds)


@dataclass(frozen=True)
class EditPlan:
    source: VideoSource
    quality: str  # the nearest quality to the source's size, for `resolution_ratio`
    price: int
    has_audio: bool  # the result's: edits that add sound have it, restyle keeps the source's


def plan(route: str, request: EditRequest, uploads: UploadStore, tasks: TaskBook,
         team_id: str, pricing: EditPricing, speakers: Sequence[str],
         restyles: Sequence[int]) -> EditPlan:
    check_one_source(route, request)
    has_audio = True
    if isinstance(request, LipSyncCreate):
        audio_seconds = _audio(request, uploads, team_id, speakers)
        source = video_source(uploads, tasks, team_id, route, request)
        price = pricing.lip_sync(audio_seconds, request.lip_sync_tts_content)
    elif isinstance(request, RestyleCreate):
        _check_style(request, restyles)
        source = video_source(uploads, tasks, team_id, route, request)
        _check_restyle_source(source)
        price, has_audio = pricing.restyle(source.seconds), source.has_audio
    elif isinstance(request, SwapCreate | MimicCreate | ModifyCreate):
        return _subject_plan(route, request, uploads, tasks, team_id, pricing)
    else:
        source = video_source(uploads, tasks, team_id, route, request)
        price = pricing.sound_effect(source.seconds)
    return EditPlan(source, nearest_quality(source.width, source.height), price, has_audio)


def _subject_plan(route: str, request: SwapCreate | MimicCreate | ModifyCreate,
                  uploads: UploadStore, tasks: TaskBook, team_id: str,
                  pricing: EditPricing) -> EditPlan:
    """Swap, mimic and modify: the video's length and sound at the asked quality, in the
    shape of the video (swap, modify) or of the image that takes its motion (mimic)."""
    source = video_source(uploads, tasks, team_id, route, request)
    key = masks.source_key(request.source_video_id, request.video_media_id)
    if isinstance(request, SwapCreate):
        masks.check_keyframe("keyframe_id", request.keyframe_id, source)
        masks.check_masks(team_id, key, request.keyframe_id, [request.mask_id])
        owned_image(uploads, team_id, "img_id", request.img_id)
    elif isinstance(request, ModifyCreate):
        masks.check_keyframe("keyframe_ids", request.keyframe_ids, source)
        masks.check_masks(team_id, key, request.keyframe_ids, request.mask_ids)
        for i, img_id in enumerate(request.img_ids):
            owned_image(uploads, team_id, f"img_ids[{i}]", img_id)
    if isinstance(request, MimicCreate):
        image = owned_image(uploads, team_id, "img_id", request.img_id)
        shape = picture(request.quality, None, image, source.seconds)
        width, height = shape.width, shape.height
    else:
        width, height = rules.output_size(request.quality,
                                          rules.nearest_ratio(source.width, source.height))
    output = VideoSource(width, height, source.seconds, source.has_audio)
    return EditPlan(output, request.quality, pricing.subject(request.quality, source.seconds),
                    source.has_audio)


def _check_style(request: RestyleCreate, restyles: Sequence[int]) -> None:
    if (request.restyle_id is None) == (request.restyle_prompt is None):
        raise InvalidParameter('Either "restyle_id" or "restyle_prompt" must be provided '
                               "(not both)", reason="restyle.one_style")
    if request.restyle_id is not None and request.restyle_id not in restyles:
        raise InvalidParameter(
            f"restyle_id: no preset {request.restyle_id} "
            "(GET /openapi/v2/video/restyle/list lists them)", reason="restyle.unknown_style")


def _check_restyle_source(source: VideoSource) -> None:
    sides = (source.width, source.height)
    if source.seconds > rules.RESTYLE_SOURCE_MAX_SECONDS or max(sides) > 1920:
        raise InvalidParameter(
            f"restyle: the source video is {source.width}x{source.height}, "
            f"{source.seconds:g} s; restyle takes up to {rules.RESTYLE_SOURCE_MAX_SECONDS:g} s "
            "and 1920 px per side", reason="restyle.source")


def _audio(request: LipSyncCreate, uploads: UploadStore, team_id: str,
           speakers: Sequence[str]) -> float | None:
    """The uploaded audio's length, or None for TTS; exactly one of the two is given."""
    tts = (request.lip_sync_tts_speaker_id, request.lip_sync_tts_content)
    if request.audio_media_id is None:
        if None in tts:
            raise InvalidParameter(
                "lip_sync takes audio_media_id, or both lip_sync_tts_speaker_id and "
                "lip_sync_tts_content", reason="lip_sync.one_audio")
        if request.lip_sync_tts_speaker_id not in speakers:
            raise InvalidParameter(
                f"lip_sync_tts_speaker_id: no speaker {request.lip_sync_tts_speaker_id!r} "
                "(GET /openapi/v2/video/lip_sync/tts_list lists them)",
                reason="lip_sync.speaker")
        return None
    if tts != (None, None):
        raise InvalidParameter(
            "lip_sync takes audio_media_id or a TTS speaker and text, not both",
            reason="lip_sync.one_audio")
    media = uploads.media.get(request.audio_media_id)
    if media is None:
        raise InvalidParameter(
            f"audio_media_id: couldn't find a matching media {request.audio_media_id}",
            reason="unknown_media")
    check_owner(media.team_id, team_id, f"audio_media_id: media {media.media_id}")
    if media.media_type != "audio":
        raise InvalidParameter(
            f"audio_media_id: invalid media_type: media {media.media_id} is a video, "
            "not an audio resource", reason="lip_sync.media_type")
    return media.info.duration if media.info is not None else URL_AUDIO_SECONDS


def nearest_quality(width: int, height: int) -> str:
    long_edge = max(width, height)
    return min(rules.LONG_EDGE, key=lambda q: abs(rules.LONG_EDGE[q] - long_edge))
