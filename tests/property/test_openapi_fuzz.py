"""schemathesis over /openapi.json, in-process: no 500, no status the document does not
list, and every answer matches its documented shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from emulator import Emulator, Settings, create_app


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    data = tmp_path_factory.mktemp("fuzz")
    emulator = Emulator(Settings(clock="manual", data_dir=str(Path(data))))
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(emulator))
    emulator.close()


schema = schemathesis.pytest.from_fixture("api_schema")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": "Bearer fuzz-team"}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_without_a_key_conforms(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)
