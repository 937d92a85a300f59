"""Applications, lender decisions, loans and the causal default process.

Default is caused by interpretable drivers (DTI, LTI, utilization, past delinquencies, income
and employment stability) plus the customer's unseen credit behaviour and noise. The intercept is
calibrated on the baseline drivers, so a recession, which worsens the drivers, raises defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from credit_risk.contract import LOAN_PURPOSES, TENURES_MONTHS
from credit_risk.finance import emi
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.population import BureauDraws, Customers, draw_bureau

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

CHANNELS = ("branch", "online", "agent", "partner")
PURPOSE_P = [0.12, 0.18, 0.08, 0.3, 0.1, 0.05, 0.17]
# Typical loan-to-annual-income per purpose, in the order of LOAN_PURPOSES.
PURPOSE_LTI = np.array([2.6, 0.6, 0.5, 0.3, 0.9, 0.22, 0.45])
PURPOSE_RATE_PREMIUM = np.array([-2.5, -1.0, -0.5, 2.0, 1.0, 1.5, 1.0])
PURPOSE_COLLATERAL_P = np.array([0.95, 0.9, 0.1, 0.08, 0.5, 0.05, 0.1])
COLLATERAL_TYPES = ("property", "vehicle", "deposit", "gold", "equipment")
PURPOSE_COLLATERAL_TYPE = np.array([0, 1, 2, 3, 4, 3, 2])
TENURE_P = {
    "home": [0.0, 0.0, 0.1, 0.3, 0.6],
    "auto": [0.1, 0.3, 0.4, 0.15, 0.05],
    "other": [0.25, 0.35, 0.25, 0.1, 0.05],
}
EMPLOYMENT_RISK = np.array([0.0, 0.3, 0.2, 0.4, 0.15])  # in the order of EMPLOYMENT_TYPES
GUARANTOR_RELATIONSHIPS = ("spouse", "parent", "sibling", "friend", "business_partner")


@dataclass
class Applications:
    """One element per application, sorted by application date (application_id = index + 1)."""

    customer_index: IntArray
    applied_day: IntArray  # days since config.start_on
    age: Array
    purpose: IntArray
    loan_amount: Array
    tenure: IntArray
    interest_rate: Array
    emi: Array
    existing_debt: Array
    rent: Array
    channel: IntArray
    has_collateral: BoolArray
    collateral_type: IntArray
    collateral_value: Array
    has_guarantor: BoolArray
    guarantor_relationship: IntArray
    guarantor_income: Array
    bureau: BureauDraws
    has_bureau_file: BoolArray
    status: IntArray  # 0 approved, 1 rejected, 2 pending
    decided_after_days: IntArray
    default_probability: Array
    defaults_within_year: BoolArray
    first_missed_installment: IntArray  # 0 when the loan never misses
    late_payment_propensity: Array
    originated_after_days: IntArray
    intercept: float

    @property
    def is_approved(self) -> BoolArray:
        return np.asarray(self.status == 0, dtype=bool)


STATUSES = ("approved", "rejected", "pending")


def _sigmoid(x: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-x))


def draw_applications(
    config: GeneratorConfig,
    rng: np.random.Generator,
    customers: Customers,
    intercept: float | None = None,
) -> Applications:
    """Draw applications over the window, decide them and simulate defaults.

    Without an intercept, it is calibrated so the approved book meets the target bad rate.
    """
    n = config.applications
    window_days = int(
        (np.datetime64(config.snapshot_on) - np.datetime64(config.start_on)).astype(int)
    )
    customer_index = rng.integers(0, customers.count, n)
    # Mild volume growth: later months see more applications.
    applied_day = np.floor(rng.random(n) ** 0.85 * window_days).astype(np.int64)
    order = np.lexsort((customer_index, applied_day))
    customer_index, applied_day = customer_index[order], applied_day[order]

    age = customers.age_at_start[customer_index] + applied_day / 365.25
    income = customers.monthly_income[customer_index]
    behaviour = customers.credit_behaviour[customer_index]
    thin = customers.is_thin_file[customer_index]
    employment_type = customers.employment_type[customer_index]
    years_employed = customers.years_employed_at_start[customer_index] + applied_day / 365.25

    purpose = rng.choice(len(LOAN_PURPOSES), size=n, p=PURPOSE_P)
    lti_draw = np.exp(np.log(PURPOSE_LTI[purpose]) + rng.normal(0.0, 0.5, n))
    needed_income = customers.pre_shock_income[customer_index]
    loan_amount = np.clip(np.round(lti_draw * 12.0 * needed_income, -2), 500.0, 10_000_000.0)
    tenure_u = rng.random(n)
    existing_u = rng.random(n)
    existing_share = rng.beta(2.0, 7.0, n) * 0.8
    rent_share = rng.uniform(0.08, 0.25, n)
    rate_noise = rng.normal(0.0, 0.8, n)
    channel = rng.choice(len(CHANNELS), size=n, p=[0.35, 0.4, 0.15, 0.1])
    collateral_u = rng.random(n)
    collateral_ltv = rng.uniform(0.45, 0.95, n)
    guarantor_u = rng.random(n)
    guarantor_relationship = rng.choice(len(GUARANTOR_RELATIONSHIPS), size=n)
    guarantor_income = np.round(income * np.exp(rng.normal(0.0, 0.4, n)), 2)
    bureau = draw_bureau(config, rng, behaviour, age)
    reject_u = rng.random(n)
    pending_u = rng.random(n)
    decided_after = rng.integers(0, 8, n)
    originated_after = rng.integers(1, 15, n)
    idiosyncratic = rng.normal(0.0, 0.35, n)
    default_u = rng.random(n)
    late_default_u = rng.random(n)
    early_k = rng.integers(1, 9, n)  # 90 DPD reached within 12 months of disbursement
    late_k_u = rng.random(n)

    tenure_p = np.array([TENURE_P["other"]] * n)
    tenure_p[purpose == LOAN_PURPOSES.index("home")] = TENURE_P["home"]
    tenure_p[purpose == LOAN_PURPOSES.index("auto")] = TENURE_P["auto"]
    tenure_index = (tenure_u[:, None] > np.cumsum(tenure_p, axis=1)).sum(axis=1)
    tenure = np.array(TENURES_MONTHS)[np.minimum(tenure_index, len(TENURES_MONTHS) - 1)]

    has_existing = existing_u < np.where(thin, 0.2, 0.6)
    existing_debt = np.round(income * existing_share * has_existing, 2)
    rent = np.round(income * rent_share * (customers.residence[customer_index] == 1), 2)

    rate = (
        10.5
        + (700.0 - np.where(thin, 640.0, bureau.score)) / 25.0
        + PURPOSE_RATE_PREMIUM[purpose]
        + 1.5 * thin
        + rate_noise
    )
    if config.scenario == "recession":
        rate += 2.5
        existing_debt = np.round(existing_debt * 1.3, 2)
    rate = np.round(np.clip(rate, 5.0, 30.0), 2)
    instalment = np.round(emi(loan_amount, rate, tenure), 2)

    has_collateral = collateral_u < PURPOSE_COLLATERAL_P[purpose]
    collateral_value = np.round(loan_amount / collateral_ltv, -2)
    has_guarantor = guarantor_u < np.where(thin, 0.35, 0.15)

    dti = (existing_debt + instalment) / income
    lti = loan_amount / (12.0 * income)
    status = np.zeros(n, dtype=np.int64)
    policy_reject = (dti > 0.8) | (lti > 8.0) | (~thin & (bureau.score < 480)) | (reject_u < 0.08)
    status[policy_reject] = 1
    status[(applied_day > window_days - 21) & (pending_u < 0.85)] = 2

    def risk_drivers(dti_: Array, lti_: Array, util_: Array, income_: Array, rate_: Array) -> Array:
        stability = np.nan_to_num(np.minimum(years_employed, 20.0), nan=2.0)
        return np.asarray(
            5.5 * dti_
            + 0.7 * np.log(lti_ + 0.05)
            + 3.0 * util_
            + 0.55 * np.minimum(bureau.delinquencies, 6)
            + 0.55 * behaviour
            - 0.06 * stability
            - 0.55 * np.log(income_ / 4000.0)
            + 0.5 * thin
            + 0.07 * (rate_ - 12.0)
            + 0.08 * np.minimum(bureau.enquiries_6m, 10)
            + EMPLOYMENT_RISK[employment_type]
            - 0.3 * has_collateral
            + idiosyncratic,
            dtype=np.float64,
        )

    drivers = risk_drivers(dti, lti, bureau.utilization, income, rate)
    if intercept is None:
        intercept = _calibrate_intercept(drivers[status == 0], config.bad_rate)
    macro_shock = 0.35 if config.scenario == "recession" else 0.0
    pd_ = _sigmoid(intercept + drivers + macro_shock)

    defaults = default_u < pd_
    late_defaults = ~defaults & (late_default_u < 0.25 * pd_)
    late_k = 10 + np.floor(late_k_u * np.maximum(tenure - 9, 1)).astype(np.int64)
    first_missed = np.where(defaults, early_k, np.where(late_defaults, late_k, 0))

    return Applications(
        customer_index=customer_index,
        applied_day=applied_day,
        age=age,
        purpose=purpose,
        loan_amount=loan_amount,
        tenure=tenure.astype(np.int64),
        interest_rate=rate,
        emi=instalment,
        existing_debt=existing_debt,
        rent=rent,
        channel=channel,
        has_collateral=has_collateral,
        collateral_type=PURPOSE_COLLATERAL_TYPE[purpose],
        collateral_value=collateral_value,
        has_guarantor=has_guarantor,
        guarantor_relationship=guarantor_relationship,
        guarantor_income=guarantor_income,
        bureau=bureau,
        has_bureau_file=~thin,
        status=status,
        decided_after_days=decided_after,
        default_probability=pd_,
        defaults_within_year=defaults,
        first_missed_installment=first_missed.astype(np.int64),
        late_payment_propensity=0.02 + 0.5 * pd_,
        originated_after_days=originated_after,
        intercept=intercept,
    )


def _calibrate_intercept(drivers: Array, bad_rate: float) -> float:
    """The intercept whose mean default probability over the approved book is the target."""
    low, high = -30.0, 30.0
    for _ in range(60):
        mid = (low + high) / 2.0
        if _sigmoid(mid + drivers).mean() > bad_rate:
            high = mid
        else:
            low = mid
    return (low + high) / 2.0
