"""`HotLane`: a hot route served whole, for a server that hands over complete requests
(`hot_protocol.py`): the trace id, the answer and its journal entry and log line, as
`RequestContext` and `FastPath` give them inside the ASGI app.

It declines (and the request takes the ASGI app) whenever a fault rule exists, since
faults delay, cut or replace answers in ways only the ASGI wrappers do, and for a body
over the JSON limit, which `BodyLimit` refuses.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .hot_routes import Answer, HotRoutes, RawRequest, hot_route
from .middleware import TRACE_HEADER, Recorder

if TYPE_CHECKING:
    from ..core import Emulator


class HotLane:
    def __init__(self, emulator: Emulator, routes: HotRoutes, recorder: Recorder) -> None:
        self.emulator = emulator
        self.routes = routes
        self.recorder = recorder
        self.body_limit = emulator.settings.json_body_limit

    def open(self) -> bool:
        """No fault rule exists (read as FaultInjector reads it: no lock needed)."""
        return len(self.emulator.faults) == 0

    def takes(self, method: str, path: str) -> str | None:
        """The hot route this request is for, if this lane may serve it."""
        return hot_route(method, path) if self.open() else None

    def answer(self, route: str, request: RawRequest) -> Answer:
        started = time.perf_counter()
        trace, given = self.recorder.trace(request.headers)
        state: dict[str, Any] = {"trace_id": trace, "trace_given": given, "route": route,
                                 "profile": self.emulator.profile}
        answer = self.routes.answer(route, request, state)
        answer.headers.append((TRACE_HEADER, trace.encode("latin-1")))
        self.recorder.record(request.method, request.path, state, answer.status, started)
        return answer


def lane_of(app: Any) -> HotLane | None:
    """The hot lane of an app made by `create_app` (None for any other ASGI app)."""
    lane = getattr(getattr(app, "state", None), "hot_lane", None)
    return lane if isinstance(lane, HotLane) else None
