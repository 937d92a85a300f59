"""The request model rejects out-of-range, missing, extra and mistyped fields, naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from serving.features import THIN_FILE, application_row, feature_rows
from serving.schemas import MAX_BATCH, Application, BatchRequest

VALID: dict[str, Any] = {
    "loan_amount": 20_000.0,
    "tenure_months": 36,
    "interest_rate": 12.5,
    "loan_purpose": "auto",
    "monthly_income": 5_000.0,
    "existing_monthly_debt": 400.0,
    "employment_type": "salaried",
    "age_years": 40,
}


def _error_fields(body: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        Application.model_validate_json(json.dumps(body))
    return [(".".join(map(str, e["loc"])), e["type"]) for e in caught.value.errors()]


def test_a_valid_application_parses_with_defaults() -> None:
    app = Application.model_validate(VALID)
    assert app.monthly_rent == 0.0 and app.has_guarantor is False
    assert app.customer_id is None and app.application_id is None


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("loan_amount", 10, "greater_than_equal"),
        ("interest_rate", 99.0, "less_than_equal"),
        ("monthly_income", 0, "greater_than_equal"),
        ("existing_monthly_debt", -1, "greater_than_equal"),
        ("age_years", 17, "greater_than_equal"),
        ("age_years", 101, "less_than_equal"),
        ("tenure_months", 30, "literal_error"),
        ("loan_purpose", "yacht", "literal_error"),
        ("employment_type", "astronaut", "literal_error"),
    ],
)
def test_out_of_range_values_name_the_field(field: str, value: Any, error: str) -> None:
    assert _error_fields({**VALID, field: value}) == [(field, error)]


@pytest.mark.parametrize("field", ["loan_amount", "monthly_income", "age_years", "loan_purpose"])
def test_a_missing_field_is_named(field: str) -> None:
    body = {k: v for k, v in VALID.items() if k != field}
    assert _error_fields(body) == [(field, "missing")]


def test_an_extra_field_is_rejected_not_dropped() -> None:
    assert _error_fields({**VALID, "monthly_incme": 5}) == [("monthly_incme", "extra_forbidden")]


@pytest.mark.parametrize(
    ("field", "value"),
    [("loan_amount", "20000"), ("age_years", 40.5), ("has_guarantor", "true"), ("age_years", "40")],
)
def test_mistyped_values_are_not_coerced(field: str, value: Any) -> None:
    fields = _error_fields({**VALID, field: value})
    assert [f for f, _ in fields] == [field]


def test_errors_do_not_echo_the_submitted_value() -> None:
    with pytest.raises(ValidationError) as caught:
        Application.model_validate({**VALID, "loan_purpose": "secret-purpose-123"})
    errors = caught.value.errors(include_input=False, include_context=False)
    assert "secret-purpose-123" not in repr(errors)


def test_batches_have_a_documented_maximum() -> None:
    BatchRequest.model_validate({"applications": [VALID] * MAX_BATCH})
    with pytest.raises(ValidationError) as caught:
        BatchRequest.model_validate({"applications": [VALID] * (MAX_BATCH + 1)})
    assert caught.value.errors()[0]["loc"] == ("applications",)


def test_derived_features_follow_the_contract_definitions() -> None:
    app = Application.model_validate({**VALID, "years_employed": 10.0, "dependents": 3})
    row = application_row(app)
    assert row["employment_stability"] == pytest.approx(10.0 / 40)
    assert row["income_per_dependent"] == pytest.approx(5_000.0 / 4)
    assert row["has_collateral"] is False and row["ltv"] is None
    assert row["dti"] == pytest.approx((400.0 + row["emi"]) / 5_000.0)


def test_an_unknown_customer_is_a_thin_file_with_no_history() -> None:
    app = Application.model_validate({**VALID, "customer_id": 42})
    (row,) = feature_rows([app], customers={})
    assert row["is_thin_file"] is True and row["bureau_score"] is None
    assert row["prior_loans"] == 0 and row["has_prior_default"] is False
    assert {k: row[k] for k in THIN_FILE} == THIN_FILE
