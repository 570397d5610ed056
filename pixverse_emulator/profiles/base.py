"""What a profile is, and the one check every create goes through with it.

`Profile.check(route, request)` applies the model's table in a fixed order: the model,
the route, the duration (and what a quality allows of it), the aspect ratio, the motion
mode, audio, the number of fusion references. A value outside the table is 400017, as
PixVerse answers for `motion_mode: fast` on c1; an unknown model is the profile's own
"unsupported model" error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.edits import EditPricing
from ..domain.faults import EXTRA_ROUTES, ROUTES
from ..domain.schemas import CreateRequest, FusionCreate
from ..errors import CATALOGUE, EmulatorError, InvalidParameter

ALL_DURATIONS = frozenset(range(1, 16))


@dataclass(frozen=True)
class ModelRules:
    routes: frozenset[str]
    aspect_ratios: frozenset[str]
    durations: frozenset[int] = ALL_DURATIONS
    # Per quality, the durations it allows when narrower than `durations`.
    durations_by_quality: Mapping[str, frozenset[int]] = field(default_factory=dict)
    fast: bool = False  # motion_mode "fast" accepted at all
    fast_durations: frozenset[int] = frozenset({5})
    fast_qualities: frozenset[str] = frozenset({"360p", "540p", "720p"})
    audio: bool = True  # generate_audio_switch may be true
    max_references: int = 7  # fusion's image_references


@dataclass(frozen=True)
class WireError:
    """How one error looks on the wire under a profile."""

    http_status: int
    err_code: int


@dataclass(frozen=True)
class Profile:
    name: str
    models: Mapping[str, ModelRules]
    unsupported_model: Callable[[str], EmulatorError]
    # Credits a create holds: (model, quality, duration, audio, motion_mode) -> credits.
    price: Callable[[str, str, int, bool, str | None], int]
    credits_unit: str | None  # shown beside `credits` in answers, when the API does
    bearer_keys: bool  # `Authorization: Bearer <key>` accepted besides `API-KEY`
    fast_refusal: str | None = None  # the API's own message for a refused "fast"
    # Public-route errors as the API sends them: by (error class name, reason), then by
    # class name; an error in neither keeps the emulator's own status and ErrCode.
    wire_errors: Mapping[tuple[str, str] | str, WireError] = field(default_factory=dict)
    # The body keeps only the envelope (no `error` object), as PixVerse's own API does.
    bare_envelope: bool = False
    # Routes beyond the five creates, uploads and the result (e.g. "lip_sync").
    extra_routes: frozenset[str] = frozenset()
    speakers: tuple[tuple[str, str], ...] = ()  # TTS (speaker_id, name), in list order
    edit_pricing: EditPricing | None = None
    credit_pools: bool = False  # monthly and package credits, as PixVerse keeps them
    # Restyle presets: (restyle_id, name, prompt), in list order.
    restyles: tuple[tuple[int, str, str], ...] = ()

    def route_names(self) -> list[str]:
        """Every public route name this API has (the journal's and coverage's names)."""
        return [r for r in ROUTES if r not in EXTRA_ROUTES or r in self.extra_routes]

    def err_codes(self) -> list[int]:
        """The ErrCodes this API answers with (besides 0)."""
        codes = [self.wire(error(""))[1] for error in CATALOGUE]
        codes += [found.err_code for found in self.wire_errors.values()]
        return list(dict.fromkeys(codes))

    def wire(self, error: EmulatorError) -> tuple[int, int, dict[str, Any]]:
        """(HTTP status, ErrCode, body) of an error on a public route."""
        found = self._wire_error(error)
        status, err_code = (error.http_status, error.err_code) if found is None else (
            found.http_status, found.err_code)
        body = error.body()
        body["ErrCode"] = err_code
        if self.bare_envelope:
            del body["error"]
        return status, err_code, body

    def _wire_error(self, error: EmulatorError) -> WireError | None:
        for kind in type(error).__mro__:
            found = (self.wire_errors.get((kind.__name__, error.reason))
                     or self.wire_errors.get(kind.__name__))
            if found is not None:
                return found
        return None

    def check_model(self, route: str, model: str) -> ModelRules:
        """The model's rules, if it exists here and makes this route's videos."""
        rules = self.models.get(model)
        if rules is None:
            raise self.unsupported_model(model)
        if route not in rules.routes:
            raise InvalidParameter(
                f"model: {model} does not support {route} generation "
                f"(models that do: {', '.join(self.models_for(route))})",
                reason="model_support.route")
        return rules

    def check(self, route: str, request: CreateRequest) -> None:
        model = request.model
        rules = self.check_model(route, model)
        self._check_duration(model, rules, request)
        ratio = getattr(request, "aspect_ratio", None)
        if ratio is not None and ratio not in rules.aspect_ratios:
            raise _unsupported("aspect_ratio", ratio, model, rules.aspect_ratios)
        self._check_motion(model, rules, request)
        if request.generate_audio_switch and not rules.audio:
            raise InvalidParameter(
                f"generate_audio_switch: {model} cannot generate audio "
                f"(models that can: {', '.join(m for m, r in self.models.items() if r.audio)})",
                reason="model_support.generate_audio_switch")
        if isinstance(request, FusionCreate) and (
                len(request.image_references) > rules.max_references):
            raise InvalidParameter(
                f"image_references: {model} takes at most {rules.max_references} references, "
                f"got {len(request.image_references)}",
                reason="model_support.image_references")

    def models_for(self, route: str) -> list[str]:
        return [m for m, r in self.models.items() if route in r.routes]

    @staticmethod
    def _check_duration(model: str, rules: ModelRules, request: CreateRequest) -> None:
        allowed = rules.durations_by_quality.get(request.quality, rules.durations)
        if request.duration not in allowed:
            where = f"{model} at {request.quality}" if allowed != rules.durations else model
            raise InvalidParameter(
                f"duration: {request.duration} is not supported by {where} "
                f"(supported: {_numbers(allowed)})", reason="model_support.duration")

    def _check_motion(self, model: str, rules: ModelRules, request: CreateRequest) -> None:
        if request.motion_mode != "fast":
            return
        if not rules.fast:
            if self.fast_refusal is not None:
                raise InvalidParameter(self.fast_refusal, reason="model_support.motion_mode")
            raise _unsupported("motion_mode", "fast", model, frozenset({"normal"}))
        if request.duration not in rules.fast_durations:
            raise InvalidParameter(
                f"motion_mode: fast is only supported for {_numbers(rules.fast_durations)} s "
                f"videos, not {request.duration} s", reason="model_support.motion_mode")
        if request.quality not in rules.fast_qualities:
            raise InvalidParameter(
                f"motion_mode: fast is not supported at {request.quality} "
                f"(supported: {', '.join(sorted(rules.fast_qualities))})",
                reason="model_support.motion_mode")


def _unsupported(name: str, value: str, model: str, allowed: frozenset[str]) -> InvalidParameter:
    return InvalidParameter(
        f"{name}: {value} is not supported by {model} (supported: {', '.join(sorted(allowed))})",
        reason=f"model_support.{name}")


def _numbers(values: frozenset[int]) -> str:
    ordered = sorted(values)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]} to {ordered[-1]}"
    return ", ".join(map(str, ordered))
