"""What the Portfolio page reads from the dbt marts (each a small query, nothing computed here)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from monitoring.frames import read_frame, relation_exists

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
    """Every Portfolio table, by name (numeric columns as floats, for the charts); a clear
    error when the marts were never built."""
    for table in ("marts.portfolio_summary", "marts.portfolio_concentration"):
        if not relation_exists(dsn, table):
            raise BookUnavailableError(
                f"{table} does not exist: build the features first "
                "('credit-risk run pipeline', or 'make demo')"
            )
    frames = {name: read_frame(dsn, sql) for name, sql in QUERIES.items()}
    for frame in frames.values():
        for column in frame.columns:
            if any(isinstance(v, Decimal) for v in frame[column].head(1)):
                frame[column] = frame[column].astype(float)
    return frames
