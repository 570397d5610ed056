"""The emulator's own CLI server with the web console taken out: bench_console.py's baseline.

    python -m benchmarks.console_off_app [any option of python -m pixverse_emulator]

It runs `pixverse_emulator.cli.main` itself (the same settings, banner, socket and uvicorn
configuration as `python -m pixverse_emulator`), only with the CLI's `create_app` wrapped
so that the app it serves has none of the console's routes: every path under
/_emulator/ui (pages, live fragments, actions, sign-in) and the `/` redirect to it.

What stays: the public API, the JSON control plane, /docs and /redoc with the static
files they share with the console, and every middleware. The console's one piece of
middleware is the session `AdminGuard` accepts in place of the admin token; AdminGuard is
also the control plane's lock, so it is not separable, and on loopback without an
admin token it passes every request straight through.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute

from pixverse_emulator import cli
from pixverse_emulator.http.app import create_app
from pixverse_emulator.http.lazy_routes import LazyRoutes

CONSOLE = "/_emulator/ui"


def is_console(path: str) -> bool:
    return path == "/" or path == CONSOLE or path.startswith(CONSOLE + "/")


def is_console_route(route: BaseRoute) -> bool:
    """A console route, or the group that loads them on the first console request."""
    if isinstance(route, LazyRoutes):
        return route.owns(CONSOLE)
    return is_console(str(getattr(route, "path", "")))


def create_app_without_console(*args: Any, **kwargs: Any) -> FastAPI:
    app = create_app(*args, **kwargs)
    app.router.routes[:] = [route for route in app.router.routes
                            if not is_console_route(route)]
    return app


if __name__ == "__main__":
    # cli.main() calls the create_app it imported by name: replace that name.
    setattr(cli, "create_app", create_app_without_console)  # noqa: B010
    cli.main()
