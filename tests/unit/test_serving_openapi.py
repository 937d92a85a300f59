"""The completed OpenAPI schema: every error with its body, nullable where a field may be null."""

from __future__ import annotations

from typing import Any

from serving.openapi import ERROR_RESPONSES, complete


def _spec() -> dict[str, Any]:
    return {
        "paths": {
            "/score": {"post": {"responses": {"200": {"description": "ok"}}}},
            "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
        "components": {
            "schemas": {
                "ScoreResponseIODescriptor": {
                    "title": "ScoreResponseIODescriptor",
                    "properties": {
                        "bureau_score": {"type": "integer"},
                        "credit_score": {"type": "integer"},
                    },
                },
                "Application": {
                    "title": "Application",
                    "properties": {"bureau": {"$ref": "#/components/schemas/BureauReport"}},
                },
            }
        },
    }


def test_api_routes_document_every_error_and_health_routes_are_left_alone() -> None:
    spec = complete(_spec())
    score = spec["paths"]["/score"]["post"]["responses"]
    assert {str(status) for status in ERROR_RESPONSES} <= set(score)
    assert score["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    assert "Retry-After" in score["503"]["headers"]
    assert set(spec["paths"]["/healthz"]["get"]["responses"]) == {"200"}
    assert {"Error", "ValidationError"} <= set(spec["components"]["schemas"])


def test_fields_that_may_be_null_are_nullable_and_the_others_are_not() -> None:
    schemas = complete(_spec())["components"]["schemas"]
    response = schemas["ScoreResponseIODescriptor"]["properties"]
    assert response["bureau_score"]["nullable"] is True
    assert "nullable" not in response["credit_score"]
    bureau = schemas["Application"]["properties"]["bureau"]
    assert bureau == {"allOf": [{"$ref": "#/components/schemas/BureauReport"}], "nullable": True}
