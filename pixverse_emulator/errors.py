"""The error tree. Each class knows its HTTP status, ErrCode and error code.

```
EmulatorError (http_status, err_code, code, message)
 +- Unauthorized 401/401001        +- InsufficientCredits 402/402001
 +- UnsupportedModel 400/400001    +- AccessDenied 403/403001
 +- InvalidField 400/400013        +- NotFound 404/404001
 +- InvalidParameter 400/400017    +- MethodNotAllowed 405/405001
 +- Conflict 409/409001            +- PayloadTooLarge 413/413001
                                   +- RangeNotSatisfiable 416/416001
 +- AdminUnauthorized 401/401001   +- TooManyPending 429/429001
 +- RequestTimeout 408/408001      +- StoreUnavailable 503/503001
```
`AdminUnauthorized`, `Conflict`, `MethodNotAllowed`, `RangeNotSatisfiable` and
`RequestTimeout` belong to the control plane and to HTTP itself, `StoreUnavailable` to
the emulator's own storage;
the rest are the gateway's catalogue (README, "Errors").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class EmulatorError(Exception):
    http_status: ClassVar[int] = 500
    err_code: ClassVar[int] = 500000
    code: ClassVar[str] = "internal_error"
    type: ClassVar[str] = "api_error"

    def __init__(
        self, message: str, *, headers: Mapping[str, str] | None = None, reason: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = dict(headers or {})
        # Which rule, limit or fault produced the error: shown in the request journal.
        self.reason = reason or self.code

    def body(self) -> dict[str, Any]:
        return {
            "ErrCode": self.err_code,
            "ErrMsg": self.message,
            "Resp": {},
            "error": {"code": self.code, "message": self.message, "type": self.type},
        }


class Unauthorized(EmulatorError):
    http_status, err_code, code, type = 401, 401001, "invalid_api_key", "authentication_error"


class MissingKey(Unauthorized):
    """No key at all (the gateway answers it as any bad key; PixVerse has its own code)."""


class UnsupportedModel(EmulatorError):
    http_status, err_code, code, type = 400, 400001, "unsupported_model", "invalid_request_error"


class InvalidField(EmulatorError):
    http_status, err_code, code, type = 400, 400013, "invalid_field", "invalid_request_error"


class MissingField(InvalidField):
    """A required field is absent (PixVerse: 400011, "required parameter empty")."""


class PromptTooLong(InvalidField):
    """PixVerse: 400018."""


class NegativePromptTooLong(InvalidField):
    """PixVerse: 400019."""


class InvalidParameter(EmulatorError):
    http_status, err_code, code, type = 400, 400017, "invalid_parameter", "invalid_request_error"


class AdminUnauthorized(EmulatorError):
    """The control plane wants `Authorization: Bearer <admin_token>`."""

    http_status, err_code, code, type = 401, 401001, "admin_unauthorized", "authentication_error"


class RequestTimeout(EmulatorError):
    """The client stopped sending its body: it is abandoned and the connection closed."""

    http_status, err_code, code = 408, 408001, "request_timeout"
    type = "invalid_request_error"


class InsufficientCredits(EmulatorError):
    http_status, err_code, code = 402, 402001, "pixverse_balance_too_low"
    type = "insufficient_quota"


class AccessDenied(EmulatorError):
    http_status, err_code, code = 403, 403001, "media_resource_access_denied"
    type = "permission_error"


class NotFound(EmulatorError):
    http_status, err_code, code, type = 404, 404001, "not_found", "not_found_error"


class MethodNotAllowed(EmulatorError):
    http_status, err_code, code = 405, 405001, "method_not_allowed"
    type = "invalid_request_error"


class Conflict(EmulatorError):
    http_status, err_code, code, type = 409, 409001, "conflict", "invalid_request_error"


class PayloadTooLarge(EmulatorError):
    http_status, err_code, code = 413, 413001, "payload_too_large"
    type = "invalid_request_error"


class RangeNotSatisfiable(EmulatorError):
    http_status, err_code, code = 416, 416001, "range_not_satisfiable"
    type = "invalid_request_error"


class TooManyPending(EmulatorError):
    http_status, err_code, code = 429, 429001, "pixverse_too_many_pending_tasks"
    type = "rate_limit_error"


class StoreUnavailable(EmulatorError):
    """The state could not be written (a full disk, a failing store): nothing of the
    request took effect."""

    http_status, err_code, code, type = 503, 503001, "store_unavailable", "api_error"


class InternalError(EmulatorError):
    """Only ever a bug in the emulator; still rendered as an envelope."""


CATALOGUE: tuple[type[EmulatorError], ...] = (
    Unauthorized,
    UnsupportedModel,
    InvalidField,
    InvalidParameter,
    InsufficientCredits,
    AccessDenied,
    NotFound,
    PayloadTooLarge,
    TooManyPending,
)
"""The gateway's public error catalogue, in README order."""


def invalid_field(errors: Sequence[Any]) -> InvalidField:
    """A 400013 naming the first field pydantic (or FastAPI) complained about."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return InvalidField("Invalid field type or value: body is not valid JSON", reason="schema")
    loc = [part for part in first.get("loc", ()) if part not in ("body", "path", "query")]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    message = f"Invalid field type or value: {field or 'body'}: {first.get('msg', 'invalid')}"
    return _kind_of(str(first.get("type")), field)(message, reason="schema")


def _kind_of(error_type: str, field: str) -> type[InvalidField]:
    """The same 400013 to the gateway; the finer kinds let a profile tell them apart."""
    if error_type == "missing":
        return MissingField
    if error_type == "string_too_long" and field in TOO_LONG:
        return TOO_LONG[field]
    return InvalidField


TOO_LONG: dict[str, type[InvalidField]] = {
    "prompt": PromptTooLong, "negative_prompt": NegativePromptTooLong}
