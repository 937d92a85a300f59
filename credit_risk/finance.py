"""Loan arithmetic shared by the generator, serving and the parity test against dbt."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def emi(
    principal: FloatArray | float,
    annual_rate_pct: FloatArray | float,
    tenure_months: FloatArray | float,
) -> FloatArray:
    """Equated monthly instalment: P·r·(1+r)^n / ((1+r)^n − 1), r the monthly rate."""
    p = np.asarray(principal, dtype=np.float64)
    r = np.asarray(annual_rate_pct, dtype=np.float64) / 1200.0
    n = np.asarray(tenure_months, dtype=np.float64)
    growth = np.power(1.0 + r, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        amortising = p * r * growth / (growth - 1.0)
    return np.where(r == 0, p / n, amortising)


def outstanding_after(
    principal: FloatArray,
    annual_rate_pct: FloatArray,
    installment: FloatArray,
    payments_made: FloatArray,
) -> FloatArray:
    """Principal still owed after k scheduled payments."""
    r = np.asarray(annual_rate_pct, dtype=np.float64) / 1200.0
    growth = np.power(1.0 + r, payments_made)
    with np.errstate(divide="ignore", invalid="ignore"):
        balance = principal * growth - installment * (growth - 1.0) / r
    balance = np.where(r == 0, principal - installment * payments_made, balance)
    return np.maximum(balance, 0.0)


@dataclass(frozen=True)
class ApplicationRatios:
    emi: float
    dti: float
    emi_to_income: float
    lti: float
    foir: float
    ltv: float | None
    residual_income: float


def application_ratios(
    *,
    loan_amount: float,
    interest_rate: float,
    tenure_months: int,
    monthly_income: float,
    existing_monthly_debt: float,
    monthly_rent: float = 0.0,
    collateral_value: float | None = None,
) -> ApplicationRatios:
    """EMI, DTI, LTI, LTV and FOIR of one application, exactly as the dbt feature model does."""
    instalment = round(float(emi(loan_amount, interest_rate, tenure_months)), 2)
    obligations = existing_monthly_debt + instalment
    ltv = loan_amount / collateral_value if collateral_value else None
    return ApplicationRatios(
        emi=instalment,
        dti=obligations / monthly_income,
        emi_to_income=instalment / monthly_income,
        lti=loan_amount / (12.0 * monthly_income),
        foir=(obligations + monthly_rent) / monthly_income,
        ltv=ltv,
        residual_income=monthly_income - obligations - monthly_rent,
    )
