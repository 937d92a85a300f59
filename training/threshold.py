"""The cost-optimal decision threshold: sweep cut-offs, price each by the cost matrix, pick the cheapest.

A loan is rejected when its predicted default probability is at or above the threshold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.metrics import check_labels, check_probabilities, check_same_length

__all__ = [
    "DEFAULT_THRESHOLDS",
    "CostMatrix",
    "ThresholdChoice",
    "optimal_threshold",
    "threshold_sweep",
]

# 0.01, 0.02, ..., 0.99, rounded so that 0.5 is exactly one of them.
DEFAULT_THRESHOLDS = np.round(np.arange(1, 100) / 100, 2)
REFERENCE_THRESHOLD = 0.5
SWEEP_COLUMNS = (
    "threshold",
    "fn",
    "fp",
    "tp",
    "tn",
    "total_cost",
    "recall",
    "precision",
    "approval_rate",
)


@dataclass(frozen=True)
class CostMatrix:
    """What each wrong decision costs: approving a defaulter (FN) or rejecting a good customer (FP)."""

    false_negative: float = 100_000.0
    false_positive: float = 10_000.0

    def __post_init__(self) -> None:
        for name in ("false_negative", "false_positive"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name}: a cost must be a positive number, got {value}")

    @property
    def bayes_threshold(self) -> float:
        """The cut-off that minimises expected cost for calibrated probabilities: FP / (FP + FN)."""
        return self.false_positive / (self.false_positive + self.false_negative)


@dataclass(frozen=True)
class ThresholdChoice:
    """The cheapest threshold of a sweep and what it saves against the default 0.5 cut-off."""

    threshold: float
    total_cost: float
    cost_at_0_5: float
    expected_saving: float
    saving_share: float
    recall: float
    approval_rate: float

    def to_dict(self) -> dict[str, float]:
        """Flat values for logging."""
        return asdict(self)


def threshold_sweep(
    y_true: Any, y_prob: Any, costs: CostMatrix | None = None, thresholds: Any = None
) -> pd.DataFrame:
    """Confusion counts, total cost, recall, precision and approval rate at each threshold.

    Sorts the probabilities once and reads every threshold's counts off cumulative sums, so a
    million loans take well under a second. Recall and precision are 0 where undefined.
    """
    y = check_labels(y_true, "y_true")
    p = check_probabilities(y_prob, "y_prob")
    check_same_length(y_true=y, y_prob=p)
    costs = costs or CostMatrix()
    grid = (
        DEFAULT_THRESHOLDS if thresholds is None else check_probabilities(thresholds, "thresholds")
    )

    order = np.argsort(p, kind="stable")
    p_sorted = p[order]
    bads_below = np.concatenate(([0], np.cumsum(y[order])))
    approved = np.searchsorted(p_sorted, grid, side="left")  # rows with prob < threshold
    n, total_bads = p.size, int(y.sum())
    fn = bads_below[approved]
    tn = approved - fn
    tp = total_bads - fn
    fp = (n - approved) - tp
    rejected = tp + fp
    recall = tp / total_bads if total_bads else np.zeros(grid.size)
    precision = np.where(rejected > 0, tp / np.maximum(rejected, 1), 0.0)
    sweep = pd.DataFrame(
        {
            "threshold": grid,
            "fn": fn,
            "fp": fp,
            "tp": tp,
            "tn": tn,
            "total_cost": (fn * costs.false_negative + fp * costs.false_positive).astype(float),
            "recall": recall,
            "precision": precision,
            "approval_rate": approved / n,
        }
    )
    return sweep[list(SWEEP_COLUMNS)]


def optimal_threshold(sweep: pd.DataFrame) -> ThresholdChoice:
    """The lowest-cost threshold of a sweep; on a tie the higher threshold, which approves more."""
    missing = [c for c in SWEEP_COLUMNS if c not in sweep.columns]
    if missing:
        raise ValueError(
            f"sweep: missing columns {missing}; pass the frame threshold_sweep returns"
        )
    if sweep.empty:
        raise ValueError("sweep: is empty; sweep at least one threshold")
    thresholds = sweep["threshold"].to_numpy(dtype=float)
    cost = sweep["total_cost"].to_numpy(dtype=float)
    at_reference = np.isclose(thresholds, REFERENCE_THRESHOLD, rtol=0.0, atol=1e-9)
    if not at_reference.any():
        raise ValueError("sweep: has no row at threshold 0.5; include 0.5 to measure the saving")
    best = int(np.lexsort((-thresholds, cost))[0])
    best_cost = float(cost[best])
    cost_at_0_5 = float(cost[at_reference][0])
    saving = cost_at_0_5 - best_cost
    return ThresholdChoice(
        threshold=float(thresholds[best]),
        total_cost=best_cost,
        cost_at_0_5=cost_at_0_5,
        expected_saving=saving,
        saving_share=saving / cost_at_0_5 if cost_at_0_5 > 0 else 0.0,
        recall=float(sweep["recall"].iloc[best]),
        approval_rate=float(sweep["approval_rate"].iloc[best]),
    )
