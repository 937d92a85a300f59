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
    # The adverse-action reason group (REASON_GROUPS) this feature speaks for; "" = never a reason.
    reason_group: str = ""
    # Which side of the feature is unfavourable, for reasons: +1 higher (or True) is worse,
    # -1 lower (or False) is worse, 0 no side. Defaults to the monotone direction. A value on the
    # favourable side (collateral pledged, a long history) is never stated as a reason.
    adverse: Literal[-1, 0, 1] | None = None

    @property
    def adverse_side(self) -> int:
        return self.monotone if self.adverse is None else self.adverse

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
        reason_group="loan_terms",
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
        reason_group="loan_terms",
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
        reason_group="loan_terms",
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
        reason_group="affordability",
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
        reason_group="income",
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
        reason_group="affordability",
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
        reason_group="affordability",
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
        reason_group="affordability",
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
        reason_group="affordability",
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
        reason_group="affordability",
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
        reason_group="affordability",
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
        reason_group="security",
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
        reason_group="security",
    ),
    _f(
        "has_collateral",
        "bool",
        "application",
        "Collateral pledged",
        "Collateral was pledged.",
        unit="flag",
        reason_group="security",
        monotone=-1,
    ),
    _f(
        "has_guarantor",
        "bool",
        "application",
        "Guarantor",
        "A guarantor backs the loan.",
        unit="flag",
        reason_group="security",
        monotone=-1,
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
        reason_group="affordability",
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
        # Never less favourable for an older applicant (12 CFR 1002.6(b)(2)): the
        # boosters are constrained so, and age is never a stated reason.
        monotone=-1,
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
        reason_group="income",
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
        reason_group="employment",
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
        # Kept for analysis, never for a model: at the same tenure it falls as age rises, so it
        # would give an older applicant a less favourable value for age (12 CFR 1002.6(b)(2)).
        for_training=False,
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
        reason_group="income",
    ),
    _f(
        "employment_type",
        "category",
        "application",
        "Employment type",
        "Kind of employment.",
        categories=EMPLOYMENT_TYPES,
        reason_group="employment",
    ),
    _f(
        "loan_purpose",
        "category",
        "application",
        "Loan purpose",
        "Declared purpose of the loan.",
        categories=LOAN_PURPOSES,
        reason_group="loan_purpose",
    ),
    # Credit bureau, latest report pulled on or before the application date.
    _f(
        "is_thin_file",
        "bool",
        "bureau",
        "Thin credit file",
        "No bureau report exists for the applicant.",
        unit="flag",
        reason_group="credit_history",
        monotone=1,
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
        reason_group="bureau_score",
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
        reason_group="credit_history",
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
        reason_group="credit_history",
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
        reason_group="utilization",
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
        reason_group="utilization",
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
        reason_group="delinquency",
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
        reason_group="delinquency",
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
        reason_group="delinquency",
        adverse=-1,
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
        reason_group="enquiries",
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
        reason_group="credit_history",
        adverse=-1,
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
        reason_group="history_with_us",
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
        reason_group="history_with_us",
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
        reason_group="history_with_us",
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
        reason_group="history_with_us",
    ),
    _f(
        "has_prior_default",
        "bool",
        "history",
        "Previous default with us",
        "An earlier loan reached 90+ days past due before the application.",
        unit="flag",
        reason_group="history_with_us",
        monotone=1,
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
        reason_group="recent_applications",
        adverse=1,
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
        reason_group="recent_applications",
        adverse=1,
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

# Adverse-action reason groups (12 CFR 1002.9): related features give one principal reason, in
# the words of the statement shown to the applicant. Age and the protected attributes belong to
# no group, so they are never a stated reason.
REASON_GROUPS: dict[str, str] = {
    "affordability": "Obligations too high relative to income",
    "income": "Income insufficient for the amount of credit requested",
    "loan_terms": "Amount or terms of the credit requested",
    "loan_purpose": "Purpose of the loan",
    "security": "Insufficient collateral or guarantee",
    "employment": "Length or type of employment",
    "credit_history": "Limited or no credit history",
    "bureau_score": "Credit bureau score",
    "utilization": "Balances too high relative to credit limits",
    "delinquency": "Delinquent past or present credit obligations",
    "enquiries": "Too many recent credit enquiries",
    "history_with_us": "Limited or unsatisfactory repayment history with us",
    "recent_applications": "Recent applications or rejections with us",
}

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
