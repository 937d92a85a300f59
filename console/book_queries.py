"""What the Portfolio page reads from the dbt marts (each a small query, nothing computed here)."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["BookUnavailableError", "book_frames"]

QUERIES = {
    "summary": "select * from marts.portfolio_summary",
    "npa_classes": "select * from marts.npa_class_shares order by outstanding_share desc",
    "cohorts": "select * from marts.cohort_default_rates order by origination_month",
    "concentration": (
        "select * from marts.portfolio_concentration order by dimension, outstanding_share desc"
    ),
    "late_loans": (
        "select * from marts.loans_with_consecutive_late_payments order by unpaid_installments desc"
    ),
}


class BookUnavailableError(RuntimeError):
    """The marts are not there (yet): say how to build them."""


def book_frames(dsn: str) -> dict[str, pd.DataFrame]:
    """Every Portfolio table, by name; a clear error when the marts were never built."""
    from credit_risk.database import connect

    frames: dict[str, pd.DataFrame] = {}
    with connect(dsn) as conn:
        missing = [
            table
            for table in ("portfolio_summary", "portfolio_concentration")
            if conn.execute("select to_regclass(%s)", (f"marts.{table}",)).fetchone() == (None,)
        ]
        if missing:
            raise BookUnavailableError(
                f"marts.{missing[0]} does not exist: build the features first "
                "('credit-risk run pipeline', or 'make demo')"
            )
        for name, sql in QUERIES.items():
            cur = conn.execute(sql)
            columns = [d.name for d in cur.description or ()]
            frames[name] = pd.DataFrame(cur.fetchall(), columns=columns)
    for frame in frames.values():
        for column in frame.columns:
            if frame[column].dtype == object and _decimal(frame[column]):
                frame[column] = frame[column].astype(float)
    return frames


def _decimal(values: pd.Series) -> bool:
    from decimal import Decimal

    first: Any = next((v for v in values if v is not None), None)
    return isinstance(first, Decimal)
