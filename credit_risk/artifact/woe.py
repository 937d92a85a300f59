"""Weight-of-evidence encoding on monotone optimal bins: the scorecard's characteristics.

Each feature is binned by optbinning's OptimalBinning (a constraint-programming search for the
bins with the most information value, at least 5% of rows each), with the bins' default rates
forced to rise (monotone +1) or fall (-1) with the value as the contract directs, and to move in
one direction otherwise. A value becomes its bin's WoE = ln(share of goods / share of bads), so
a riskier bin has a lower WoE. Missing values have a bin of their own (WoE 0 when training had
none); a category never seen in training gets WoE 0 (no evidence either way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["WoeEncoder", "iv_strength"]

# Siddiqi's reading of information value.
_IV_STRENGTH = ((0.02, "not predictive"), (0.1, "weak"), (0.3, "medium"), (0.5, "strong"))


def iv_strength(iv: float) -> str:
    for bound, label in _IV_STRENGTH:
        if iv < bound:
            return label
    return "very strong (check for leakage)"


def _trend(direction: int) -> str:
    # optbinning's trends are of the event (default) rate as the value rises.
    return {1: "ascending", -1: "descending"}.get(direction, "auto_asc_desc")


class WoeEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """One WoE column per feature, in the order numeric then categorical."""

    def __init__(
        self,
        numeric: Sequence[str] = (),
        categorical: Sequence[str] = (),
        monotone: Mapping[str, int] | None = None,
        max_n_bins: int = 8,
        min_bin_size: float = 0.05,
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.monotone = monotone
        self.max_n_bins = max_n_bins
        self.min_bin_size = min_bin_size

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def fit(self, X: pd.DataFrame, y: Any) -> WoeEncoder:
        from optbinning import OptimalBinning

        target = np.asarray(y).astype(int)
        directions = dict(self.monotone or {})
        self.binnings_: dict[str, Any] = {}
        for name in self.columns:
            categorical = name in self.categorical
            if X[name].dropna().nunique() < 2:  # nothing to bin: no evidence either way
                self.binnings_[name] = None
                continue
            binning = OptimalBinning(
                name=name,
                dtype="categorical" if categorical else "numerical",
                monotonic_trend=None if categorical else _trend(directions.get(name, 0)),
                max_n_bins=self.max_n_bins,
                min_bin_size=self.min_bin_size,
                solver="cp",
            )
            binning.fit(self._column(X, name), target)
            self.binnings_[name] = binning
        self.n_features_in_ = len(self.columns)
        return self

    def _column(self, X: pd.DataFrame, name: str) -> npt.NDArray[Any]:
        if name in self.categorical:
            return np.asarray(X[name].astype(object).where(X[name].notna(), None), dtype=object)
        return np.asarray(pd.to_numeric(X[name], errors="coerce"), dtype=np.float64)

    def transform(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        out = np.empty((len(X), len(self.columns)), dtype=np.float64)
        for j, name in enumerate(self.columns):
            binning = self.binnings_[name]
            if binning is None:
                out[:, j] = 0.0
                continue
            out[:, j] = binning.transform(
                self._column(X, name), metric="woe", metric_missing="empirical", metric_special=0
            )
        return out

    def get_feature_names_out(self, input_features: Any = None) -> npt.NDArray[np.object_]:
        return np.asarray(self.columns, dtype=object)

    def binning_table(self) -> pd.DataFrame:
        """Every feature's bins: count, default rate, WoE and information value."""
        tables = []
        for name, binning in self.binnings_.items():
            if binning is None:
                continue
            table = binning.binning_table.build(add_totals=False)
            table = table[table["Count"] > 0]
            tables.append(
                pd.DataFrame(
                    {
                        "feature": name,
                        "bin": [_bin_label(b) for b in table["Bin"]],
                        "count": table["Count"].astype(int).to_numpy(),
                        "default_rate": table["Event rate"].astype(float).to_numpy(),
                        "woe": table["WoE"].astype(float).to_numpy(),
                        "iv": table["IV"].astype(float).to_numpy(),
                    }
                )
            )
        return pd.concat(tables, ignore_index=True)

    def iv_table(self) -> pd.DataFrame:
        """Information value per feature, strongest first, with its conventional reading."""
        rows = []
        for name, binning in self.binnings_.items():
            if binning is None:
                rows.append({"feature": name, "iv": 0.0, "bins": 1, "trend": "constant"})
                continue
            binning.binning_table.build()  # computes the totals .iv reads
            rows.append(
                {
                    "feature": name,
                    "iv": float(binning.binning_table.iv),
                    "bins": len(binning.splits) + 1,
                    "trend": "categorical" if name in self.categorical else binning.monotonic_trend,
                }
            )
        table = pd.DataFrame(rows).sort_values("iv", ascending=False, ignore_index=True)
        table["strength"] = table["iv"].map(iv_strength)
        return table


def _bin_label(raw: Any) -> str:
    if isinstance(raw, list | np.ndarray):
        return ", ".join(str(v) for v in raw)
    return str(raw)
