"""The request model rejects out-of-range, missing, extra and mistyped fields, naming the field."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from serving.request_features import NO_HISTORY, THIN_FILE, application_row, feature_rows
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


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("customer_id", 2**63, "less_than_equal"),  # would stop the bigint decision log
        ("application_id", "web-1\x00", "string_pattern_mismatch"),
        ("application_id", "line\nbreak", "string_pattern_mismatch"),
    ],
)
def test_what_the_decision_log_cannot_store_is_refused_at_the_door(
    field: str, value: Any, error: str
) -> None:
    assert _error_fields({**VALID, field: value}) == [(field, error)]
    Application.model_validate({**VALID, "customer_id": 2**63 - 1, "application_id": "wéb 1"})


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
    (built,) = feature_rows([app], customers={})
    row = built.values
    assert row["is_thin_file"] is True and row["bureau_score"] is None
    assert row["prior_loans"] == 0 and row["has_prior_default"] is False
    assert {k: row[k] for k in THIN_FILE} == THIN_FILE
    assert built.sources == {"bureau": "none", "history": "none"}


REPORT: dict[str, Any] = {
    "pulled_on": "2025-03-20",
    "bureau_score": 712,
    "prior_accounts": 6,
    "open_accounts": 3,
    "total_credit_limit": 20_000.0,
    "total_balance": 5_000.0,
    "delinquencies": 1,
    "max_dpd": 45,
    "last_delinquency_on": "2024-03-01",
    "enquiries_last_6m": 2,
    "oldest_account_on": "2015-01-01",
}
MART_CUSTOMER: dict[str, Any] = {
    "is_thin_file": False,
    "bureau_pulled_on": date(2024, 1, 5),
    "bureau_score": 640,
    "prior_accounts": 2,
    "open_accounts": 1,
    "total_credit_limit": 4_000.0,
    "bureau_total_balance": 3_000.0,
    "bureau_delinquencies": 0,
    "bureau_max_dpd": 0,
    "bureau_last_delinquency_on": None,
    "enquiries_last_6m": 0,
    "bureau_oldest_account_on": date(2020, 1, 1),
    "last_internal_delinquency_on": date(2024, 9, 1),
    **NO_HISTORY,
    "prior_loans": 2,
}


def test_the_request_bureau_report_gives_the_bureau_features_on_the_application_date() -> None:
    app = Application.model_validate_json(
        json.dumps({**VALID, "applied_on": "2025-04-01", "bureau": REPORT})
    )
    (built,) = feature_rows([app])
    row = built.values
    assert built.sources == {"bureau": "request", "history": "none"}
    assert row["is_thin_file"] is False and row["bureau_score"] == 712
    assert row["credit_utilization"] == pytest.approx(0.25)
    assert row["bureau_delinquencies"] == 1 and row["bureau_max_dpd"] == 45
    assert row["months_since_last_delinquency"] == pytest.approx(396 / 30.4375)
    assert row["credit_history_months"] == 122  # 3743 days / 30.4375 = 122.97, floored


def test_the_request_report_takes_precedence_over_the_customer_mart() -> None:
    with_report = Application.model_validate_json(
        json.dumps({**VALID, "customer_id": 7, "applied_on": "2025-04-01", "bureau": REPORT})
    )
    without = with_report.model_copy(update={"bureau": None})
    built = feature_rows([with_report, without], customers={7: MART_CUSTOMER})
    assert [b.sources for b in built] == [
        {"bureau": "request", "history": "customer_features"},
        {"bureau": "customer_features", "history": "customer_features"},
    ]
    assert built[0].values["bureau_score"] == 712 and built[1].values["bureau_score"] == 640
    assert built[1].values["credit_utilization"] == pytest.approx(0.75)
    assert built[0].values["prior_loans"] == built[1].values["prior_loans"] == 2
    # the later of the bureau's and our own last delinquency, on the application date
    assert built[1].values["months_since_last_delinquency"] == pytest.approx(212 / 30.4375)


def test_age_comes_from_the_date_of_birth_on_the_application_date() -> None:
    body = {k: v for k, v in VALID.items() if k != "age_years"}
    app = Application.model_validate_json(
        json.dumps({**body, "date_of_birth": "1985-04-02", "applied_on": "2025-04-01"})
    )
    assert application_row(app)["age_years"] == 39


@pytest.mark.parametrize(
    ("change", "loc", "error"),
    [
        ({"bureau": {**REPORT, "bureau_score": 950}}, "bureau.bureau_score", "less_than_equal"),
        ({"bureau": {**REPORT, "max_dpd": -1}}, "bureau.max_dpd", "greater_than_equal"),
        ({"bureau": {**REPORT, "total_balance": "5000"}}, "bureau.total_balance", "float_type"),
        ({"bureau": {**REPORT, "open_accounts": 2.5}}, "bureau.open_accounts", "int_type"),
        ({"bureau": {**REPORT, "score": 700}}, "bureau.score", "extra_forbidden"),
        ({"bureau": {**REPORT, "pulled_on": "2025-02-30"}}, "bureau.pulled_on", "date_type"),
        (
            {"bureau": {**REPORT, "oldest_account_on": "2025-06-01"}},
            "bureau.oldest_account_on",
            "value_error",
        ),
        ({"bureau": {**REPORT, "pulled_on": "2025-04-02"}}, "bureau", "value_error"),
        ({"bureau": "712"}, "bureau", "model_type"),
        ({"applied_on": "2999-01-01"}, "applied_on", "value_error"),
        ({"age_years": 30, "date_of_birth": "1985-04-02"}, "age_years", "value_error"),
        ({"age_years": None}, "age_years", "missing"),
        ({"date_of_birth": "2015-01-01", "age_years": None}, "date_of_birth", "value_error"),
    ],
)
def test_bad_bureau_and_date_input_names_the_field(
    change: dict[str, Any], loc: str, error: str
) -> None:
    body = {**VALID, "applied_on": "2025-04-01", **change}
    if body.get("age_years", 0) is None:
        body.pop("age_years")
    errors = _error_fields(body)
    assert [(f, e) for f, e in errors] == [(loc, error)]


def test_a_date_error_says_which_date() -> None:
    body = {**VALID, "applied_on": "2025-04-01", "bureau": {**REPORT, "pulled_on": "2025-04-02"}}
    with pytest.raises(ValidationError) as caught:
        Application.model_validate_json(json.dumps(body))
    assert "pulled_on must not be after applied_on" in caught.value.errors()[0]["msg"]
