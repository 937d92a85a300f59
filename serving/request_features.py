"""One application request → the model-input row, with the same formulas as the dbt features.

Affordability ratios come from `credit_risk.finance.application_ratios` and the bureau features
from `credit_risk.bureau.bureau_features`, the functions the parity tests hold equal to dbt.
Time-dependent features (age, length of credit history, months since the last delinquency) are
computed on the request's applied_on.

Bureau features, by precedence: the request's `bureau` report; else the latest report in
`marts.customer_features` for a known customer_id; else a thin file. Repayment history with us
comes from `marts.customer_features` (as of its last build) for a known customer, and is empty
(the values dbt gives a first-time applicant) for anyone else. A lookup that fails raises
CustomerLookupError: the service answers 503 rather than score a customer as a stranger.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from credit_risk import contract
from credit_risk.artifact.feature_spec import FeatureSpec
from credit_risk.bureau import bureau_features
from credit_risk.errors import first_line
from credit_risk.finance import application_ratios

if TYPE_CHECKING:
    import psycopg

    from serving.schemas import Application

__all__ = [
    "CUSTOMER_COLUMNS",
    "HISTORY_COLUMNS",
    "NO_HISTORY",
    "THIN_FILE",
    "CustomerFeatures",
    "CustomerLookupError",
    "FeatureRow",
    "application_row",
    "feature_rows",
    "rows_frame",
]

log = logging.getLogger(__name__)

HISTORY_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in contract.training_features() if f.source == "history"
)
# The mart's copy of the latest report, rebuilt into a report for bureau_features.
_MART_REPORT: dict[str, str] = {
    "bureau_pulled_on": "pulled_on",
    "bureau_score": "bureau_score",
    "prior_accounts": "prior_accounts",
    "open_accounts": "open_accounts",
    "total_credit_limit": "total_credit_limit",
    "bureau_total_balance": "total_balance",
    "bureau_delinquencies": "delinquencies",
    "bureau_max_dpd": "max_dpd",
    "bureau_last_delinquency_on": "last_delinquency_on",
    "enquiries_last_6m": "enquiries_last_6m",
    "bureau_oldest_account_on": "oldest_account_on",
}
CUSTOMER_COLUMNS: tuple[str, ...] = (
    "is_thin_file",
    *_MART_REPORT,
    "last_internal_delinquency_on",
    *HISTORY_COLUMNS,
)
# What dbt gives an applicant with no earlier loans or applications with us.
NO_HISTORY: dict[str, Any] = {
    **dict.fromkeys(HISTORY_COLUMNS),
    "prior_loans": 0,
    "prior_installments": 0,
    "has_prior_default": False,
    "prior_applications_12m": 0,
    "prior_rejections_12m": 0,
}
# A first-time applicant with no bureau file (no report: nothing depends on the date).
THIN_FILE: dict[str, Any] = {**bureau_features(None, date.min), **NO_HISTORY}

_SPEC = FeatureSpec.from_contract()


def application_row(app: Application) -> dict[str, Any]:
    """The application-time features of one request (no bureau or history columns)."""
    ratios = application_ratios(
        loan_amount=app.loan_amount,
        interest_rate=app.interest_rate,
        tenure_months=app.tenure_months,
        monthly_income=app.monthly_income,
        existing_monthly_debt=app.existing_monthly_debt,
        monthly_rent=app.monthly_rent,
        collateral_value=app.collateral_value,
    )
    years, age = app.years_employed, app.age()
    return {
        "loan_amount": app.loan_amount,
        "tenure_months": app.tenure_months,
        "interest_rate": app.interest_rate,
        "emi": ratios.emi,
        "monthly_income": app.monthly_income,
        "existing_monthly_debt": app.existing_monthly_debt,
        "monthly_rent": app.monthly_rent,
        "dti": ratios.dti,
        "emi_to_income": ratios.emi_to_income,
        "lti": ratios.lti,
        "foir": ratios.foir,
        "ltv": ratios.ltv,
        "collateral_value": app.collateral_value,
        "has_collateral": app.collateral_value is not None,
        "has_guarantor": app.has_guarantor,
        "residual_income": ratios.residual_income,
        "age_years": age,
        "dependents": app.dependents,
        "years_employed": years,
        "employment_stability": None if years is None else years / age,
        "income_per_dependent": (
            None if app.dependents is None else app.monthly_income / (app.dependents + 1)
        ),
        "employment_type": app.employment_type,
        "loan_purpose": app.loan_purpose,
    }


class CustomerLookupError(RuntimeError):
    """marts.customer_features could not be read (database down, mart not built)."""


class CustomerFeatures:
    """The latest bureau report and the history with us of known customers.

    One connection per serving thread, reopened after a failure. A lookup that fails raises
    CustomerLookupError: scoring a known customer as a stranger would change the decision.
    """

    QUERY = (
        f"select customer_id, {', '.join(CUSTOMER_COLUMNS)} "
        "from marts.customer_features where customer_id = any(%s)"
    )

    def __init__(self, dsn: str | None) -> None:
        self.dsn = dsn
        self._local = threading.local()

    def _connection(self) -> psycopg.Connection[Any]:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            import psycopg

            conn = psycopg.connect(self.dsn or "", autocommit=True, connect_timeout=3)
            self._local.conn = conn
        return conn

    def lookup(self, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Rows by customer id for the ids found; missing ids are simply absent."""
        ids = sorted({int(i) for i in customer_ids})
        if not ids or not self.dsn:
            return {}
        try:
            cur = self._connection().execute(self.QUERY, (ids,))
            names = [d.name for d in cur.description or ()]
            return {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in cur}
        except Exception as exc:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()
            log.warning("customer feature lookup failed: %s", first_line(exc))
            raise CustomerLookupError("customer features are unavailable; retry shortly") from exc

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()


@dataclass(frozen=True)
class FeatureRow:
    """One application's model features and where its bureau and history features came from."""

    values: dict[str, Any]
    bureau_source: str  # "request", "customer_features" or "none"
    history_source: str  # "customer_features" or "none"

    @property
    def sources(self) -> dict[str, str]:
        return {"bureau": self.bureau_source, "history": self.history_source}


def _mart_report(customer: Mapping[str, Any]) -> dict[str, Any] | None:
    if customer.get("is_thin_file", True):
        return None
    return {field: customer.get(column) for column, field in _MART_REPORT.items()}


def feature_row(app: Application, customer: Mapping[str, Any] | None = None) -> FeatureRow:
    """Every model feature of one application (None where missing), with its sources."""
    report: dict[str, Any] | None
    if app.bureau is not None:
        report, bureau_source = app.bureau.model_dump(), "request"
    elif customer is not None and (report := _mart_report(customer)) is not None:
        bureau_source = "customer_features"
    else:
        report, bureau_source = None, "none"
    internal = customer.get("last_internal_delinquency_on") if customer else None
    bureau = bureau_features(report, app.application_date(), internal)
    history = {c: customer[c] for c in HISTORY_COLUMNS} if customer else NO_HISTORY
    return FeatureRow(
        {**application_row(app), **bureau, **history},
        bureau_source,
        "customer_features" if customer else "none",
    )


def feature_rows(
    apps: Sequence[Application], customers: Mapping[int, Mapping[str, Any]] | None = None
) -> list[FeatureRow]:
    """feature_row for each application, in order, with customers looked up by id."""
    customers = customers or {}
    return [
        feature_row(app, customers.get(app.customer_id) if app.customer_id is not None else None)
        for app in apps
    ]


def rows_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Feature rows as the model input frame (contract columns, logged signature types)."""
    return _SPEC.model_input(pd.DataFrame.from_records(list(rows), columns=_SPEC.columns))
