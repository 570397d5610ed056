"""Mask selection's answers, and checking the ids swap and modify send back.

A selection finds the same three masks (person, object, background) in any frame; their
ids are derived from the team, the video and the frame, so a later swap or modify can be
checked against the selection it came from without keeping the selection as state.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from ..errors import InvalidParameter
from . import rules
from .references import VideoSource


@dataclass(frozen=True)
class Mask:
    mask_id: str
    mask_name: str


def source_key(source_video_id: int | None, video_media_id: int | None) -> str:
    return f"video:{source_video_id}" if source_video_id is not None else f"media:{video_media_id}"


def masks(team_id: str, source: str, keyframe_id: int) -> list[Mask]:
    found = []
    for name in rules.MASK_NAMES:
        digest = hashlib.sha256(f"{team_id}|{source}|{keyframe_id}|{name}".encode()).hexdigest()
        found.append(Mask(digest[:16], name))
    return found


def check_keyframe(field: str, keyframe_id: int, video: VideoSource) -> None:
    last = max(1, math.ceil(video.seconds * rules.KEYFRAME_RATE))
    if keyframe_id > last:
        raise InvalidParameter(
            f"{field}: frame {keyframe_id} is past the video's last frame, {last}",
            reason="mask.keyframe")


def check_masks(team_id: str, source: str, keyframe_id: int, given: list[str]) -> None:
    known = {mask.mask_id for mask in masks(team_id, source, keyframe_id)}
    for mask_id in given:
        if mask_id not in known:
            raise InvalidParameter(
                f"mask_id: {mask_id!r} is not a mask of frame {keyframe_id} of this video "
                "(POST /openapi/v2/video/mask/selection gives them)", reason="mask.unknown")
