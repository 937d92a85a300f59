"""A credit bureau report → the contract's bureau features, exactly as the dbt features compute them.

Must agree with dbt's `bureau_report_as_of` macro and the `months_since_last_delinquency`
expression of `application_features`; the parity test compares them on every generated
application. Time-dependent features are computed at the application date, so a report pulled
last month and an application dated today give today's history length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

__all__ = [
    "AVERAGE_MONTH_DAYS",
    "BUREAU_FEATURES",
    "REPORT_FIELDS",
    "age_on",
    "bureau_features",
    "months_between",
]

# dbt's months_between macro: the average month of 365.25 / 12 days.
AVERAGE_MONTH_DAYS = 30.4375
# What a bureau pull returns (the columns of raw.credit_bureau_reports past its keys).
REPORT_FIELDS: tuple[str, ...] = (
    "bureau_score",
    "prior_accounts",
    "open_accounts",
    "total_credit_limit",
    "total_balance",
    "delinquencies",
    "max_dpd",
    "last_delinquency_on",
    "enquiries_last_6m",
    "oldest_account_on",
)
BUREAU_FEATURES: tuple[str, ...] = (
    "is_thin_file",
    "bureau_score",
    "prior_accounts",
    "open_accounts",
    "total_credit_limit",
    "credit_utilization",
    "bureau_delinquencies",
    "bureau_max_dpd",
    "months_since_last_delinquency",
    "enquiries_last_6m",
    "credit_history_months",
)


def months_between(earlier_on: date, later_on: date) -> float:
    """Months from one date to a later one, as dbt's months_between macro counts them."""
    return (later_on - earlier_on).days / AVERAGE_MONTH_DAYS


def _floor_at_zero(value: float | None) -> float | None:
    return None if value is None else (0.0 if value < 0 else value)


def age_on(born_on: date, on: date) -> int:
    """Whole years of age on a date, as PostgreSQL's extract(year from age(on, born_on))."""
    return on.year - born_on.year - ((on.month, on.day) < (born_on.month, born_on.day))


def bureau_features(
    report: Mapping[str, Any] | None,
    applied_on: date,
    internal_last_delinquency_on: date | None = None,
) -> dict[str, Any]:
    """The bureau features of one application from its bureau report (None = no report).

    `internal_last_delinquency_on` is the last delinquency on earlier loans with us: the months
    since the last delinquency count from the later of it and the bureau's.
    """
    is_thin_file = report is None
    report = report or {}
    last_delinquencies = [
        d for d in (report.get("last_delinquency_on"), internal_last_delinquency_on) if d
    ]
    since = (
        _floor_at_zero(months_between(max(last_delinquencies), applied_on))
        if last_delinquencies
        else None
    )
    oldest = report.get("oldest_account_on")
    history = _floor_at_zero(months_between(oldest, applied_on)) if oldest else None
    limit, balance = report.get("total_credit_limit"), report.get("total_balance")
    return {
        "is_thin_file": is_thin_file,
        "bureau_score": report.get("bureau_score"),
        "prior_accounts": report.get("prior_accounts"),
        "open_accounts": report.get("open_accounts"),
        "total_credit_limit": None if limit is None else float(limit),
        "credit_utilization": (
            float(balance) / float(limit) if balance is not None and limit else None
        ),
        "bureau_delinquencies": report.get("delinquencies"),
        "bureau_max_dpd": report.get("max_dpd"),
        "months_since_last_delinquency": since,
        "enquiries_last_6m": report.get("enquiries_last_6m"),
        "credit_history_months": None if history is None else math.floor(history),
    }
