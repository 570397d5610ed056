"""The envelope on the wire, for successes and for every error."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ..errors import EmulatorError
from ..profiles import Profile


def ok(resp: Any, message: str = "success") -> JSONResponse:
    return JSONResponse({"ErrCode": 0, "ErrMsg": message, "Resp": resp})


def error_response(error: EmulatorError, state: dict[str, Any]) -> JSONResponse:
    """Render any error, and note its ErrCode and cause for the request journal. On a
    public route (`state["profile"]`, set by the journal middleware) the profile decides
    the HTTP status, ErrCode and envelope; elsewhere the emulator's own apply."""
    profile: Profile | None = state.get("profile")
    if profile is None:
        status, err_code, body = error.http_status, error.err_code, error.body()
    else:
        status, err_code, body = profile.wire(error)
    state["err_code"] = err_code
    state["reason"] = error.reason
    state["message"] = error.message
    return JSONResponse(body, status_code=status, headers=error.headers)
