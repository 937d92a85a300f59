"""Scoring requests built from the raw tables, as a lender's client would build them.

Each request carries the application, the applicant's date of birth, employment aged to the
application date, pledged collateral, whether a guarantor signed, and the latest bureau report
pulled on or before the application date. Nothing comes from the dbt models.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from credit_risk.bureau import REPORT_FIELDS
from credit_risk.database import connect

__all__ = ["REQUESTS_QUERY", "client_requests"]

REQUESTS_QUERY = f"""
select
    a.application_id, a.customer_id, a.applied_on,
    a.loan_amount, a.tenure_months, a.interest_rate, a.loan_purpose,
    a.existing_monthly_debt, a.monthly_rent,
    c.date_of_birth, c.dependents,
    e.employment_type, e.monthly_income, e.years_employed, e.recorded_on,
    (select sum(k.market_value) from raw.collateral as k
        where k.application_id = a.application_id) as collateral_value,
    exists (select 1 from raw.guarantors as g
        where g.application_id = a.application_id) as has_guarantor,
    exists (select 1 from raw.applications as earlier
        where earlier.customer_id = a.customer_id
            and earlier.applied_on < a.applied_on) as has_earlier_application,
    b.report_id, b.pulled_on, {", ".join("b." + f for f in REPORT_FIELDS)}
from raw.applications as a
inner join raw.customers as c using (customer_id)
inner join raw.employment as e using (customer_id)
left join lateral (
    select * from raw.credit_bureau_reports as r
    where r.customer_id = a.customer_id and r.pulled_on <= a.applied_on
    order by r.pulled_on desc, r.report_id desc
    limit 1
) as b on true
order by a.application_id
"""


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _request(row: dict[str, Any]) -> dict[str, Any]:
    applied_on: date = row["applied_on"]
    years = None
    if row["years_employed"] is not None:
        aged = float(row["years_employed"]) + (applied_on - row["recorded_on"]).days / 365.25
        years = max(aged, 0.0)
    body: dict[str, Any] = {
        "application_id": str(row["application_id"]),
        "applied_on": applied_on.isoformat(),
        "date_of_birth": row["date_of_birth"].isoformat(),
        "loan_amount": float(row["loan_amount"]),
        "tenure_months": row["tenure_months"],
        "interest_rate": float(row["interest_rate"]),
        "loan_purpose": row["loan_purpose"],
        "monthly_income": float(row["monthly_income"]),
        "existing_monthly_debt": float(row["existing_monthly_debt"]),
        "monthly_rent": float(row["monthly_rent"]),
        "employment_type": row["employment_type"],
        "years_employed": years,
        "dependents": row["dependents"],
        "collateral_value": _number(row["collateral_value"]),
        "has_guarantor": row["has_guarantor"],
    }
    if row["report_id"] is not None:
        report = {"pulled_on": row["pulled_on"].isoformat()}
        for name in REPORT_FIELDS:
            value = row[name]
            if isinstance(value, date):
                value = value.isoformat()
            elif name in ("total_credit_limit", "total_balance"):
                value = _number(value)
            report[name] = value
        body["bureau"] = report
    return {k: v for k, v in body.items() if v is not None}


def client_requests(dsn: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(raw row, request body) for every application in the raw tables, by application_id."""
    with connect(dsn) as conn:
        cur = conn.execute(REQUESTS_QUERY)
        names = [d.name for d in cur.description or ()]
        rows = [dict(zip(names, row, strict=True)) for row in cur]
    return [(row, _request(row)) for row in rows]
