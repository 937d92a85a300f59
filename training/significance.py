"""Is a challenger's AUC gain real or sampling noise? DeLong's test for two correlated AUCs.

Both models score the same test rows, so their AUCs are correlated; DeLong's variance of the
difference accounts for that (DeLong, DeLong & Clarke-Pearson 1988, in the fast midrank form of
Sun & Xu 2014). The gate asks for the one-sided lower confidence bound of the gain to be above
the margin, so a gain that could be noise at the given confidence is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

__all__ = ["AucGain", "auc_gain"]


@dataclass(frozen=True)
class AucGain:
    """Challenger AUC minus benchmark AUC on the same rows, with its one-sided lower bound."""

    challenger_auc: float
    benchmark_auc: float
    difference: float
    standard_error: float
    confidence: float
    lower_bound: float
    rows: int

    def as_metrics(self, prefix: str = "gate_auc_gain_") -> dict[str, float]:
        return {
            f"{prefix}difference": self.difference,
            f"{prefix}lower_bound": self.lower_bound,
            f"{prefix}standard_error": self.standard_error,
            f"{prefix}confidence": self.confidence,
            f"{prefix}benchmark_auc": self.benchmark_auc,
        }


def _midrank(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    start = 0
    while start < len(values):
        end = start
        while end < len(values) and ordered[end] == ordered[start]:
            end += 1
        ranks[start:end] = 0.5 * (start + end - 1) + 1  # ties share the mean of their ranks
        start = end
    out = np.empty(len(values), dtype=np.float64)
    out[order] = ranks
    return out


def auc_gain(y: Any, challenger: Any, benchmark: Any, confidence: float = 0.95) -> AucGain:
    """DeLong's paired comparison of two scores of the same rows (higher = more likely 1)."""
    labels = np.asarray(y).astype(int)
    scores = np.vstack([np.asarray(challenger, float), np.asarray(benchmark, float)])
    if scores.shape[1] != len(labels):
        raise ValueError(f"scores: expected {len(labels)} values per model, got {scores.shape[1]}")
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence: must be in [0.5, 1), got {confidence}")
    positives, negatives = scores[:, labels == 1], scores[:, labels == 0]
    m, n = positives.shape[1], negatives.shape[1]
    if m < 2 or n < 2:
        raise ValueError(f"y: needs at least two of each class, got {m} bads and {n} goods")
    aucs, v01, v10 = np.empty(2), np.empty((2, m)), np.empty((2, n))
    for k in range(2):
        within_pos, within_neg = _midrank(positives[k]), _midrank(negatives[k])
        together = _midrank(np.concatenate([positives[k], negatives[k]]))
        aucs[k] = (together[:m].sum() - m * (m + 1) / 2) / (m * n)
        v01[k] = (together[:m] - within_pos) / n
        v10[k] = 1.0 - (together[m:] - within_neg) / m
    s01, s10 = np.cov(v01), np.cov(v10)
    variance = (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / m + (
        s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]
    ) / n
    error = math.sqrt(max(float(variance), 0.0))
    difference = float(aucs[0] - aucs[1])
    return AucGain(
        challenger_auc=float(aucs[0]),
        benchmark_auc=float(aucs[1]),
        difference=difference,
        standard_error=error,
        confidence=confidence,
        lower_bound=difference - float(norm.ppf(confidence)) * error,
        rows=len(labels),
    )
