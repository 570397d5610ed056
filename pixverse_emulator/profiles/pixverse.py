"""PixVerse's own platform (`app-api.pixverse.ai`): native model names, `API-KEY` only,
prices in PixVerse credits, native ErrCodes.

Sources are `pixverse-api.md` in the project's reference notes; each choice the notes
mark unknown [U] or inferred [I] is listed in the README's "The pixverse profile" table.
"""

from __future__ import annotations

import math

from ..domain import rules
from ..domain.edits import EditPricing
from ..errors import EmulatorError, InvalidField
from .base import ModelRules, Profile, WireError

BASE_RATIOS = frozenset({"16:9", "4:3", "1:1", "3:4", "9:16"})
WIDE_RATIOS = BASE_RATIOS | {"2:3", "3:2", "21:9"}
CREATES = frozenset({"text", "img", "transition", "fusion", "extend"})
NO_FUSION = CREATES - {"fusion"} | {"multi_transition"}
FIVE_EIGHT = frozenset({5, 8})
FIVE_EIGHT_TEN = frozenset({5, 8, 10})
FIVE = frozenset({5})



def _classic(routes: frozenset[str], max_references: int = 7) -> ModelRules:
    """v3.5, v4, v4.5: 5 or 8 s, 1080p at 5 s only, "fast" at 5 s below 1080p, no audio."""
    return ModelRules(routes=routes, aspect_ratios=BASE_RATIOS, durations=FIVE_EIGHT,
                      durations_by_quality={"1080p": FIVE}, fast=True, audio=False,
                      max_references=max_references)


MODELS: dict[str, ModelRules] = {
    "v3.5": _classic(NO_FUSION),
    "v4": _classic(NO_FUSION),
    "v4.5": _classic(CREATES | {"multi_transition"}, max_references=3),
    "v5": ModelRules(routes=CREATES | {"multi_transition"}, aspect_ratios=BASE_RATIOS,
                     durations=FIVE_EIGHT,
                     audio=False, max_references=3),
    "v5.5": ModelRules(routes=CREATES, aspect_ratios=BASE_RATIOS, durations=FIVE_EIGHT_TEN,
                       durations_by_quality={"1080p": FIVE_EIGHT}),
    "v5.6": ModelRules(routes=CREATES - {"extend"}, aspect_ratios=BASE_RATIOS,
                       durations=FIVE_EIGHT_TEN, durations_by_quality={"1080p": FIVE_EIGHT}),
    "v6": ModelRules(routes=CREATES, aspect_ratios=WIDE_RATIOS),
    "c1": ModelRules(routes=CREATES - {"extend"}, aspect_ratios=WIDE_RATIOS),
}
FAST_MODELS = ("v3.5", "v4", "v4.5")

# Credits for 5 s of v3.5 to v5 (the official table); 8 s costs twice that, "fast" too.
CLASSIC_5S = {"360p": 45, "540p": 45, "720p": 60, "1080p": 120}
# Credits per second, (no audio, audio). v5.5/v5.6: the v5 rate per second, audio at
# 16/9 of it (CN: v5.6 540p 5 s with audio was 80 credits). v6: ComfyUI's list prices
# over its 1.43 markup. c1: the same per-second rates as WorldRouter resells it.
PER_SECOND: dict[str, dict[str, tuple[int, int]]] = {
    "v5.5": {"360p": (9, 16), "540p": (9, 16), "720p": (12, 22), "1080p": (24, 43)},
    "v6": {"360p": (5, 7), "540p": (7, 9), "720p": (9, 12), "1080p": (18, 23)},
    "c1": rules.RATES["pixverse-c1"],
}
PER_SECOND["v5.6"] = PER_SECOND["v5.5"]


def price(model: str, quality: str, seconds: int, audio: bool, motion: str | None) -> int:
    if model in PER_SECOND:
        return PER_SECOND[model][quality][int(audio)] * seconds
    five = CLASSIC_5S[quality]
    return five * (2 if seconds == 8 or motion == "fast" else 1)


def lip_sync_price(audio_seconds: float | None, tts_text: str | None) -> int:
    """4 credits a second of uploaded audio (rounded up), or per 15 UTF-8 bytes of text."""
    if tts_text is not None:
        return 4 * math.ceil(len(tts_text.encode()) / 15)
    return 4 * math.ceil(audio_seconds or 0)


# Mimic's published credits per second (swap and modify: the same, unpublished).
SUBJECT_RATES = {"360p": 9, "540p": 10, "720p": 12}
MASK_SELECTION_CREDITS = 2  # the documented example's


def subject_price(quality: str, seconds: float) -> int:
    """Swap, mimic, modify: credits per started second of the source video."""
    return SUBJECT_RATES[quality] * math.ceil(seconds)


def restyle_price(seconds: float) -> int:
    """9 credits per started second of the source: v5's 540p rate (PixVerse publishes no
    restyle price)."""
    return 9 * math.ceil(seconds)


def multi_transition_price(quality: str, seconds: int) -> int:
    """The v3.5 to v5 table's rate per second of the whole video (its tiers by length
    are not published)."""
    return CLASSIC_5S[quality] * seconds // 5


# Restyle presets (restyle_id, name, prompt). The first two ids are ones seen in a
# public client; the rest are the emulator's own.
RESTYLES: tuple[tuple[int, str, str], ...] = (
    (322878269109312, "Simpson", "a yellow-skinned cartoon family style, bold outlines"),
    (322004186061696, "Van Gogh", "thick swirling oil brush strokes, starry night palette"),
    (330000000000001, "Clay", "handmade clay stop-motion look, soft studio light"),
    (330000000000002, "Anime", "cel-shaded anime style, clean lines, vivid colors"),
    (330000000000003, "Cyberpunk", "neon-lit cyberpunk city style, rain and reflections"),
    (330000000000004, "Watercolor", "soft watercolor painting on textured paper"),
)


def sound_effect_price(seconds: float) -> int:
    """10 credits per started 5 s (5 s: 10, 8 s: 20, 10 s: 20)."""
    return 10 * math.ceil(seconds / 5)


# The documented default TTS speakers, in the documented order (speaker_id, name).
SPEAKERS: tuple[tuple[str, str], ...] = (
    ("7", "Harper"), ("8", "Ava"), ("3", "Isabella"), ("9", "Sophia"), ("1", "Emily"),
    ("5", "Chloe"), ("10", "Julia"), ("11", "Mason"), ("12", "Jack"), ("4", "Liam"),
    ("2", "James"), ("13", "Oliver"), ("6", "Adrian"), ("14", "Ethan"), ("Auto", "Auto"),
)


def _unsupported(model: str) -> EmulatorError:
    names = ", ".join(MODELS)
    return InvalidField(f"Invalid field type or value: model: {model!r} is not one of {names}",
                        reason="model")


# Business errors come back as HTTP 200 with their ErrCode (reference §1.3: clients read
# ErrCode on 200s); what HTTP itself refuses (an unknown route, a wrong method, a body
# over the limit) keeps its status.
OK = 200
WIRE_ERRORS: dict[tuple[str, str] | str, WireError] = {
    "MissingKey": WireError(OK, 10003),
    "Unauthorized": WireError(OK, 10001),
    "MissingField": WireError(OK, 400011),
    "PromptTooLong": WireError(OK, 400018),
    "NegativePromptTooLong": WireError(OK, 400019),
    ("InvalidField", "image_probe"): WireError(OK, 500032),
    "InvalidField": WireError(OK, 400013),
    "InvalidParameter": WireError(OK, 400017),
    "InsufficientCredits": WireError(OK, 500090),
    "AccessDenied": WireError(OK, 500020),
    ("NotFound", "route"): WireError(404, 500008),
    "NotFound": WireError(OK, 500008),
    "TooManyPending": WireError(OK, 500044),
    "PayloadTooLarge": WireError(413, 500030),
}

PIXVERSE = Profile(
    name="pixverse",
    models=MODELS,
    unsupported_model=_unsupported,
    price=price,
    credits_unit=None,
    bearer_keys=False,
    fast_refusal=("motion_mode:fast is only supported for models "
                  f"{', '.join(FAST_MODELS[:-1])}, and {FAST_MODELS[-1]}."),
    wire_errors=WIRE_ERRORS,
    bare_envelope=True,
    extra_routes=frozenset({"lip_sync", "sound_effect", "tts_list", "balance", "restyle",
                            "restyle_list", "multi_transition", "mask_selection", "swap",
                            "mimic", "modify"}),
    speakers=SPEAKERS,
    edit_pricing=EditPricing(lip_sync=lip_sync_price, sound_effect=sound_effect_price,
                             restyle=restyle_price, multi_transition=multi_transition_price,
                             subject=subject_price, mask_selection=MASK_SELECTION_CREDITS),
    credit_pools=True,
    restyles=RESTYLES,
)
