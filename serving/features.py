"""One application request → the model-input row, with the same formulas as the dbt features.

Affordability ratios come from `credit_risk.finance.application_ratios`, the function the parity
test holds equal to dbt's `int_applications_affordability_computed`. Bureau and repayment
history come from `marts.customer_features` for a known customer; anyone else is scored as a
thin file with no history with us (the same values dbt gives a first-time applicant).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from credit_risk import contract
from credit_risk.finance import application_ratios
from training.candidates import FeatureSpec

if TYPE_CHECKING:
    import psycopg

    from serving.schemas import Application

__all__ = [
    "CUSTOMER_COLUMNS",
    "THIN_FILE",
    "CustomerFeatures",
    "application_row",
    "feature_rows",
    "features_frame",
    "rows_frame",
]

log = logging.getLogger(__name__)

CUSTOMER_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in contract.training_features() if f.source in ("bureau", "history")
)
# What dbt gives an applicant with no bureau report and no earlier loans or applications.
THIN_FILE: dict[str, Any] = {
    **dict.fromkeys(CUSTOMER_COLUMNS),
    "is_thin_file": True,
    "prior_loans": 0,
    "prior_installments": 0,
    "has_prior_default": False,
    "prior_applications_12m": 0,
    "prior_rejections_12m": 0,
}
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
    years = app.years_employed
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
        "age_years": app.age_years,
        "dependents": app.dependents,
        "years_employed": years,
        "employment_stability": None if years is None else years / app.age_years,
        "income_per_dependent": (
            None if app.dependents is None else app.monthly_income / (app.dependents + 1)
        ),
        "employment_type": app.employment_type,
        "loan_purpose": app.loan_purpose,
    }


class CustomerFeatures:
    """Bureau and history features of known customers from marts.customer_features.

    One connection per serving thread, reopened after a failure; a lookup that fails (database
    down, mart not built) falls back to the thin-file defaults with a warning, so scoring goes on.
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
            log.warning("customer feature lookup failed, scoring as thin file: %s", exc)
            return {}

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()


def feature_rows(
    apps: Sequence[Application], customers: Mapping[int, Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One dict of every model feature per application, in order (None where missing)."""
    customers = customers or {}
    rows = []
    for app in apps:
        history = customers.get(app.customer_id) if app.customer_id is not None else None
        rows.append({**application_row(app), **(history or THIN_FILE)})
    return rows


def rows_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Feature rows as the model input frame (contract columns, logged signature types)."""
    return _SPEC.model_input(pd.DataFrame.from_records(list(rows), columns=_SPEC.columns))


def features_frame(
    apps: Sequence[Application], customers: Mapping[int, Mapping[str, Any]] | None = None
) -> pd.DataFrame:
    """Model input (contract columns and types) for the applications, in order."""
    return rows_frame(feature_rows(apps, customers))
