"""Schemathesis fuzzes the running service from its own OpenAPI schema: no input gives a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.integration.service import API_KEY

pytestmark = pytest.mark.integration


MAX_EXAMPLES = 25
OPERATIONS = ("/score", "/score_batch", "/explain", "/model_info")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("path", OPERATIONS)
def test_no_input_makes_the_service_fail(
    server: dict[str, Any], path: str, mode: GenerationMode
) -> None:
    """Valid inputs (positive) and schema-violating ones (negative) get a 200 or a 400."""
    schema = schemathesis.openapi.from_url(f"{server['base']}/docs.json")
    operation = schema[path]["POST"]
    headers = {"Authorization": f"Bearer {API_KEY}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(case: Any) -> None:
        response = case.call(headers=headers, timeout=30)
        assert response.status_code in (200, 400), (case.body, response.text[:500])

    fuzz()
