"""Which columns a model uses and how its input is coerced: part of every logged model.

`coerce_features` and `coerced_names` are referenced by the fitted pipeline inside each logged
model, so their import path is part of the model artifact (see credit_risk.artifact.loading for
models logged when they lived in training.candidates).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import FunctionTransformer

from credit_risk import contract

__all__ = ["PROTECTED", "FeatureSpec", "coerce_features", "coerced_names"]

PROTECTED = frozenset(f.name for f in contract.protected_features())


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns a model uses, their fixed categories (if known) and monotone directions."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    # Fixed category levels per categorical column; None = learned from the training data.
    categories: tuple[tuple[str, ...], ...] | None = None
    monotone: Mapping[str, int] = field(default_factory=dict)
    # MLflow column types of the model input ("double", "long", "boolean", "string"); numerics
    # default to double and categoricals to string.
    input_types: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        used = set(self.numeric) | set(self.categorical)
        leaked = sorted(used & PROTECTED)
        if leaked:
            raise ValueError(
                f"protected attributes {leaked} must never be model features; "
                "they are for the fairness check only"
            )
        if self.categories is not None and len(self.categories) != len(self.categorical):
            raise ValueError("categories: one tuple of levels per categorical column")

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @classmethod
    def from_contract(cls) -> FeatureSpec:
        """The contract's training features (protected attributes excluded by the contract)."""
        numeric = tuple(f.name for f in contract.numeric_features())
        cats = contract.categorical_features()
        return cls(
            numeric=numeric,
            categorical=tuple(f.name for f in cats),
            categories=tuple(f.categories for f in cats),
            monotone=dict(zip(numeric, contract.monotone_constraints(list(numeric)), strict=True)),
            input_types={f.name: _input_type(f) for f in contract.training_features()},
        )

    def input_type(self, column: str) -> str:
        default = "string" if column in self.categorical else "double"
        return self.input_types.get(column, default)

    def model_input(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's columns cast to the logged signature's types (for pyfunc callers)."""
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise ValueError(f"input is missing model columns {missing}")
        out = pd.DataFrame(index=X.index)
        for col in self.columns:
            kind = self.input_type(col)
            if kind == "string":
                out[col] = X[col].astype(object).map(str, na_action="ignore")
            elif kind == "boolean":
                out[col] = X[col].astype(bool)
            elif kind == "long":
                values = pd.to_numeric(X[col])
                if values.isna().any():
                    raise ValueError(f"column {col}: {int(values.isna().sum())} missing values")
                out[col] = values.astype("int64")
            else:
                out[col] = pd.to_numeric(X[col]).astype("float64")
        return out

    def encoded_columns(self) -> list[str]:
        """Column names after tree preprocessing; needs fixed categories."""
        if self.categories is None:
            raise ValueError("encoded columns are known before fitting only with fixed categories")
        onehot = [
            f"{c}_{v}"
            for c, levels in zip(self.categorical, self.categories, strict=True)
            for v in levels
        ]
        return [*self.numeric, *onehot]

    def monotone_vector(self) -> list[int] | None:
        """Monotone directions aligned with encoded_columns() (one-hot columns 0); None if none."""
        if not any(self.monotone.values()):
            return None
        names = self.encoded_columns()
        return [int(self.monotone.get(n, 0)) for n in names]


def _input_type(feature: contract.Feature) -> str:
    # Nullable integers arrive as floats with NaN, so they are declared double.
    if feature.dtype == "int":
        return "double" if feature.nullable else "long"
    return {"float": "double", "bool": "boolean", "category": "string"}[feature.dtype]


def coerce_features(X: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """Select the model's columns: numerics as float (bools 0/1), categoricals as str or NaN."""
    missing = [c for c in [*numeric, *categorical] if c not in X.columns]
    if missing:
        raise ValueError(f"input is missing model columns {missing}")
    out = pd.DataFrame(index=X.index)
    for col in numeric:
        values = X[col]
        if values.dtype == object:
            values = values.map(lambda v: float(v) if isinstance(v, bool) else v)
        out[col] = pd.to_numeric(values, errors="coerce").astype("float64")
    for col in categorical:
        out[col] = X[col].astype(object).map(str, na_action="ignore").where(X[col].notna(), np.nan)
    return out


def coerced_names(transformer: FunctionTransformer, input_features: Any) -> np.ndarray:
    kw = transformer.kw_args or {}
    return np.asarray([*kw["numeric"], *kw["categorical"]], dtype=object)
