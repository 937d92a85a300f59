"""Request and response models of the scoring service: strict, bounded and documented.

Strict models reject what a lax parser would guess at ("1.5" for a number, "true" for a flag),
and `extra="forbid"` rejects a misspelt field instead of silently dropping it. Bounds come from
the feature contract, so the service accepts exactly what the model was trained to see.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from credit_risk import contract
from credit_risk.bureau import age_on

__all__ = [
    "MAX_BATCH",
    "Application",
    "BatchRequest",
    "BatchResponse",
    "BureauReport",
    "Contribution",
    "Decided",
    "Explanation",
    "FeatureSources",
    "KeyFactors",
    "ModelInfo",
    "Reason",
    "ScoreResponse",
    "VersionInfo",
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


def _iso_date(value: Any) -> Any:
    """JSON carries dates as 'YYYY-MM-DD' strings, which strict mode would otherwise refuse."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value  # left for the date check to reject, naming the field
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def latest_accepted_date() -> date:
    """Dates may not be in the future; one day of slack for clients ahead of UTC."""
    return datetime.now(UTC).date() + timedelta(days=1)


def _not_after(value: date | None, limit: date | None, what: str) -> None:
    if value is not None and limit is not None and value > limit:
        raise ValueError(f"must not be after {what} ({limit.isoformat()})")


class BureauReport(_Strict):
    """What the lender's credit bureau pull returned, as raw.credit_bureau_reports holds it.

    Send the latest report pulled on or before the application date. Omit the object when the
    applicant has no bureau file (a thin file); omit a field the report does not carry.
    """

    pulled_on: IsoDate | None = Field(
        default=None, description="When the report was pulled; not after applied_on."
    )
    bureau_score: int | None = Field(
        default=None, ge=300, le=900, description="The bureau's score, 300-900."
    )
    prior_accounts: int | None = Field(
        default=None, ge=0, le=200, description="Credit accounts ever held."
    )
    open_accounts: int | None = Field(
        default=None, ge=0, le=200, description="Credit accounts open now."
    )
    total_credit_limit: float | None = Field(
        default=None, ge=0, le=100_000_000, description="Sum of limits on open accounts."
    )
    total_balance: float | None = Field(
        default=None, ge=0, le=150_000_000, description="Sum of balances on open accounts."
    )
    delinquencies: int | None = Field(
        default=None, ge=0, le=100, description="Accounts ever 30+ days past due."
    )
    max_dpd: int | None = Field(
        default=None, ge=0, le=1000, description="Worst days past due on any account."
    )
    last_delinquency_on: IsoDate | None = Field(
        default=None, description="When an account last became 30+ days past due, if ever."
    )
    enquiries_last_6m: int | None = Field(
        default=None, ge=0, le=100, description="Credit enquiries in the six months before."
    )
    oldest_account_on: IsoDate | None = Field(
        default=None, description="Opening date of the oldest account."
    )

    @field_validator("last_delinquency_on", "oldest_account_on")
    @classmethod
    def _not_after_the_pull(cls, value: date | None, info: ValidationInfo) -> date | None:
        _not_after(value, info.data.get("pulled_on"), "pulled_on")
        return value


class Application(_Strict):
    """One loan application as known on the application date."""

    application_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Caller's id, echoed in the response and kept in the decision log; a UUID "
        "is generated when absent. No control characters.",
    )
    customer_id: int | None = Field(
        default=None,
        ge=1,
        le=2**63 - 1,
        description="Existing customer: repayment history with us (and the bureau report, when "
        "the request carries none) is looked up by this id in marts.customer_features, as of "
        "its last build. Absent or unknown: no history with us.",
    )
    applied_on: IsoDate | None = Field(
        default=None,
        description="The application date (YYYY-MM-DD); default today. Age, length of credit "
        "history and months since the last delinquency are computed on this day.",
    )
    bureau: BureauReport | None = Field(
        default=None,
        description="The credit bureau report pulled for this application. Absent: the customer "
        "mart's latest report for customer_id, else a thin file.",
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
    date_of_birth: IsoDate | None = Field(
        default=None, description="Applicant's date of birth; gives the age on applied_on."
    )
    age_years: int | None = Field(
        default=None,
        validate_default=True,
        ge=18,
        le=100,
        description="Applicant age in whole years on applied_on; send it or date_of_birth.",
    )
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

    @field_validator("applied_on")
    @classmethod
    def _not_in_the_future(cls, value: date | None) -> date | None:
        _not_after(value, latest_accepted_date(), "today")
        return value

    @field_validator("bureau")
    @classmethod
    def _pulled_by_the_application(
        cls, value: BureauReport | None, info: ValidationInfo
    ) -> BureauReport | None:
        applied_on = info.data.get("applied_on") or latest_accepted_date()
        for name in ("pulled_on", "last_delinquency_on", "oldest_account_on"):
            if value is not None and (day := getattr(value, name)) and day > applied_on:
                raise ValueError(f"{name} must not be after applied_on ({applied_on})")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _adult_on_the_application_date(
        cls, value: date | None, info: ValidationInfo
    ) -> date | None:
        if value is not None:
            age = age_on(value, info.data.get("applied_on") or datetime.now(UTC).date())
            if not 18 <= age <= 100:
                raise ValueError(f"gives an age of {age} on applied_on; it must be 18 to 100")
        return value

    @field_validator("age_years")
    @classmethod
    def _one_age(cls, value: int | None, info: ValidationInfo) -> int | None:
        born_on = info.data.get("date_of_birth")
        if born_on is None:
            if value is None and "date_of_birth" not in info.data:
                return value  # date_of_birth itself failed and is reported
            if value is None:
                raise PydanticCustomError("missing", "Field required: send it or date_of_birth")
            return value
        age = age_on(born_on, info.data.get("applied_on") or datetime.now(UTC).date())
        if value is not None and value != age:
            raise ValueError(f"disagrees with date_of_birth (age {age} on applied_on)")
        return value

    def application_date(self) -> date:
        return self.applied_on or datetime.now(UTC).date()

    def age(self) -> int:
        """Whole years on the application date, from date_of_birth when sent."""
        if self.date_of_birth is not None:
            return age_on(self.date_of_birth, self.application_date())
        assert self.age_years is not None  # the validator requires one of them
        return self.age_years


class BatchRequest(_Strict):
    """Several applications scored in one call."""

    applications: list[Application] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"Between 1 and {MAX_BATCH} applications.",
    )


class Reason(BaseModel):
    """One principal adverse-action reason (12 CFR 1002.9): a group of related features that
    puts this application further from approval than the applicants at the cut-off."""

    group: str = Field(description="Reason group of the feature contract, e.g. affordability.")
    feature: str = Field(description="The group's feature that weighed most.")
    value: float | str | bool | None = Field(description="That feature's value for this applicant.")
    impact: float = Field(
        description="The group's log-odds contribution above the cut-off reference; positive."
    )
    text: str = Field(description="The reason in plain words: the statement, then the detail.")


class FeatureSources(BaseModel):
    """Where the bureau and history features of a decision came from."""

    bureau: Literal["request", "customer_features", "none"] = Field(
        description="request: the request's bureau report; customer_features: the customer "
        "mart's latest report; none: a thin file."
    )
    history: Literal["customer_features", "none"] = Field(
        description="customer_features: repayment history with us from the customer mart; "
        "none: no customer_id or an unknown one (a first-time applicant)."
    )


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


class Decided(BaseModel):
    """What every decision says, whichever model made it."""

    decision_id: str = Field(
        description="Unique id of this decision, as stored in the decision log: quote it in "
        "an adverse-action notice or a dispute."
    )
    application_id: str = Field(description="The caller's id, or the generated one.")
    probability: float = Field(ge=0, le=1, description="Calibrated probability of default.")
    credit_score: int = Field(ge=300, le=850, description="300-850, higher is safer.")
    risk_band: str = Field(description="very_low, low, medium, high or very_high.")
    decision: Decision = Field(description="reject when probability ≥ threshold.")
    threshold: float = Field(description="The champion's cost-optimal probability cut-off.")
    model_version: int = Field(description="Registered model version that scored this.")
    reasons: Annotated[list[Reason], Field(max_length=4)] = Field(
        description="The principal reasons, largest first: one to four on every rejection, "
        "measured against the applicants at the cut-off; may be empty on an approval."
    )


class ScoreResponse(Decided):
    bureau_score: int | None = Field(
        description="The credit bureau score used in this decision, if any (FCRA 615)."
    )
    feature_sources: FeatureSources
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


class VersionInfo(BaseModel):
    """Which version is serving, whichever model it is."""

    name: str = Field(description="Registered model name.")
    version: int = Field(description="Version holding the champion alias.")
    candidate: str = Field(description="Which candidate algorithm it is.")
    run_id: str
    created_at: datetime | None = Field(description="When the version was registered.")
    threshold: float
    score_scaling: dict[str, float]
    metrics: dict[str, float] = Field(description="The training run's metrics (test_auc, ...).")


class ModelInfo(VersionInfo):
    features: list[str]
    loaded_at: datetime = Field(description="When this service loaded the version.")
