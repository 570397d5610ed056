"""`/docs` and `/redoc`, offline: FastAPI's pages, with Swagger UI and ReDoc served from
this package instead of a CDN (and no Google Fonts)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse

STATIC = "/_emulator/static"
TITLE = "pixverse-emulator"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json", title=f"{TITLE} - API",
        swagger_js_url=f"{STATIC}/vendor/swagger-ui-bundle.js",
        swagger_css_url=f"{STATIC}/vendor/swagger-ui.css",
        swagger_favicon_url=f"{STATIC}/favicon.png",
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json", title=f"{TITLE} - API",
        redoc_js_url=f"{STATIC}/vendor/redoc.standalone.js",
        redoc_favicon_url=f"{STATIC}/favicon.png", with_google_fonts=False,
    )
