"""FastAPI dependencies: the one place for auth, trace ids and base URLs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .core import Emulator

bearer = HTTPBearer(auto_error=False, description="WorldRouter API key")
api_key_header = APIKeyHeader(
    name="API-KEY", auto_error=False, description="PixVerse-native key header"
)


def get_emulator(request: Request) -> Emulator:
    emulator: Emulator = request.app.state.emulator
    return emulator


EmulatorDep = Annotated[Emulator, Depends(get_emulator)]


def api_key(request: Request) -> str | None:
    """`Authorization: Bearer <key>`, else PixVerse's own `API-KEY: <key>`."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("api-key", "").strip() or None


async def current_team(
    request: Request,
    emulator: EmulatorDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    _api_key: Annotated[str | None, Depends(api_key_header)],
) -> str:
    team = emulator.authenticate(api_key(request))
    request.state.team = team
    return team


TeamDep = Annotated[str, Depends(current_team)]


async def trace_id(request: Request) -> str | None:
    """The client's own `Ai-trace-id`, or None when the emulator made one up."""
    state = request.state
    return str(state.trace_id) if state.trace_given else None


TraceDep = Annotated[str | None, Depends(trace_id)]


async def base_url(request: Request, emulator: EmulatorDep) -> str:
    configured = emulator.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


BaseUrlDep = Annotated[str, Depends(base_url)]
