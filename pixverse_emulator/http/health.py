"""`GET /_emulator/health`: the one control-plane route built at start.

Readiness checks ask it first and nothing else yet; the rest of the control plane (admin,
admin_faults, admin_snapshots) is built on its own first request (app.py)."""

from __future__ import annotations

from fastapi import APIRouter

from ..version import __version__

router = APIRouter(prefix="/_emulator", include_in_schema=False)


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}
