"""The envelope on the wire, for successes and for every error."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ..errors import EmulatorError


def ok(resp: Any, message: str = "success") -> JSONResponse:
    return JSONResponse({"ErrCode": 0, "ErrMsg": message, "Resp": resp})


def error_response(error: EmulatorError, state: dict[str, Any]) -> JSONResponse:
    """Render any error, and note its ErrCode and cause for the request journal."""
    state["err_code"] = error.err_code
    state["reason"] = error.reason
    state["message"] = error.message
    return JSONResponse(error.body(), status_code=error.http_status, headers=error.headers)
