"""WorldRouter's gateway: models `pixverse-c1` and `pixverse-v6`, Bearer or `API-KEY`
keys, prices in WorldRouter credits per second, and the gateway's error catalogue
(`errors.py`, as the seed document lists it)."""

from __future__ import annotations

from ..domain import rules
from ..errors import EmulatorError, UnsupportedModel
from .base import ModelRules, Profile

ROUTES = frozenset(rules.ROUTES)


def _unsupported(model: str) -> EmulatorError:
    return UnsupportedModel(f"Unsupported model {model!r}: use pixverse-c1 or pixverse-v6",
                            reason="model")


def _price(model: str, quality: str, seconds: int, audio: bool, motion: str | None) -> int:
    return rules.price(model, quality, seconds, audio)


WORLDROUTER = Profile(
    name="worldrouter",
    models={
        model: ModelRules(routes=ROUTES, aspect_ratios=support["aspect_ratio"])
        for model, support in rules.MODEL_SUPPORT.items()
    },
    unsupported_model=_unsupported,
    price=_price,
    credits_unit=rules.CREDITS_UNIT,
    bearer_keys=True,
)
