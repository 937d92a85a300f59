"""Reference statistics of a trusted feature batch, for the distribution checks of later batches."""

from __future__ import annotations

from collections.abc import Sequence

from credit_risk.contract import FEATURES
from credit_risk.database import connect

REFERENCE_COLUMNS = ("dti", "monthly_income")
FEATURES_TABLE = "marts.application_features"


def compute_reference(dsn: str, columns: Sequence[str] = REFERENCE_COLUMNS) -> dict[str, float]:
    """{"<column>_mean": mean} over marts.application_features, ready for validate_data."""
    numeric = {f.name for f in FEATURES if f.dtype in ("float", "int")}
    unknown = [c for c in columns if c not in numeric]
    if unknown:
        raise ValueError(f"not numeric contract features: {', '.join(unknown)}")
    select = ", ".join(f"avg({column})::double precision" for column in columns)
    with connect(dsn) as conn:
        row = conn.execute(f"select {select} from {FEATURES_TABLE}").fetchone()
    if row is None or any(value is None for value in row):
        raise ValueError(f"{FEATURES_TABLE} is empty; build the features before taking a reference")
    return {f"{column}_mean": float(value) for column, value in zip(columns, row, strict=True)}
