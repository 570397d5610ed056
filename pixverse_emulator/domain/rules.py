"""The request rules as data: models, fields, limits, output sizes and prices.

Schemas take their ranges and choices from here, the core checks model support
from `MODEL_SUPPORT`, and the README's tables are this module written out.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal, get_args

Model = Literal["pixverse-c1", "pixverse-v6"]
Quality = Literal["360p", "540p", "720p", "1080p"]
AspectRatio = Literal["16:9", "4:3", "1:1", "3:4", "9:16", "2:3", "3:2", "21:9"]
MotionMode = Literal["normal", "fast"]
Style = Literal["anime", "3d_animation", "clay", "comic", "cyberpunk", "realistic"]
Route = Literal["text", "img", "transition", "fusion", "extend"]
ReferenceType = Literal["subject", "background"]

MODELS: tuple[str, ...] = get_args(Model)
ROUTES: tuple[Route, ...] = get_args(Route)
ASPECT_RATIOS: tuple[AspectRatio, ...] = get_args(AspectRatio)

DURATION_MIN, DURATION_MAX = 1, 15
SEED_MAX = 2_147_483_647
PROMPT_MAX = 5000
SHORT_PROMPT_MAX = 2048  # transition and extend
NEGATIVE_PROMPT_MAX = 2048
REFERENCES_MIN, REFERENCES_MAX = 1, 7
# What extend takes as a source (PixVerse: under 40 s, at most 1920 px per side).
EXTEND_SOURCE_MAX_SECONDS = 40.0
EXTEND_SOURCE_SIDES = (2, 1920)
REF_NAME_MAX = 30
KEYFRAMES_MIN, KEYFRAMES_MAX = 2, 7  # multi-transition's images
KEYFRAMES_SECONDS_MAX = 30  # multi-transition's whole video
RESTYLE_SOURCE_MAX_SECONDS = 16.0  # restyle's source video (PixVerse: up to 16 s, 1920 px)
TTS_CONTENT_MAX = 200  # PixVerse's pages say about 140 characters; its MCP client caps 200
KEYFRAME_RATE = 24  # frames a second, for mask selection's keyframe_id (1 to the last)
MASK_NAMES = ("person", "object", "background")  # what a mask selection finds

PROMPT_LIMITS: dict[Route, int] = {
    "text": PROMPT_MAX,
    "img": PROMPT_MAX,
    "fusion": PROMPT_MAX,
    "transition": SHORT_PROMPT_MAX,
    "extend": SHORT_PROMPT_MAX,
}

# What each model accepts beyond the field's own choices. A value outside this
# table is 400017, as PixVerse answers for `motion_mode: fast` on c1.
MODEL_SUPPORT: dict[str, dict[str, frozenset[str]]] = {
    "pixverse-c1": {
        "motion_mode": frozenset({"normal"}),
        "aspect_ratio": frozenset(ASPECT_RATIOS) - {"21:9"},
    },
    "pixverse-v6": {
        "motion_mode": frozenset({"normal"}),
        "aspect_ratio": frozenset(ASPECT_RATIOS),
    },
}

# Quality sets the long edge; the short edge follows the aspect ratio.
LONG_EDGE: dict[str, int] = {"360p": 640, "540p": 1024, "720p": 1280, "1080p": 1920}
RESOLUTION_RATIO: dict[str, int] = {"360p": 360, "540p": 540, "720p": 720, "1080p": 1080}

# Credits per second of output, by model and quality: (no audio, with audio).
RATES: dict[str, dict[str, tuple[int, int]]] = {
    "pixverse-c1": {"360p": (3, 4), "540p": (4, 5), "720p": (5, 7), "1080p": (10, 12)},
    "pixverse-v6": {"360p": (5, 7), "540p": (7, 9), "720p": (9, 12), "1080p": (18, 23)},
}
CREDITS_UNIT = "worldrouter"


def price(model: str, quality: str, seconds: int, audio: bool) -> int:
    """Credits held at create and captured on success."""
    return RATES[model][quality][int(audio)] * seconds


def ratio_parts(ratio: str) -> tuple[int, int]:
    width, height = ratio.split(":")
    return int(width), int(height)


@lru_cache(maxsize=64)  # a few qualities times a few ratios; asked on every create
def output_size(quality: str, ratio: str) -> tuple[int, int]:
    """Width and height: the long edge from quality, the short one rounded to even."""
    long_edge = LONG_EDGE[quality]
    w, h = ratio_parts(ratio)
    short = 2 * round(long_edge * min(w, h) / max(w, h) / 2)
    return (long_edge, short) if w >= h else (short, long_edge)


def nearest_ratio(width: int, height: int) -> AspectRatio:
    """The supported aspect ratio closest to a picture's own (compared in log space)."""
    target = math.log(width / height)
    return min(ASPECT_RATIOS, key=lambda r: abs(math.log(_as_float(r)) - target))


def _as_float(ratio: str) -> float:
    w, h = ratio_parts(ratio)
    return w / h
