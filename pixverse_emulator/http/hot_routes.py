"""`HotRoutes`: the five creates and the result poll, answered synchronously from the
raw request (method, path, headers, body), with no framework object in between.

They are most of the traffic a client sends, so they are served twice over the same
code: by `fast_path.FastPath` inside the ASGI app (the app the tests and any ASGI
server run) and by `hot_protocol.py` straight from uvicorn's HTTP parser (the CLI's
server). Both hand the answer's fields to the journal through `state`, as every other
route does. The FastAPI routes of the same paths call this too; they exist so that
`/openapi.json` documents them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..domain.accounts import KEY_MEMO_MAX
from ..domain.faults import route_name
from ..domain.schemas import (
    CreateRequest,
    ExtendCreate,
    FusionCreate,
    ImageCreate,
    TextCreate,
    TransitionCreate,
)
from ..domain.task import RUNNING
from ..domain.tasks import Status, Task
from ..errors import EmulatorError, InternalError, invalid_field
from . import views
from .responses import error_response

if TYPE_CHECKING:
    from ..core import Emulator, Prepared

Headers = list[tuple[bytes, bytes]]
K = TypeVar("K")
V = TypeVar("V")
RESULT_PREFIX = "/openapi/v2/video/result/"
CREATES: dict[str, type[BaseModel]] = {
    "text": TextCreate,
    "img": ImageCreate,
    "transition": TransitionCreate,
    "fusion": FusionCreate,
    "extend": ExtendCreate,
}
HOT_ROUTES = frozenset({"result", *CREATES})
# Starlette's JSONResponse.render, with the encoder built once instead of per answer.
ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None,
                          separators=(",", ":")).encode
JSON_TYPE = (b"content-type", b"application/json")
VIDEO_ID: TypeAdapter[int] = TypeAdapter(int)
FINALS_KEPT = 1024  # finished tasks whose answers are kept rendered (~1 KiB each)
BODIES_KEPT = 256  # create bodies kept prepared ...
BODY_KEPT_MAX = 4096  # ... of at most this many bytes: 1 MiB in all


@dataclass(slots=True)
class RawRequest:
    """What a hot route reads of a request. `server` is the listening address, for the
    base URL when the client sent no Host; `root_path` the ASGI root path."""

    method: str
    path: str
    headers: Headers
    body: bytes
    scheme: str | None
    server: tuple[str, int | None] | None
    root_path: str = ""


def raw_request(scope: Any, body: bytes = b"") -> RawRequest:
    """The RawRequest of an ASGI scope."""
    return RawRequest(scope["method"], scope["path"], scope["headers"], body,
                      scope.get("scheme", "http"), scope.get("server"),
                      scope.get("root_path", ""))


@dataclass(slots=True)
class Answer:
    status: int
    headers: Headers
    body: bytes


Handler = Callable[[RawRequest, dict[str, Any], "str | None"], Answer]


def hot_route(method: str, path: str) -> str | None:
    """The hot route a request is for (its journal name, from the one route table), or
    None."""
    if method != "POST" and method != "GET":  # route_name counts HEAD as a GET
        return None
    route = route_name(method, path)
    return route if route in HOT_ROUTES else None


def path_video_id(text: str) -> int:
    """`{video_id}` as FastAPI converts a path parameter (pydantic's lax int); plain
    ASCII digits, the usual case, without pydantic."""
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    try:
        return VIDEO_ID.validate_python(text)
    except ValidationError as exc:
        raise invalid_field([{**e, "loc": ("video_id",)} for e in exc.errors()]) from exc


def api_key_in(headers: Headers, bearer: bool = True) -> str | None:
    """`Authorization: Bearer <key>` (where the profile takes it), else `API-KEY: <key>`."""
    authorization, native = b"", b""
    for name, value in headers:
        if name == b"authorization":
            authorization = value
        elif name == b"api-key":
            native = value
    if len(authorization) + len(native) > KEY_MEMO_MAX:
        return _key_of(authorization, native, bearer)
    return _memo_key_of(authorization, native, bearer)


def _key_of(authorization: bytes, native: bytes, bearer: bool) -> str | None:
    """The key in these header values."""
    scheme, _, key = authorization.decode("latin-1").partition(" ")
    if bearer and scheme.lower() == "bearer" and key.strip():
        return key.strip()
    return native.decode("latin-1").strip() or None


# Memoised for the values sent lately (a client sends the same on every request), short
# ones only: held in this process only, as `accounts.key_hash` holds keys.
_memo_key_of = lru_cache(maxsize=256)(_key_of)


def origin_of(request: RawRequest) -> str:
    """The scheme and Host the client used (its listening address when it sent none)."""
    host = ""
    for name, value in request.headers:
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host:
        server_host, port = request.server or ("localhost", 80)
        host = f"{server_host}:{port}"
    return f"{request.scheme or 'http'}://{host}{request.root_path}".rstrip("/")


def base_url_of(emulator: Emulator, request: RawRequest) -> str:
    """Where returned URLs point: `public_url`, else the scheme and Host the client used."""
    configured = emulator.settings.public_url
    return configured.rstrip("/") if configured else origin_of(request)


def encode_ok(resp: Any, message: str = "success") -> bytes:
    return ENCODE({"ErrCode": 0, "ErrMsg": message, "Resp": resp}).encode()


def ok_answer(resp: Any, message: str = "success") -> Answer:
    return body_answer(encode_ok(resp, message))


def body_answer(body: bytes) -> Answer:
    return Answer(200, [(b"content-length", b"%d" % len(body)), JSON_TYPE], body)


# Placeholders no rendered field can contain: a template is the encoder's own output
# for an answer whose ints are these, split where they stand.
HOLES = (987654321987654321, 876543219876543219)


def template(resp: dict[str, Any], holes: int, message: str = "success") -> list[bytes]:
    """The envelope of `resp` cut around its placeholder ints (`HOLES`, in order)."""
    parts = [encode_ok(resp, message)]
    for hole in HOLES[:holes]:
        head, found, tail = parts[-1].partition(b"%d" % hole)
        assert found, "a template's placeholders are in its envelope"
        parts[-1:] = [head, tail]
    return parts


class _Placeholder:
    """A running task with placeholder id and price, for the templates of the views."""

    video_id, price = HOLES
    status = Status.RUNNING


PLACEHOLDER = cast(Task, _Placeholder())


def error_answer(error: EmulatorError, state: dict[str, Any]) -> Answer:
    response = error_response(error, state)
    return Answer(response.status_code, response.raw_headers, bytes(response.body))


class _Origin:
    """`views.Origin` for a raw request: the base URL, worked out only if asked for."""

    __slots__ = ("_emulator", "_request")

    def __init__(self, emulator: Emulator, request: RawRequest) -> None:
        self._emulator, self._request = emulator, request

    @property
    def base_url(self) -> str:
        return base_url_of(self._emulator, self._request)


@dataclass(frozen=True, slots=True)
class _Fixed:
    base_url: str


class HotRoutes:
    """The hot routes of one emulator. `answer` never raises: any error is its envelope."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._bearer = emulator.profile.bearer_keys
        self._unit = emulator.profile.credits_unit
        self._finals: dict[int, tuple[Task, Status, str, bytes]] = {}
        self._keeping = threading.Lock()  # for misses only: a hit is one dict read
        self._bodies: dict[tuple[str, bytes], Prepared] = {}  # by route and body
        # The answers of a create and of a running task's poll differ by ints only.
        self._created = template(views.created(PLACEHOLDER, self._unit), 2)
        self._running = template(views.result(PLACEHOLDER, _Fixed(""), self._unit), 1,
                                 "Success")
        self._handlers: dict[str, Handler] = {
            "result": self._result,
            **{route: self._creator(route, model) for route, model in CREATES.items()},
        }

    def answer(self, route: str, request: RawRequest, state: dict[str, Any],
               team: str | None = None) -> Answer:
        """`state` is the request's (the journal's fields): it needs `profile`, and
        `trace_id` with `trace_given`; it gets `team`, `video_id` and, for an error,
        `err_code`, `reason` and `message`. `team`: the caller, if already known."""
        try:
            return self._handlers[route](request, state, team)
        except EmulatorError as error:
            return error_answer(error, state)
        except Exception as exc:  # noqa: BLE001 - the envelope, as app.py's handler gives
            return error_answer(InternalError(f"internal error: {type(exc).__name__}",
                                              reason="bug"), state)

    def team(self, request: RawRequest, state: dict[str, Any]) -> str:
        """The caller's team (raises the auth error)."""
        team = self.emulator.authenticate(api_key_in(request.headers, self._bearer))
        state["team"] = team
        return team

    def _result(self, request: RawRequest, state: dict[str, Any], team: str | None) -> Answer:
        # The id is converted as FastAPI converts a path parameter (pydantic's lax int),
        # before the key is looked at, as the router did.
        video_id = path_video_id(request.path[len(RESULT_PREFIX):])
        state["video_id"] = video_id
        task = self.emulator.result(team or self.team(request, state), video_id)
        if task.status is RUNNING:
            running = self._running
            return body_answer(b"%s%d%s" % (running[0], task.video_id, running[1]))
        return self._final_answer(task, _Origin(self.emulator, request).base_url)

    def _final_answer(self, task: Task, base_url: str) -> Answer:
        """A final task's answer never changes for one base URL (until it is deleted, a
        new status): clients that poll a finished task get the bytes rendered before.
        Keyed by the Task object itself, so a restored task is rendered anew."""
        cached = self._finals.get(task.video_id)
        if cached is None or cached[0] is not task or cached[1:3] != (task.status, base_url):
            body = encode_ok(views.result(task, _Fixed(base_url), self._unit), "Success")
            cached = (task, task.status, base_url, body)
            self._keep(self._finals, task.video_id, cached, FINALS_KEPT)
        body = cached[3]
        return Answer(200, [(b"content-length", str(len(body)).encode()), JSON_TYPE], body)

    def _creator(self, route: str, model: type[BaseModel]) -> Handler:
        def create(request: RawRequest, state: dict[str, Any], team: str | None) -> Answer:
            # Auth before the body: the documented order.
            team = team or self.team(request, state)
            trace = state["trace_id"] if state["trace_given"] else None
            body = self._prepared(route, model, request.body or b"{}")
            submission = self.emulator.submit(team, route, body, trace)
            task = submission.task
            state["video_id"] = task.video_id
            return body_answer(b"%s%d%s%d%s" % (self._created[0], task.video_id,
                                                 self._created[1], task.price,
                                                 self._created[2]))

        return create

    def _prepared(self, route: str, model: type[BaseModel], body: bytes
                  ) -> CreateRequest | Prepared:
        """The body parsed and, when the request alone passes the route's rules, prepared
        (`Emulator.prepare`): a body seen before is both at the cost of a dict read. A
        body the rules refuse is not kept: `submit` refuses it in its turn (a replayed
        trace id comes first)."""
        key = (route, body)
        found = self._bodies.get(key)
        if found is not None:
            return found
        try:
            parsed = cast(CreateRequest, model.model_validate_json(body))
        except ValidationError as exc:
            raise invalid_field(exc.errors()) from exc
        try:
            prepared = self.emulator.prepare(route, parsed)
        except EmulatorError:
            return parsed
        if len(body) <= BODY_KEPT_MAX:
            self._keep(self._bodies, key, prepared, BODIES_KEPT)
        return prepared

    def _keep(self, kept: dict[K, V], key: K, value: V, limit: int) -> None:
        """`value` into `kept`, the oldest put in going first past `limit`. Locked: an
        app may be served from several threads (a test client's)."""
        with self._keeping:
            while len(kept) >= limit:
                del kept[next(iter(kept))]
            kept[key] = value
