"""The application form's fields, the request body they make, and the API's own validation.

The form checks a body with the service's request model (serving.schemas.Application) before it
calls the service, so an officer sees the same field errors a client of the API gets, at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from credit_risk import contract
from serving.schemas import Application

__all__ = [
    "APPLICANT",
    "BUREAU",
    "LABELS",
    "WHAT_IF_FIELDS",
    "FormField",
    "check",
    "label",
    "request_body",
]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    default: float | int | str | None
    options: tuple[Any, ...] = ()
    whole: bool = False  # whole numbers (ages, counts)
    optional: bool = False  # may be left empty


APPLICANT: tuple[FormField, ...] = (
    FormField("loan_amount", "Loan amount", 15_000.0),
    FormField("tenure_months", "Tenure (months)", 36, options=(12, 24, 36, 48, 60)),
    FormField("interest_rate", "Interest rate (% a year)", 12.0),
    FormField("loan_purpose", "Purpose", "personal", options=tuple(contract.LOAN_PURPOSES)),
    FormField("monthly_income", "Monthly income", 4_500.0),
    FormField("existing_monthly_debt", "Existing monthly debt payments", 400.0),
    FormField("monthly_rent", "Monthly rent", 0.0),
    FormField(
        "employment_type", "Employment", "salaried", options=tuple(contract.EMPLOYMENT_TYPES)
    ),
    FormField("years_employed", "Years with the current employer", 4.0, optional=True),
    FormField("age_years", "Age (years)", 35, whole=True),
    FormField("dependents", "Dependents", 1, whole=True, optional=True),
    FormField("collateral_value", "Collateral value (empty: none)", None, optional=True),
)
BUREAU: tuple[FormField, ...] = (
    FormField("bureau_score", "Bureau score", 690, whole=True, optional=True),
    FormField("open_accounts", "Open accounts", 3, whole=True, optional=True),
    FormField("total_credit_limit", "Total credit limit", 20_000.0, optional=True),
    FormField("total_balance", "Total balance", 6_000.0, optional=True),
    FormField("delinquencies", "Delinquencies", 0, whole=True, optional=True),
    FormField("enquiries_last_6m", "Enquiries in the last 6 months", 1, whole=True, optional=True),
)
# What-if changes these and keeps everything else.
WHAT_IF_FIELDS = ("monthly_income", "loan_amount", "tenure_months", "existing_monthly_debt")
LABELS = {f.name: f.label for f in (*APPLICANT, *BUREAU)} | {"bureau": "Bureau report"}


def _value(field: FormField, raw: Any) -> Any:
    if raw is None or raw == "":
        return None
    if field.options:
        return raw
    return int(raw) if field.whole else float(raw)


def request_body(
    applicant: dict[str, Any], bureau: dict[str, Any] | None = None, pulled_on: str | None = None
) -> dict[str, Any]:
    """The /score body from the form's values; empty optional fields are left out."""
    body = {
        f.name: value
        for f in APPLICANT
        if (value := _value(f, applicant.get(f.name))) is not None or not f.optional
    }
    if bureau is not None:
        report = {
            f.name: value for f in BUREAU if (value := _value(f, bureau.get(f.name))) is not None
        }
        if pulled_on:
            report["pulled_on"] = pulled_on
        body["bureau"] = report
    return body


def check(body: dict[str, Any]) -> dict[str, str]:
    """field → problem, as the service would answer them (empty when the body is valid)."""
    try:
        Application.model_validate(body)
    except ValidationError as exc:
        return {
            ".".join(str(part) for part in error["loc"]) or "request": error["msg"]
            for error in exc.errors()
        }
    return {}


def label(field_path: str) -> str:
    """'bureau.bureau_score' → 'Bureau report: Bureau score'."""
    parts = field_path.split(".")
    return ": ".join(LABELS.get(part, part.replace("_", " ")) for part in parts)
