"""A live emulator server in a background thread, for tests and tools.

The listening socket is bound before the thread starts, so the server is ready the
moment `start()` returns: a client's connection waits in the backlog until uvicorn
accepts it. Nobody has to poll or sleep for readiness.
"""

from __future__ import annotations

import threading
from types import TracebackType

from starlette.types import ASGIApp

from ..settings import Settings
from .serving import bind, server


class LiveServer:
    """`settings` (default: those of the app's emulator) set the timeouts and TLS the
    CLI's server has too (`serving.server`)."""

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        settings: Settings | None = None,
    ) -> None:
        self.app = app
        self.host = host
        self._socket = bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        chosen = settings or _settings_of(app)
        self.scheme = "https" if chosen.tls_cert else "http"
        emulator = getattr(getattr(app, "state", None), "emulator", None)
        if emulator is not None and not chosen.public_url:
            emulator.base_url = self.base_url  # for URLs made without a request (webhooks)
        self._server = server(app, chosen, log_level="warning", access_log=False,
                              lifespan="off")
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _settings_of(app: ASGIApp) -> Settings:
    """The settings of the emulator `create_app` put in the app, else the defaults (not
    read from the environment: a test's server is the test's)."""
    state = getattr(app, "state", None)
    emulator = getattr(state, "emulator", None)
    found = getattr(emulator, "settings", None)
    return found if isinstance(found, Settings) else Settings.model_construct()
