"""schemathesis over /openapi.json, in-process: no 500, no status the document does not
list, and every answer matches its documented shape.

The cases come from schemathesis's strategies and run under plain Hypothesis, not
through schemathesis's pytest plugin, which tracks pytest's internals and breaks when
pytest moves faster than it does.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from pixverse_emulator import Emulator, Settings, create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EMULATOR = Emulator(Settings(clock="manual"))
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", create_app(EMULATOR))
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}
KEYS = {"with-key": {"Authorization": "Bearer fuzz-team"}, "no-key": {}}


def teardown_module() -> None:
    EMULATOR.close()


def test_every_public_route_is_fuzzed() -> None:
    assert len(OPERATIONS) == 8


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("key", list(KEYS))
@pytest.mark.parametrize("label", sorted(OPERATIONS))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_api_conforms(label: str, key: str, mode: GenerationMode, data: st.DataObject) -> None:
    case: Any = data.draw(OPERATIONS[label].as_strategy(mode))
    case.call_and_validate(headers=KEYS[key], checks=CHECKS)
