"""Feature frames as monitoring reads them: typed by the contract, sampled reproducibly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from credit_risk import contract

__all__ = [
    "FEATURE_COLUMNS",
    "categorical_columns",
    "numeric_columns",
    "read_frame",
    "relation_exists",
    "sample",
    "typed",
]

FEATURE_COLUMNS: tuple[str, ...] = tuple(f.name for f in contract.training_features())
SAMPLE_SEED = 42


def numeric_columns() -> list[str]:
    return [f.name for f in contract.training_features() if f.dtype in ("float", "int")]


def categorical_columns() -> list[str]:
    """Categories and flags: both are compared category by category."""
    return [f.name for f in contract.training_features() if f.dtype in ("category", "bool")]


def read_frame(dsn: str, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """One query into a DataFrame with the query's column names."""
    from credit_risk.database import connect

    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params or {})
        columns = [d.name for d in cur.description or ()]
        return pd.DataFrame(cur.fetchall(), columns=columns)


def relation_exists(dsn: str, relation: str) -> bool:
    """Whether a table or view ("schema.name") exists."""
    found = read_frame(dsn, "select to_regclass(%(name)s) is not null", {"name": relation})
    return bool(found.iloc[0, 0])


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Contract features with one dtype each: floats (NaN if missing), flags, text categories."""
    missing = [c for c in FEATURE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"feature rows lack contract columns {missing}; rebuild the features")
    out = frame.copy()
    for feature in contract.training_features():
        values = out[feature.name]
        if feature.dtype in ("float", "int"):
            out[feature.name] = pd.to_numeric(values, errors="coerce").astype(np.float64)
        elif feature.dtype == "bool":
            out[feature.name] = values.astype(object).map(bool, na_action="ignore")
        else:
            out[feature.name] = values.astype(object).map(str, na_action="ignore")
    return out


def sample(frame: pd.DataFrame, rows: int, seed: int = SAMPLE_SEED) -> pd.DataFrame:
    """At most `rows` rows, drawn without replacement; the same input gives the same sample."""
    if len(frame) <= rows:
        return frame.reset_index(drop=True)
    return frame.sample(n=rows, random_state=seed).reset_index(drop=True)
