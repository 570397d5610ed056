"""`LazyRoutes`: a group of routes whose module is imported on the first request for one of
their paths, not when the app is built.

The console's pages need Jinja2 and their own modules, about a tenth of the CLI's start;
a server that is never asked for a page should not pay for them before its first answer.
The group keeps its place in the route table, so matching order, 405s and trailing-slash
redirects are what the routes themselves would give.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette._utils import get_route_path  # the path the router matches on
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send


class LazyRoutes(BaseRoute):
    """The routes `load` returns, loaded once, when a request's path satisfies `owns` (a
    cheap test, run for every request that reaches this place in the table)."""

    def __init__(self, load: Callable[[], Sequence[BaseRoute]],
                 owns: Callable[[str], bool]) -> None:
        self._load = load
        self.owns = owns
        self._routes: Sequence[BaseRoute] | None = None

    @property
    def routes(self) -> Sequence[BaseRoute]:
        if self._routes is None:
            self._routes = self._load()
        return self._routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """The first full match among the routes, else the first partial one (a 405), as
        Starlette's router picks them; the chosen route goes in the child scope, where
        `handle` finds it (and where the router would have put it)."""
        if scope["type"] != "http" or not self.owns(get_route_path(scope)):
            return Match.NONE, {}
        partial: Scope | None = None
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return match, {**child, "route": route}
            if match is Match.PARTIAL and partial is None:
                partial = {**child, "route": route}
        return (Match.NONE, {}) if partial is None else (Match.PARTIAL, partial)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope["route"]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)
