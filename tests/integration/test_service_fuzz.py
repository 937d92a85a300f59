"""Schemathesis fuzzes the running service from its own OpenAPI schema: no input gives a 5xx,
and every answer, errors included, is one the schema documents, body and headers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.applications import SAFE
from tests.integration.service import API_KEY

pytestmark = pytest.mark.integration


MAX_EXAMPLES = 25
OPERATIONS = ("/score", "/score_batch", "/explain", "/model_info")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# Content types no route declares, as clients and scanners send them.
UNDECLARED_CONTENT_TYPES = (
    "multipart/form-data; boundary=fuzz",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/xml",
    "application/octet-stream",
    "application/vnd.bentoml+pickle",
    "application/json-patch+json",
    "",
)
ODD_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Accept": st.sampled_from(["application/xml", "text/html", "*/*", "nonsense"]),
        "Accept-Encoding": st.sampled_from(["gzip", "br", "identity;q=0"]),
        "X-Forwarded-For": st.sampled_from(["10.0.0.1", "::1", "not-an-address"]),
        "X-Request-Id": st.text(
            st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=2000
        ),
        "Authorization": st.sampled_from(["Basic Zm9vOmJhcg==", "Bearer", "Bearer  x"]),
    },
)
BODIES = st.one_of(
    st.just(json.dumps(SAFE).encode()),
    st.just(b"--fuzz\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--fuzz--\r\n"),
    st.binary(max_size=512),
)


@pytest.fixture(scope="module")
def schema(server: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_url(f"{server['base']}/docs.json")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("path", OPERATIONS)
def test_every_answer_is_documented_and_none_is_a_server_error(
    schema: Any, path: str, mode: GenerationMode
) -> None:
    """Valid inputs (positive) and schema-violating ones (negative)."""
    operation = schema[path]["POST"]
    headers = {"Authorization": f"Bearer {API_KEY}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ
    def fuzz(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
        assert response.status_code < 500, (case.body, response.text[:500])

    fuzz()


@pytest.mark.parametrize("path", OPERATIONS)
def test_undeclared_content_types_and_odd_headers_get_a_documented_4xx(
    schema: Any, server: dict[str, Any], path: str
) -> None:
    operation = schema[path]["POST"]

    @given(
        content_type=st.sampled_from(UNDECLARED_CONTENT_TYPES),
        body=BODIES,
        extra=ODD_HEADERS,
    )
    @FUZZ
    def fuzz(content_type: str, body: bytes, extra: dict[str, str]) -> None:
        headers = {"Authorization": f"Bearer {API_KEY}", **extra}
        if content_type:
            headers["Content-Type"] = content_type
        response = httpx.post(f"{server['base']}{path}", content=body, headers=headers, timeout=30)
        assert response.status_code < 500, (content_type, extra, response.text[:500])
        if body and "Authorization" not in extra:
            assert response.status_code == 415, (content_type, response.text[:300])
        operation.validate_response(response)

    fuzz()


def test_the_schema_documents_each_error_with_its_body(schema: Any) -> None:
    raw = schema.raw_schema
    for path in OPERATIONS:
        responses = raw["paths"][path]["post"]["responses"]
        for status in ("400", "401", "413", "415", "503"):
            assert "$ref" in responses[status]["content"]["application/json"]["schema"], (
                path,
                status,
            )
        assert "Retry-After" in responses["503"]["headers"]
    score = raw["paths"]["/score"]["post"]["responses"]["200"]["content"]["application/json"]
    assert score["schema"]["properties"]["bureau_score"]["nullable"] is True
