"""The APIs the emulator can play, as data: `worldrouter` (WorldRouter's gateway, the
default) and `pixverse` (PixVerse's own platform). A profile is its models and their
rules, its prices, its credit unit, how keys are sent and how errors look on the wire;
the use cases read these tables and never branch on a profile's name."""

from __future__ import annotations

from .base import ModelRules, Profile
from .pixverse import PIXVERSE
from .worldrouter import WORLDROUTER

PROFILES: dict[str, Profile] = {p.name: p for p in (WORLDROUTER, PIXVERSE)}


def profile_named(name: str) -> Profile:
    return PROFILES[name]


__all__ = ["PROFILES", "ModelRules", "Profile", "profile_named"]
