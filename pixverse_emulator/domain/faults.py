"""Fault rules: which requests get a fault, and which fault.

A rule matches a route (by name, or `*`), optionally a method and a team, and fires
every time, `count` times, or with a `probability` drawn from its own seeded random
generator (so a run is repeatable). The first matching rule wins. What a fault does
is applied by `fault_injector.FaultInjector`, a pure-ASGI wrapper.
"""

from __future__ import annotations

import random
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import CATALOGUE, EmulatorError

# Route names by (method, exact path); the two routes with an id in the path by prefix.
EXACT: dict[tuple[str, str], str] = {
    ("POST", "/openapi/v2/video/text/generate"): "text",
    ("POST", "/openapi/v2/video/img/generate"): "img",
    ("POST", "/openapi/v2/video/transition/generate"): "transition",
    ("POST", "/openapi/v2/video/fusion/generate"): "fusion",
    ("POST", "/openapi/v2/video/extend/generate"): "extend",
    ("POST", "/openapi/v2/image/upload"): "image_upload",
    ("POST", "/openapi/v2/media/upload"): "media_upload",
    # PixVerse's own platform only (profiles name them in `extra_routes`):
    ("POST", "/openapi/v2/video/lip_sync/generate"): "lip_sync",
    ("POST", "/openapi/v2/video/sound_effect/generate"): "sound_effect",
    ("GET", "/openapi/v2/video/lip_sync/tts_list"): "tts_list",
    ("GET", "/openapi/v2/account/balance"): "balance",
    ("POST", "/openapi/v2/video/restyle/generate"): "restyle",
    ("GET", "/openapi/v2/video/restyle/list"): "restyle_list",
    ("POST", "/openapi/v2/video/multi_transition/generate"): "multi_transition",
    ("POST", "/openapi/v2/video/mask/selection"): "mask_selection",
    ("POST", "/openapi/v2/video/swap/generate"): "swap",
    ("POST", "/openapi/v2/video/mimic/generate"): "mimic",
    ("POST", "/openapi/v2/video/modify/generate"): "modify",
}
EXTRA_ROUTES = ("lip_sync", "sound_effect", "tts_list", "balance", "restyle", "restyle_list",
                "multi_transition", "mask_selection", "swap", "mimic", "modify")
PREFIXED: dict[str, tuple[str, int]] = {  # prefix -> (name, path segments after it)
    "/openapi/v2/video/result/": ("result", 1),
    "/files/": ("download", 2),
}
# Every route name -> (its method, its path pattern), for rules, coverage and docs.
ROUTES: dict[str, tuple[str, str]] = {
    **{name: (method, path) for (method, path), name in EXACT.items()},
    "result": ("GET", "/openapi/v2/video/result/{video_id}"),
    "download": ("GET", "/files/{token}/{name}"),
}
CREATE_ROUTES = ("text", "img", "transition", "fusion", "extend")
RouteName = Literal[
    "*", "text", "img", "transition", "fusion", "extend", "image_upload", "media_upload",
    "result", "download", "create", "lip_sync", "sound_effect", "tts_list", "balance",
    "restyle", "restyle_list", "multi_transition", "mask_selection", "swap", "mimic",
    "modify", "webhook",
]


def route_name(method: str, path: str) -> str | None:
    """The route a request is for, by the names fault rules and the journal use.
    Runs on every request, so it is two dict lookups rather than a regex scan."""
    name = EXACT.get((method, path))
    if name is not None or method not in ("GET", "HEAD"):
        return name
    for prefix, (candidate, segments) in PREFIXED.items():
        if path.startswith(prefix):
            rest = path[len(prefix):].split("/")
            return candidate if len(rest) == segments and all(rest) else None
    return None


def error_class(value: str) -> type[EmulatorError] | None:
    """The catalogue error an `error` fault names: by error.code, by ErrCode or by HTTP
    status (a status shared by several errors, such as 400, means the first listed)."""
    for error in CATALOGUE:
        if value in (error.code, str(error.err_code), str(error.http_status)):
            return error
    return None


class Upstream(BaseModel):
    """An error as the upstream service would send it, e.g. 500044 or 500069."""

    # defer_build: validators built at first use; a server starts without any rule.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)

    err_code: Annotated[int, Field(ge=1)]
    http_status: Annotated[int, Field(ge=400, le=599)] = 500
    message: str | None = None
    retry_after: Annotated[int, Field(ge=0)] | None = None


class FaultRule(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", defer_build=True)  # as Upstream

    id: int = 0
    route: RouteName = "*"
    method: str | None = None
    team: str | None = None
    count: Annotated[int, Field(ge=1)] | None = None
    probability: Annotated[float, Field(ge=0, le=1)] | None = None
    seed: int = 0
    # The fault: exactly one of these.
    error: str | None = Field(
        default=None, description="an error.code, an ErrCode or an HTTP status of the catalogue"
    )
    upstream: Upstream | None = None
    latency: Annotated[float, Field(gt=0, le=60)] | None = None
    drop: bool = False
    truncate: Annotated[float, Field(ge=0, lt=1)] | None = None
    fired: int = 0

    @model_validator(mode="after")
    def _one_fault(self) -> FaultRule:
        chosen = [name for name in ("error", "upstream", "latency", "truncate")
                  if getattr(self, name) is not None] + (["drop"] if self.drop else [])
        if len(chosen) != 1:
            raise ValueError(
                "a fault rule needs exactly one of error, upstream, latency, drop, truncate"
                + (f" (got {', '.join(chosen)})" if chosen else "")
            )
        if self.truncate is not None and self.route != "download":
            raise ValueError("truncate applies to the download route only (route: download)")
        if self.error is not None and error_class(self.error) is None:
            raise ValueError(
                f"error {self.error!r} is not an error.code, ErrCode or HTTP status of the "
                "error catalogue"
            )
        return self

    def covers(self, route: str, method: str, team: str | None) -> bool:
        routes = CREATE_ROUTES if self.route == "create" else (self.route,)
        return (
            (self.route == "*" or route in routes)
            and (self.method is None or self.method.upper() == method)
            and (self.team is None or self.team == team)
        )


class FaultBook:
    """The active rules, in the order they were added.

    A rule's random generator is state too: `draws` counts what each has drawn, so a
    restored rule goes on with the same sequence instead of starting it again."""

    def __init__(self, next_id: int = 1) -> None:
        self.in_force: list[FaultRule] = []
        self._random: dict[int, random.Random] = {}
        self.draws: dict[int, int] = {}
        self.next_id = next_id
        self.version = 0  # moves on every change: a store writes the rules only then

    def __len__(self) -> int:
        return len(self.in_force)

    def add(self, rule: FaultRule) -> FaultRule:
        stored = rule.model_copy(update={"id": self.next_id, "fired": 0})
        self.next_id += 1
        self.version += 1
        self.restore(stored, draws=0)
        return stored

    def restore(self, rule: FaultRule, draws: int) -> None:
        """Put back a saved rule, its generator moved past the draws it had made."""
        generator = random.Random(rule.seed)
        for _ in range(draws):
            generator.random()
        self.in_force.append(rule)
        self._random[rule.id] = generator
        self.draws[rule.id] = draws
        self.next_id = max(self.next_id, rule.id + 1)

    def replace_all(self, rules: list[tuple[FaultRule, int]], next_id: int) -> None:
        """Exactly these rules and draws (as another process of a shared store left them)."""
        self.in_force, self._random, self.draws = [], {}, {}
        for rule, draws in rules:
            self.restore(rule, draws)
        self.next_id = max(self.next_id, next_id)
        self.version += 1

    def rules(self, team: str | None = None) -> list[FaultRule]:
        return [r for r in self.in_force if team is None or r.team == team]

    def remove(self, fault_id: int) -> bool:
        before = len(self.in_force)
        self.in_force = [r for r in self.in_force if r.id != fault_id]
        self.version += 1
        return len(self.in_force) < before

    def clear(self, team: str | None = None) -> None:
        self.in_force = [r for r in self.in_force if team is not None and r.team != team]
        self.version += 1

    def match(self, route: str, method: str, team: str | None) -> FaultRule | None:
        """The first rule that covers this request and fires now (counting it)."""
        for rule in self.in_force:
            if not rule.covers(route, method, team):
                continue
            if rule.probability is not None:
                self.draws[rule.id] += 1
                self.version += 1
                if self._random[rule.id].random() >= rule.probability:
                    continue
            rule.fired += 1
            self.version += 1
            if rule.count is not None and rule.fired >= rule.count:
                self.in_force.remove(rule)
            return rule
        return None
