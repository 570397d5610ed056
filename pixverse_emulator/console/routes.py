"""The console's routes, for the app to include: its pages, actions and sign-in."""

from __future__ import annotations

from fastapi import APIRouter

from . import actions, pages, sign_in

router = APIRouter(include_in_schema=False)
for part in (pages.root, pages.router, actions.router, sign_in.router):
    router.routes.extend(part.routes)
