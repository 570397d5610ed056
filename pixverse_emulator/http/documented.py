"""`DocumentedRoute`: an APIRoute whose documented answers (`responses=`) cost nothing
until /openapi.json is built.

FastAPI turns the model of every entry of a route's `responses` into a pydantic field
when it builds the route, and only the OpenAPI document ever reads those fields. The
public routes document eight error statuses each, so that was a tenth of the CLI's start
spent on a document most runs never ask for. This route builds the same fields, under
the same names, the first time the document generator asks for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from fastapi.utils import create_model_field

Responses = dict[int | str, dict[str, Any]]


class DocumentedRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], *,
                 responses: Responses | None = None, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)  # without `responses`: no fields built
        self.responses = responses or {}
        self._response_fields: dict[int | str, Any] | None = None

    @property
    def response_fields(self) -> dict[int | str, Any]:
        """What APIRoute would have made of `responses` (see its `_populate_api_route_state`)."""
        if self._response_fields is None:
            self._response_fields = {
                code: create_model_field(name=f"Response_{code}_{self.unique_id}",
                                         type_=answer["model"], mode="serialization")
                for code, answer in self.responses.items() if answer.get("model")
            }
        return self._response_fields

    @response_fields.setter
    def response_fields(self, fields: dict[int | str, Any]) -> None:
        # APIRoute sets {} while it builds the route (it was given no `responses`).
        self._response_fields = fields or None
