"""FastAPI dependencies: the one place for auth, trace ids and base URLs.

A public route takes a single `CallerDep`: one dependency with no sub-dependencies,
because each extra dependency costs FastAPI a resolution step on every request.
All are `async def`: a sync dependency would hop to the thread pool each time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from ..core import Emulator
from ..errors import invalid_field
from .hot_routes import base_url_of, origin_of, raw_request
from .middleware import api_key_of

M = TypeVar("M", bound=BaseModel)


async def get_emulator(request: Request) -> Emulator:
    emulator: Emulator = request.app.state.emulator
    return emulator


EmulatorDep = Annotated[Emulator, Depends(get_emulator)]


def api_key(request: Request, emulator: Emulator) -> str | None:
    """`Authorization: Bearer <key>` (where the profile takes it), else `API-KEY: <key>`."""
    return api_key_of(request.scope, emulator.profile.bearer_keys)


@dataclass(slots=True)
class Caller:
    """Who is calling (already authenticated), and what the answer needs to know."""

    emulator: Emulator
    team: str
    request: Request

    @property
    def trace_id(self) -> str | None:
        """The client's own `Ai-trace-id`, or None when the emulator made one up."""
        state = self.request.state
        return str(state.trace_id) if state.trace_given else None

    @property
    def base_url(self) -> str:
        return base_url(self.emulator, self.request)


def base_url(emulator: Emulator, request: Request) -> str:
    """Where returned URLs point: `public_url`, else the scheme and Host the client used."""
    return base_url_of(emulator, raw_request(request.scope))


def origin(request: Request) -> str:
    """The scheme and Host the client used (read straight from the scope: Starlette's
    `request.base_url` builds URL objects, too slow for a poll)."""
    return origin_of(raw_request(request.scope))


async def caller(request: Request) -> Caller:
    emulator: Emulator = request.app.state.emulator
    team = emulator.authenticate(api_key(request, emulator))
    request.state.team = team
    return Caller(emulator, team, request)


CallerDep = Annotated[Caller, Depends(caller)]


@dataclass(slots=True)
class Create(Generic[M]):
    """An authenticated caller and its parsed create body: one dependency, not two."""

    call: Caller
    body: M


def create_call(model: type[M]) -> Callable[[Request], Awaitable[Create[M]]]:
    """Auth first, then the body (the documented check order), in a single dependency:
    each dependency costs FastAPI a resolution step on every request."""
    parse = json_body(model)

    async def resolve(request: Request) -> Create[M]:
        call = await caller(request)
        return Create(call, await parse(request))

    return resolve


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """Parse the body as JSON into `model`, whatever its Content-Type.

    pydantic-core parses and validates in one pass (several times faster than FastAPI's
    own body handling). `curl -d '{...}'` sends a form Content-Type; it still works.
    """

    async def parse(request: Request) -> M:
        raw = await request.body()
        try:
            return model.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            raise invalid_field(exc.errors()) from exc

    return parse
