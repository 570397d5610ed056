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

from ..errors import EmulatorError
from .hot_routes import Answer, HotRoutes, RawRequest, error_answer, hot_route
from .middleware import TRACE_HEADER, Recorder

if TYPE_CHECKING:
    from ..core import Emulator


class HotLane:
    def __init__(self, emulator: Emulator, routes: HotRoutes, recorder: Recorder) -> None:
        self.emulator = emulator
        self.routes = routes
        self.recorder = recorder
        self.body_limit = emulator.settings.json_body_limit
        self.shared = emulator.store.shared

    def open(self) -> bool:
        """No fault rule exists (read as FaultInjector reads it: no lock needed)."""
        return not self.emulator.faults_in_force()

    def takes(self, method: str, path: str) -> str | None:
        """The hot route this request is for, if this lane may serve it. With a shared
        store the fault rules are looked at in `serve`, once caught up."""
        return hot_route(method, path) if self.shared or self.open() else None

    def serve(self, route: str, request: RawRequest) -> Answer | None:
        """The answer, or None when a fault rule exists: the ASGI app serves it then.

        With a shared store (Redis) the request is one unit of work: the lease and what
        other processes committed come in one round trip, the answer's changes and its
        journal entry go out in one more (`RedisStore`), instead of four."""
        if not self.shared:
            return self.answer(route, request) if self.open() else None
        try:
            with self.emulator.request_unit():
                return self.answer(route, request) if self.open() else None
        except EmulatorError as error:  # the store could not be reached: its envelope
            return self.answer(route, request, error)

    def answer(self, route: str, request: RawRequest, error: EmulatorError | None = None
               ) -> Answer:
        """The route's answer (or `error`'s envelope), with its trace id and journal."""
        started = time.perf_counter() if self.recorder.log is not None else 0.0  # its time
        trace, given = self.recorder.trace(request.headers)
        state: dict[str, Any] = {"trace_id": trace, "trace_given": given, "route": route,
                                 "profile": self.emulator.profile}
        answer = (self.routes.answer(route, request, state) if error is None
                  else error_answer(error, state))
        answer.headers.append((TRACE_HEADER, trace.encode("latin-1")))
        self.recorder.record(request.method, request.path, state, answer.status, started)
        return answer


def lane_of(app: Any) -> HotLane | None:
    """The hot lane of an app made by `create_app` (None for any other ASGI app)."""
    lane = getattr(getattr(app, "state", None), "hot_lane", None)
    return lane if isinstance(lane, HotLane) else None
