"""The feature contract: every model feature with its type, bounds, monotone direction and use.

Training, serving, validation (Great Expectations), monitoring and the dbt model contract of
`application_features` all read this list; nothing else re-types it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DType = Literal["float", "int", "bool", "category"]
Source = Literal["application", "bureau", "history", "protected"]
Unit = Literal["ratio", "percent", "money", "count", "months", "years", "days", "flag", "score", ""]

LOAN_PURPOSES = (
    "home",
    "auto",
    "education",
    "personal",
    "business",
    "medical",
    "debt_consolidation",
)
EMPLOYMENT_TYPES = ("salaried", "self_employed", "business_owner", "contract", "retired")
TENURES_MONTHS = (12, 24, 36, 48, 60)
GENDERS = ("female", "male", "other")
AGE_BANDS = ("18-25", "26-35", "36-45", "46-55", "56+")

# PostgreSQL types of the dbt model contract, per contract dtype.
SQL_TYPES: dict[DType, str] = {
    "float": "double precision",
    "int": "integer",
    "bool": "boolean",
    "category": "text",
}


@dataclass(frozen=True)
class Feature:
    name: str
    dtype: DType
    source: Source
    label: str
    description: str
    unit: Unit = ""
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    # +1: a higher value never lowers risk; -1: never raises it; 0: no constraint.
    monotone: Literal[-1, 0, 1] = 0
    for_training: bool = True
    categories: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.dtype]


def _f(
    name: str, dtype: DType, source: Source, label: str, description: str, **kw: object
) -> Feature:
    return Feature(name, dtype, source, label, description, **kw)  # type: ignore[arg-type]


FEATURES: tuple[Feature, ...] = (
    # What the lender knows from the application itself.
    _f(
        "loan_amount",
        "float",
        "application",
        "Loan amount",
        "Requested principal.",
        unit="money",
        minimum=500,
        maximum=10_000_000,
    ),
    _f(
        "tenure_months",
        "int",
        "application",
        "Loan tenure",
        "Repayment term in months.",
        unit="months",
        minimum=12,
        maximum=60,
    ),
    _f(
        "interest_rate",
        "float",
        "application",
        "Interest rate",
        "Annual interest rate in percent.",
        unit="percent",
        minimum=1,
        maximum=40,
        monotone=1,
    ),
    _f(
        "emi",
        "float",
        "application",
        "Monthly instalment (EMI)",
        "Equated monthly instalment of the new loan.",
        unit="money",
        minimum=0,
        maximum=1_000_000,
    ),
    _f(
        "monthly_income",
        "float",
        "application",
        "Monthly income",
        "Stated gross monthly income.",
        unit="money",
        minimum=1,
        maximum=10_000_000,
        monotone=-1,
    ),
    _f(
        "existing_monthly_debt",
        "float",
        "application",
        "Existing monthly debt payments",
        "Monthly payments on existing debts.",
        unit="money",
        minimum=0,
        maximum=10_000_000,
        monotone=1,
    ),
    _f(
        "monthly_rent",
        "float",
        "application",
        "Monthly rent",
        "Monthly housing rent.",
        unit="money",
        minimum=0,
        maximum=10_000_000,
    ),
    _f(
        "dti",
        "float",
        "application",
        "Debt-to-income ratio",
        "(Existing monthly debt + new EMI) / monthly income.",
        unit="ratio",
        minimum=0,
        maximum=50,
        monotone=1,
    ),
    _f(
        "emi_to_income",
        "float",
        "application",
        "Instalment-to-income ratio",
        "New EMI / monthly income.",
        unit="ratio",
        minimum=0,
        maximum=50,
        monotone=1,
    ),
    _f(
        "lti",
        "float",
        "application",
        "Loan-to-income ratio",
        "Loan amount / annual income.",
        unit="ratio",
        minimum=0,
        maximum=1000,
        monotone=1,
    ),
    _f(
        "foir",
        "float",
        "application",
        "Fixed obligations-to-income ratio",
        "(Existing debt + new EMI + rent) / monthly income.",
        unit="ratio",
        minimum=0,
        maximum=50,
        monotone=1,
    ),
    _f(
        "ltv",
        "float",
        "application",
        "Loan-to-value ratio",
        "Loan amount / collateral value.",
        unit="ratio",
        minimum=0,
        maximum=100,
        nullable=True,
        monotone=1,
    ),
    _f(
        "collateral_value",
        "float",
        "application",
        "Collateral value",
        "Market value of pledged collateral.",
        unit="money",
        minimum=0,
        maximum=100_000_000,
        nullable=True,
    ),
    _f(
        "has_collateral",
        "bool",
        "application",
        "Collateral pledged",
        "Collateral was pledged.",
        unit="flag",
    ),
    _f(
        "has_guarantor",
        "bool",
        "application",
        "Guarantor",
        "A guarantor backs the loan.",
        unit="flag",
    ),
    _f(
        "residual_income",
        "float",
        "application",
        "Income left after obligations",
        "Monthly income minus existing debt, new EMI and rent.",
        unit="money",
        minimum=-10_000_000,
        maximum=10_000_000,
        monotone=-1,
    ),
    _f(
        "age_years",
        "int",
        "application",
        "Age",
        "Applicant age at application.",
        unit="years",
        minimum=18,
        maximum=100,
    ),
    _f(
        "dependents",
        "int",
        "application",
        "Dependents",
        "Number of dependents.",
        unit="count",
        minimum=0,
        maximum=20,
        nullable=True,
    ),
    _f(
        "years_employed",
        "float",
        "application",
        "Years employed",
        "Years with the current employer or business.",
        unit="years",
        minimum=0,
        maximum=70,
        nullable=True,
        monotone=-1,
    ),
    _f(
        "employment_stability",
        "float",
        "application",
        "Employment stability",
        "Years employed / age.",
        unit="ratio",
        minimum=0,
        maximum=1,
        nullable=True,
        monotone=-1,
    ),
    _f(
        "income_per_dependent",
        "float",
        "application",
        "Income per household member",
        "Monthly income / (dependents + 1).",
        unit="money",
        minimum=0,
        maximum=10_000_000,
        nullable=True,
        monotone=-1,
    ),
    _f(
        "employment_type",
        "category",
        "application",
        "Employment type",
        "Kind of employment.",
        categories=EMPLOYMENT_TYPES,
    ),
    _f(
        "loan_purpose",
        "category",
        "application",
        "Loan purpose",
        "Declared purpose of the loan.",
        categories=LOAN_PURPOSES,
    ),
    # Credit bureau, latest report pulled on or before the application date.
    _f(
        "is_thin_file",
        "bool",
        "bureau",
        "Thin credit file",
        "No bureau report exists for the applicant.",
        unit="flag",
    ),
    _f(
        "bureau_score",
        "int",
        "bureau",
        "Bureau score",
        "Bureau risk score (higher is safer).",
        unit="score",
        minimum=300,
        maximum=900,
        nullable=True,
        monotone=-1,
    ),
    _f(
        "prior_accounts",
        "int",
        "bureau",
        "Credit accounts",
        "Credit accounts ever opened.",
        unit="count",
        minimum=0,
        maximum=200,
        nullable=True,
    ),
    _f(
        "open_accounts",
        "int",
        "bureau",
        "Open credit accounts",
        "Credit accounts open now.",
        unit="count",
        minimum=0,
        maximum=200,
        nullable=True,
    ),
    _f(
        "total_credit_limit",
        "float",
        "bureau",
        "Total credit limit",
        "Sum of limits on open revolving accounts.",
        unit="money",
        minimum=0,
        maximum=100_000_000,
        nullable=True,
    ),
    _f(
        "credit_utilization",
        "float",
        "bureau",
        "Credit utilization",
        "Revolving balance / credit limit.",
        unit="ratio",
        minimum=0,
        maximum=1.5,
        nullable=True,
        monotone=1,
    ),
    _f(
        "bureau_delinquencies",
        "int",
        "bureau",
        "Past delinquencies",
        "30+ days-past-due events on bureau accounts.",
        unit="count",
        minimum=0,
        maximum=100,
        nullable=True,
        monotone=1,
    ),
    _f(
        "bureau_max_dpd",
        "int",
        "bureau",
        "Worst bureau days past due",
        "Worst days past due on any bureau account.",
        unit="days",
        minimum=0,
        maximum=1000,
        nullable=True,
        monotone=1,
    ),
    _f(
        "months_since_last_delinquency",
        "float",
        "bureau",
        "Months since last delinquency",
        "Months from the last bureau or internal delinquency to the application.",
        unit="months",
        minimum=0,
        maximum=600,
        nullable=True,
    ),
    _f(
        "enquiries_last_6m",
        "int",
        "bureau",
        "Recent credit enquiries",
        "Credit enquiries in the 6 months before the application.",
        unit="count",
        minimum=0,
        maximum=100,
        nullable=True,
        monotone=1,
    ),
    _f(
        "credit_history_months",
        "int",
        "bureau",
        "Length of credit history",
        "Months since the oldest bureau account was opened.",
        unit="months",
        minimum=0,
        maximum=900,
        nullable=True,
    ),
    # Repayment history with this lender, strictly before the application date.
    _f(
        "prior_loans",
        "int",
        "history",
        "Previous loans",
        "Loans disbursed before the application.",
        unit="count",
        minimum=0,
        maximum=100,
    ),
    _f(
        "prior_installments",
        "int",
        "history",
        "Previous instalments due",
        "Instalments of earlier loans due before the application.",
        unit="count",
        minimum=0,
        maximum=10_000,
    ),
    _f(
        "late_payment_ratio",
        "float",
        "history",
        "Late payment share",
        "Share of earlier instalments paid late, as known on the application date.",
        unit="ratio",
        minimum=0,
        maximum=1,
        nullable=True,
        monotone=1,
    ),
    _f(
        "max_dpd_history",
        "int",
        "history",
        "Worst days past due with us",
        "Worst days past due on earlier loans, as known on the application date.",
        unit="days",
        minimum=0,
        maximum=10_000,
        nullable=True,
        monotone=1,
    ),
    _f(
        "has_prior_default",
        "bool",
        "history",
        "Previous default with us",
        "An earlier loan reached 90+ days past due before the application.",
        unit="flag",
    ),
    _f(
        "prior_applications_12m",
        "int",
        "history",
        "Recent applications",
        "Applications in the 12 months before this one.",
        unit="count",
        minimum=0,
        maximum=100,
    ),
    _f(
        "prior_rejections_12m",
        "int",
        "history",
        "Recent rejections",
        "Rejected applications in the 12 months before this one.",
        unit="count",
        minimum=0,
        maximum=100,
    ),
    # Carried for fairness checks only, never used by a model.
    _f(
        "gender",
        "category",
        "protected",
        "Gender",
        "Self-reported gender.",
        categories=GENDERS,
        for_training=False,
    ),
    _f(
        "age_band",
        "category",
        "protected",
        "Age band",
        "Age band at application.",
        categories=AGE_BANDS,
        for_training=False,
    ),
)

# Identifier and time columns of application_features that are not features.
KEY_COLUMNS: dict[str, str] = {
    "application_id": "bigint",
    "customer_id": "bigint",
    "applied_on": "date",
}

# Shown on every decision, whatever the reason codes say.
KEY_FACTORS: tuple[str, ...] = ("dti", "lti", "emi", "monthly_income")


def by_name() -> dict[str, Feature]:
    return {f.name: f for f in FEATURES}


def training_features() -> list[Feature]:
    return [f for f in FEATURES if f.for_training]


def protected_features() -> list[Feature]:
    return [f for f in FEATURES if f.source == "protected"]


def numeric_features() -> list[Feature]:
    return [f for f in training_features() if f.dtype in ("float", "int", "bool")]


def categorical_features() -> list[Feature]:
    return [f for f in training_features() if f.dtype == "category"]


def monotone_constraints(names: list[str]) -> list[int]:
    """Monotone directions aligned with the given (post-encoding) column names; 0 if unknown."""
    lookup = by_name()
    return [lookup[n].monotone if n in lookup else 0 for n in names]


def age_band(age: int) -> str:
    """The age band used for fairness checks (must agree with the dbt macro)."""
    if age <= 25:
        return "18-25"
    if age <= 35:
        return "26-35"
    if age <= 45:
        return "36-45"
    if age <= 55:
        return "46-55"
    return "56+"
