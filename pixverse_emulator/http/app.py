"""`create_app(emulator)`: routers, error handlers and wrappers. The only wiring point."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from ..console import docs
from ..console.session import ConsoleSession
from ..core import Emulator
from ..errors import (
    EmulatorError,
    InternalError,
    InvalidField,
    MethodNotAllowed,
    NotFound,
    invalid_field,
)
from ..profiles import Profile
from ..settings import Settings
from ..version import __version__
from . import api, files, health
from .admin_guard import CONSOLE, PREFIX, STATIC, AdminGuard
from .connection import ConnectionGuard
from .deps import api_key
from .fast_path import FastPath
from .fault_injector import FaultInjector
from .hot_lane import HotLane
from .hot_routes import CREATES, HotRoutes
from .lazy_routes import LazyRoutes
from .middleware import BodyLimit, Recorder, RequestContext
from .request_log import RequestLog
from .responses import error_response
from .shared_state import CatchUp

PUBLIC_PREFIX = "/openapi/v2"
SNAPSHOTS = "/_emulator/snapshots/"  # admin_snapshots.PREFIX, without building its routes
STATIC_FOLDER = Path(__file__).resolve().parent.parent / "console" / "static"


def telemetry_off() -> dict[str, Any]:
    """FastAPI's `telemetry` argument turning it off, on versions that have it."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def create_app(
    emulator: Emulator | None = None,
    settings: Settings | None = None,
    *,
    close_at_shutdown: bool | None = None,
) -> FastAPI:
    """The ASGI app around one Emulator (made from `settings` when not given). The app
    closes the emulator when the server shuts down if it made it, or if told to."""
    owned = emulator is None if close_at_shutdown is None else close_at_shutdown
    emu = emulator if emulator is not None else Emulator(settings)

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:  # within what the server's shutdown has left (serving.Server)
            emu.close(getattr(served.state, "close_deadline", None))

    app = FastAPI(
        title="pixverse-emulator",
        version=__version__,
        description="Offline emulator of WorldRouter's PixVerse-compatible routes.",
        lifespan=lifespan,
        docs_url=None,  # console/docs.py serves /docs and /redoc from this package
        redoc_url=None,
        # FastAPI's native OpenTelemetry asks the global providers on every request
        # (~10 us, a fifth of a poll); an emulator reports through its journal and log.
        **telemetry_off(),
    )
    app.state.emulator = emu
    # The routes go straight onto the app: include_router() wraps each router in another
    # matching layer, which measured as 40% of a poll's time in-process.
    app.router.routes.extend(api.router.routes)
    app.router.routes.extend(health.router.routes)
    app.router.routes.append(LazyRoutes(_control_plane_routes, _is_control_plane))
    for router in (files.router, docs.router):
        app.router.routes.extend(router.routes)
    app.router.routes.append(LazyRoutes(_console_routes, _is_console))
    app.router.routes.extend(_profile_routes(emu.profile))
    app.mount(docs.STATIC, StaticFiles(directory=STATIC_FOLDER), name="static")
    app.add_exception_handler(EmulatorError, _emulator_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    # add_middleware wraps outward: ConnectionGuard (slashes, body deadline, early close)
    # is outermost, then RequestContext (trace id, journal), with a shared store CatchUp
    # (what other processes committed), AdminGuard (the control plane's token),
    # FaultInjector, BodyLimit, and FastPath, which serves the hot routes.
    routes = HotRoutes(emu)
    recorder = Recorder(emu, None if emu.settings.quiet else RequestLog(emu.settings.log_format))
    app.state.hot_lane = HotLane(emu, routes, recorder)  # for hot_protocol.py
    app.add_middleware(FastPath, routes=routes)
    app.add_middleware(BodyLimit, limit_for=_limit_for(emu.settings))
    app.add_middleware(FaultInjector, emulator=emu)
    session = ConsoleSession(emu.settings.admin_token)
    app.state.console_session = session
    if emu.store.shared:
        app.add_middleware(CatchUp, emulator=emu)
    app.add_middleware(AdminGuard, token=emu.settings.admin_token, session=session)
    app.add_middleware(RequestContext, recorder=recorder)
    app.add_middleware(ConnectionGuard, body_timeout=emu.settings.body_timeout)
    return app


def _control_plane_routes() -> list[BaseRoute]:
    """Built on the control plane's first request (but health, which is built at start):
    its 28 routes were a fifth of what the CLI imported beyond FastAPI, and a server is
    asked for its health before anything else (see lazy_routes.py)."""
    from . import admin, admin_faults, admin_snapshots

    return [*admin.router.routes, *admin_faults.router.routes, *admin_snapshots.router.routes]


def _is_control_plane(path: str) -> bool:
    """Under /_emulator/, but not the console's pages or the static files."""
    return (path.startswith(PREFIX + "/") and not path.startswith(CONSOLE)
            and not path.startswith(STATIC))


def _console_routes() -> list[BaseRoute]:
    """Imported on the first console request: the pages bring Jinja2 and their templates'
    helpers, which nothing else needs (see lazy_routes.py)."""
    from ..console import routes

    return list(routes.router.routes)


def _profile_routes(profile: Profile) -> list[BaseRoute]:
    """The routes of PixVerse's own platform the profile serves. `native` is imported
    only for a profile that has some: the default (worldrouter) has none, and building
    them all is a twentieth of the start."""
    if not profile.extra_routes and not profile.restyles:
        return []
    from . import native

    return native.routes_for(profile)


def _is_console(path: str) -> bool:
    """The console's paths: `/` (a redirect to it) and everything under its prefix."""
    return path == "/" or path.startswith(CONSOLE)


def _limit_for(settings: Settings) -> Any:
    limits = {
        f"{PUBLIC_PREFIX}/image/upload": (settings.image_upload_limit, "image_upload_limit"),
        f"{PUBLIC_PREFIX}/media/upload": (settings.media_upload_limit, "media_upload_limit"),
    }
    json_limit = (settings.json_body_limit, "json_body_limit")
    snapshot_limit = (settings.snapshot_upload_limit, "snapshot_upload_limit")

    def limit_for(path: str) -> tuple[int, str]:
        if path.startswith(SNAPSHOTS):
            return snapshot_limit
        return limits.get(path, json_limit)

    return limit_for


def _state(request: Request) -> dict[str, Any]:
    state: dict[str, Any] = request.scope.setdefault("state", {})
    return state


async def _emulator_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EmulatorError)
    return error_response(exc, _state(request))


def _auth_first(request: Request) -> EmulatorError | None:
    """A body FastAPI could not parse fails before auth runs; auth still comes first."""
    if not request.url.path.startswith(PUBLIC_PREFIX) or "team" in _state(request):
        return None
    emulator: Emulator = request.app.state.emulator
    try:
        _state(request)["team"] = emulator.authenticate(api_key(request, emulator))
    except EmulatorError as error:
        return error
    return None


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    error = _auth_first(request) or invalid_field(exc.errors())
    return error_response(error, _state(request))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(_translate(request, exc), _state(request))


def _translate(request: Request, exc: HTTPException) -> EmulatorError:
    if isinstance(exc.__cause__, EmulatorError):  # e.g. the body limit, hit mid-stream
        return exc.__cause__
    if exc.status_code == 404:
        return NotFound(f"No route {request.method} {request.url.path}", reason="route")
    if exc.status_code == 405:
        return MethodNotAllowed(
            f"Method {request.method} is not allowed on {request.url.path}",
            headers=exc.headers,
        )
    auth = _auth_first(request)
    if auth is not None:
        return auth
    return InvalidField(f"Invalid field type or value: {exc.detail}", reason="body")


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    error = InternalError(f"internal error: {type(exc).__name__}", reason="bug")
    return error_response(error, _state(request))


def _document_bodies(schemas: dict[str, Any]) -> None:
    for model in CREATES.values():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema


def _document_auth(document: dict[str, Any]) -> None:
    """Auth is one dependency (`deps.caller`), so its schemes are written in by hand."""
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "WorldRouter API key"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "API-KEY"},
    }
    for path, operations in document.get("paths", {}).items():
        if path.startswith(PUBLIC_PREFIX):
            for operation in operations.values():
                operation["security"] = [{"bearer": []}, {"apiKey": []}]


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, without the 422 it adds: this API answers 400013 instead."""
    if app.openapi_schema is None:
        app.openapi_schema = FastAPI.openapi(app)
        for path in app.openapi_schema.get("paths", {}).values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        components = app.openapi_schema.setdefault("components", {})
        _document_bodies(components.setdefault("schemas", {}))
        components.get("schemas", {}).pop("HTTPValidationError", None)
        components.get("schemas", {}).pop("ValidationError", None)
        _document_auth(app.openapi_schema)
    return app.openapi_schema


