"""Everything that depends on the HTTP server itself (uvicorn), in one place.

- **Header deadline.** A connection that has not sent a request's complete headers
  within `header_timeout` seconds of its first byte (or of connecting) is closed: a
  protocol class around uvicorn's own (`header_deadline`).
- **TLS handshake deadline.** A TLS connection sees no request headers until its
  handshake ends, so the header deadline alone would leave a silent client to
  asyncio's 60 s default: `Server` passes `header_timeout` as the handshake timeout.
- **Shutdown deadline.** SIGTERM ends the process within `shutdown_timeout` seconds
  whatever clients are doing: uvicorn cancels what still runs, then the app's shutdown
  closes the emulator (and removes a memory-mode temp folder).
- **TLS.** `tls_cert` and `tls_key`, or `tls = "self-signed"` (see `tls.py`).
- **Who may use the control plane.** A server reachable off loopback without an
  `admin_token` gets a random one (printed once), unless `admin_open` says otherwise.

What holds whatever the server (the body deadline, an early answer's
`Connection: close`, trailing slashes) is ASGI, in `connection.py`. A change of server
keeps these promises by reimplementing this module; the tests in
`tests/test_serving.py` hold them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from ..settings import Settings
from .hot_lane import lane_of

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
BACKLOG = 2048  # uvicorn's own default
CLOSING_SHARE = 0.25  # of shutdown_timeout, kept for closing the emulator after clients


def header_deadline(base: type[asyncio.Protocol], timeout: float) -> type[asyncio.Protocol]:
    """`base` (a uvicorn HTTP protocol), closing connections whose request headers take
    longer than `timeout`: armed on connecting and when bytes of a new request's headers
    are in but not all of them, disarmed once they are. httptools reports both through
    its callbacks, so a request that arrives whole arms no timer at all; h11 has none,
    and a request cycle starts once its headers are in."""
    callbacks = hasattr(base, "on_headers_complete")

    class HeaderDeadline(base):  # type: ignore[misc, valid-type]
        _deadline: asyncio.TimerHandle | None = None
        _in_headers = False  # httptools: a request began, its headers are not all in

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if callbacks:  # the parser's callbacks disarm; here only a partial head arms
                super().data_received(data)
                if self._in_headers and self._deadline is None:
                    self._arm()
                return
            before = self.cycle
            super().data_received(data)
            if self.cycle is not before:  # h11: a request began
                self._disarm()
            if self._deadline is None and self._between_requests():
                self._arm()

        def on_message_begin(self) -> None:
            self._in_headers = True
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self._in_headers = False
            if self._deadline is not None:  # `_disarm`, inline: this runs on every request
                self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or bool(self.cycle.response_complete)

        def _arm(self) -> None:
            self._deadline = self.loop.call_later(timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if self._between_requests():
                self.transport.close()

    HeaderDeadline.__name__ = f"HeaderDeadline{base.__name__}"
    return HeaderDeadline


class Server(uvicorn.Server):
    """uvicorn's server, with two deadlines uvicorn has no option for.

    The TLS handshake: startup runs with the loop's `create_server` wrapped to pass
    `ssl_handshake_timeout` (the wrapper lives only while startup runs). The shutdown:
    counted from the signal, uvicorn's graceful wait gets most of `shutdown_timeout`
    and closing the emulator the rest (`close_deadline` on the app's state, which the
    app's shutdown hands to `close`)."""

    def __init__(
        self, config: uvicorn.Config, handshake_timeout: float, shutdown_timeout: float
    ) -> None:
        super().__init__(config)
        self.handshake_timeout = handshake_timeout
        self.shutdown_timeout = shutdown_timeout
        self.exit_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.exit_at is None:
            self.exit_at = time.monotonic()
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        now = time.monotonic()
        deadline = (self.exit_at or now) + self.shutdown_timeout
        closing = self.shutdown_timeout * CLOSING_SHARE
        # typed int, used as asyncio.wait_for's timeout: seconds as a float work
        graceful = max(0.0, deadline - closing - now)
        self.config.timeout_graceful_shutdown = graceful  # type: ignore[assignment]
        state = getattr(self.config.app, "state", None)
        if state is not None:
            state.close_deadline = deadline
        await super().shutdown(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        loop = asyncio.get_running_loop()
        create = loop.create_server
        timeout = self.handshake_timeout

        async def create_server(*args: Any, **kwargs: Any) -> asyncio.Server:
            if kwargs.get("ssl") is not None:
                kwargs.setdefault("ssl_handshake_timeout", timeout)
            return await create(*args, **kwargs)

        loop.create_server = create_server  # type: ignore[method-assign]
        try:
            await super().startup(sockets)
        finally:
            del loop.create_server  # the instance attribute: the class's method again


def server(app: ASGIApp, settings: Settings, **overrides: Any) -> Server:
    """The server every server of this package runs: `config` and the deadlines."""
    return Server(config(app, settings, **overrides), settings.header_timeout,
                  settings.shutdown_timeout)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """The socket, listening before the server starts: port 0 has its number for the
    banner, and a client that connects at once waits in the backlog, not refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on connections of a
    # socket whose proto says TCP; without it every kept-alive answer, written as headers
    # then body, waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass
class Serving:
    """The settings a server runs with, and what to tell the person starting it."""

    settings: Settings
    notices: list[str] = field(default_factory=list)


def lock_control_plane(settings: Settings) -> Serving:
    """The settings with the admin token a server on this address needs."""
    serving = Serving(settings)
    _lock_control_plane(serving)
    return serving


def with_tls_files(serving: Serving, folder: Path) -> None:
    """For `tls = "self-signed"`: make (or reuse) the certificate in `folder` (the data
    folder, else the emulator's temp folder) and say where clients find its CA."""
    settings = serving.settings
    if settings.tls != "self-signed":
        return
    # Here, not at the top: `tls` imports cryptography (~30 ms), which only this needs.
    from . import tls

    names = tls.names_for(settings)
    cert, key = tls.self_signed(folder, names)
    serving.settings = settings.model_copy(update={"tls_cert": str(cert), "tls_key": str(key)})
    serving.notices.append(f"pixverse-emulator: TLS certificate for {', '.join(names)}; "
                           f"clients trust {cert.parent / 'ca.pem'}")


def _lock_control_plane(serving: Serving) -> None:
    settings = serving.settings
    if settings.admin_token is not None or is_loopback(settings.host):
        return
    if settings.admin_open:
        serving.notices.append(
            f"pixverse-emulator: WARNING: the control plane /_emulator is open to anyone "
            f"who can reach {settings.host}:{settings.port} (admin_open = true)")
        return
    token = secrets.token_urlsafe(24)
    serving.settings = settings.model_copy(update={"admin_token": token})
    serving.notices.append(
        f"pixverse-emulator: the control plane needs 'Authorization: Bearer {token}' "
        "(generated for this run; set admin_token to choose one)")


def http_protocol(app: ASGIApp) -> type[asyncio.Protocol]:
    """uvicorn's protocol, with the hot lane where the app has one and httptools is
    installed (else uvicorn's pure-Python h11 protocol serves everything)."""
    lane = lane_of(app)
    if lane is None or AutoHTTPProtocol.__name__ != "HttpToolsProtocol":
        return AutoHTTPProtocol
    from .hot_protocol import hot_protocol  # imports httptools
    from .keep_alive import lazy_keep_alive

    return lazy_keep_alive(hot_protocol(lane))


def config(app: ASGIApp, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration every server of this package runs with."""
    values: dict[str, Any] = dict(
        host=settings.host,
        port=settings.port,
        http=header_deadline(http_protocol(app), settings.header_timeout),
        timeout_graceful_shutdown=settings.shutdown_timeout,
        access_log=False,  # the app writes its own line per request (request_log.py)
        workers=1,  # one process: the state lives in its memory
        loop="pixverse_emulator.http.loops:event_loop",  # uvloop, else asyncio
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
    )
    values.update(overrides)
    return uvicorn.Config(app, **values)
