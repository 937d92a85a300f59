"""Serving computes affordability exactly as dbt does: every generated application, every ratio."""

from __future__ import annotations

import math

import pytest

from credit_risk.database import connect
from credit_risk.finance import application_ratios
from tests.integration.champion import Champion

pytestmark = pytest.mark.integration

QUERY = """
select
    a.application_id,
    a.loan_amount, a.interest_rate, a.tenure_months, a.existing_monthly_debt, a.monthly_rent,
    e.monthly_income, c.collateral_value,
    d.emi, d.dti, d.emi_to_income, d.lti, d.foir, d.ltv, d.residual_income
from staging.stg_raw__applications as a
inner join staging.stg_raw__employment as e using (customer_id)
inner join intermediate.int_applications_affordability_computed as d using (application_id)
left join intermediate.int_collateral_aggregated_to_applications as c using (application_id)
order by a.application_id
"""
RATIOS = ("dti", "emi_to_income", "lti", "foir", "ltv", "residual_income")


def test_every_application_matches_dbt_affordability(champion: Champion) -> None:
    with connect(champion.dsn) as conn:
        cur = conn.execute(QUERY)
        names = [d.name for d in cur.description or ()]
        rows = [dict(zip(names, row, strict=True)) for row in cur]
    assert len(rows) == 3000
    mismatches = []
    for row in rows:
        got = application_ratios(
            loan_amount=row["loan_amount"],
            interest_rate=row["interest_rate"],
            tenure_months=row["tenure_months"],
            monthly_income=row["monthly_income"],
            existing_monthly_debt=row["existing_monthly_debt"],
            monthly_rent=row["monthly_rent"],
            collateral_value=row["collateral_value"],
        )
        if round(got.emi * 100) != round(float(row["emi"]) * 100):
            mismatches.append((row["application_id"], "emi", got.emi, row["emi"]))
        for name in RATIOS:
            mine, theirs = getattr(got, name), row[name]
            if mine is None or theirs is None:
                if mine is not theirs:
                    mismatches.append((row["application_id"], name, mine, theirs))
            elif not math.isclose(mine, float(theirs), rel_tol=1e-9, abs_tol=1e-9):
                mismatches.append((row["application_id"], name, mine, theirs))
    assert not mismatches, f"{len(mismatches)} differences, first: {mismatches[:5]}"
