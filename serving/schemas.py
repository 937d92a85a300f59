"""Request and response models of the scoring service: strict, bounded and documented.

Strict models reject what a lax parser would guess at ("1.5" for a number, "true" for a flag),
and `extra="forbid"` rejects a misspelt field instead of silently dropping it. Bounds come from
the feature contract, so the service accepts exactly what the model was trained to see.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from credit_risk import contract

__all__ = [
    "MAX_BATCH",
    "Application",
    "BatchRequest",
    "BatchResponse",
    "Contribution",
    "Explanation",
    "KeyFactors",
    "ModelInfo",
    "Reason",
    "ScoreResponse",
]

MAX_BATCH = 1000
"""Most applications one score_batch call may carry; larger batches are a 400."""

_F = contract.by_name()

LoanPurpose = Literal[
    "home", "auto", "education", "personal", "business", "medical", "debt_consolidation"
]
EmploymentType = Literal["salaried", "self_employed", "business_owner", "contract", "retired"]
Tenure = Literal[12, 24, 36, 48, 60]
Decision = Literal["approve", "reject"]


def _bound(name: str, which: str) -> float | None:
    value = getattr(_F[name], which)
    return None if value is None else float(value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Application(_Strict):
    """One loan application as known on the application date."""

    application_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Caller's id, echoed in the response; a UUID is generated when absent.",
    )
    customer_id: int | None = Field(
        default=None,
        ge=1,
        description="Existing customer: bureau and repayment history are looked up by this id. "
        "Absent or unknown: scored as a thin file with no history.",
    )
    loan_amount: float = Field(
        ge=_bound("loan_amount", "minimum"),
        le=_bound("loan_amount", "maximum"),
        description="Requested principal.",
    )
    tenure_months: Tenure = Field(description="Repayment term in months.")
    interest_rate: float = Field(
        ge=_bound("interest_rate", "minimum"),
        le=_bound("interest_rate", "maximum"),
        description="Annual interest rate in percent.",
    )
    loan_purpose: LoanPurpose = Field(description="Declared purpose of the loan.")
    monthly_income: float = Field(
        ge=_bound("monthly_income", "minimum"),
        le=_bound("monthly_income", "maximum"),
        description="Gross monthly income.",
    )
    existing_monthly_debt: float = Field(
        ge=0,
        le=_bound("existing_monthly_debt", "maximum"),
        description="Monthly payments on existing debts.",
    )
    monthly_rent: float = Field(
        default=0.0, ge=0, le=_bound("monthly_rent", "maximum"), description="Monthly rent."
    )
    employment_type: EmploymentType = Field(description="Kind of employment.")
    years_employed: float | None = Field(
        default=None,
        ge=0,
        le=_bound("years_employed", "maximum"),
        description="Years with the current employer or business; absent if unknown.",
    )
    age_years: int = Field(ge=18, le=100, description="Applicant age in whole years.")
    dependents: int | None = Field(
        default=None,
        ge=0,
        le=_bound("dependents", "maximum"),
        description="Number of dependents; absent if unknown.",
    )
    collateral_value: float | None = Field(
        default=None,
        ge=1,
        le=_bound("collateral_value", "maximum"),
        description="Market value of pledged collateral; absent if none is pledged.",
    )
    has_guarantor: bool = Field(default=False, description="A guarantor backs the loan.")


class BatchRequest(_Strict):
    """Several applications scored in one call."""

    applications: list[Application] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"Between 1 and {MAX_BATCH} applications.",
    )


class Reason(BaseModel):
    """One adverse-action reason: a factor that pushed this application toward default."""

    feature: str = Field(description="Contract feature name.")
    value: float | str | bool | None = Field(description="The feature's value for this applicant.")
    impact: float = Field(description="SHAP contribution to the log-odds; positive = riskier.")
    text: str = Field(description="The reason in plain words.")


class Contribution(BaseModel):
    feature: str = Field(description="Contract feature name.")
    label: str = Field(description="Plain-words name of the feature.")
    value: float | str | bool | None = Field(description="The feature's value for this applicant.")
    impact: float = Field(description="SHAP contribution to the log-odds; positive = riskier.")


class KeyFactors(BaseModel):
    """Shown on every decision whatever the reasons say."""

    dti: float = Field(description="Debt-to-income ratio including the new instalment.")
    lti: float = Field(description="Loan amount / annual income.")
    emi: float = Field(description="Monthly instalment of the new loan.")
    monthly_income: float = Field(description="Stated gross monthly income.")


class ScoreResponse(BaseModel):
    application_id: str = Field(description="The caller's id, or the generated one.")
    probability: float = Field(ge=0, le=1, description="Calibrated probability of default.")
    credit_score: int = Field(ge=300, le=850, description="300-850, higher is safer.")
    risk_band: str = Field(description="very_low, low, medium, high or very_high.")
    decision: Decision = Field(description="reject when probability ≥ threshold.")
    threshold: float = Field(description="The champion's cost-optimal probability cut-off.")
    model_version: int = Field(description="Registered model version that scored this.")
    reasons: Annotated[list[Reason], Field(max_length=4)] = Field(
        description="Up to four factors that raised the risk most, largest first."
    )
    key_factors: KeyFactors
    scored_at: datetime = Field(description="When the score was computed (UTC).")


class BatchResponse(BaseModel):
    results: list[ScoreResponse] = Field(description="One result per application, in order.")


class Explanation(BaseModel):
    application_id: str
    model_version: int
    probability: float = Field(ge=0, le=1)
    base_value: float = Field(description="The model's average log-odds output.")
    margin: float = Field(description="base_value + sum of impacts: this applicant's log-odds.")
    contributions: list[Contribution] = Field(
        description="Every feature the model uses, by impact, most risk-raising first."
    )


class ModelInfo(BaseModel):
    name: str = Field(description="Registered model name.")
    version: int = Field(description="Version holding the champion alias.")
    candidate: str = Field(description="Which candidate algorithm it is.")
    run_id: str
    created_at: datetime | None = Field(description="When the version was registered.")
    threshold: float
    score_scaling: dict[str, float]
    metrics: dict[str, float] = Field(description="The training run's metrics (test_auc, ...).")
    features: list[str]
    loaded_at: datetime = Field(description="When this service loaded the version.")
