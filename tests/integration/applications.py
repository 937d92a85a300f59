"""Two applications every HTTP test can rely on: one clearly safe, one clearly risky."""

from __future__ import annotations

from typing import Any

SAFE: dict[str, Any] = {
    "loan_amount": 2_000.0,
    "tenure_months": 12,
    "interest_rate": 6.0,
    "loan_purpose": "home",
    "monthly_income": 20_000.0,
    "existing_monthly_debt": 0.0,
    "employment_type": "salaried",
    "years_employed": 15.0,
    "age_years": 45,
    "dependents": 0,
    "collateral_value": 50_000.0,
    "has_guarantor": True,
}
RISKY: dict[str, Any] = {
    "loan_amount": 150_000.0,
    "tenure_months": 60,
    "interest_rate": 32.0,
    "loan_purpose": "personal",
    "monthly_income": 1_500.0,
    "existing_monthly_debt": 1_400.0,
    "monthly_rent": 600.0,
    "employment_type": "contract",
    "years_employed": 0.2,
    "age_years": 21,
    "dependents": 4,
}
