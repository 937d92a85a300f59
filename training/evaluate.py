"""Evaluate one calibrated candidate: threshold from validation, metrics, deciles and fairness."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.metrics import classification_metrics, decile_table
from training.fairness import FairnessResult, disparate_impact
from training.threshold import CostMatrix, ThresholdChoice, optimal_threshold, threshold_sweep

__all__ = ["PROTECTED_GROUPS", "Evaluation", "evaluate"]

log = logging.getLogger(__name__)

PROTECTED_GROUPS = ("gender", "age_band")


@dataclass
class Evaluation:
    """Everything measured for one candidate; `metrics` is flat and ready for MLflow."""

    metrics: dict[str, float]
    threshold: ThresholdChoice
    validation_sweep: pd.DataFrame
    test_sweep: pd.DataFrame
    deciles: pd.DataFrame
    y_validation: np.ndarray
    p_validation: np.ndarray
    y_test: np.ndarray
    p_test: np.ndarray
    fairness: dict[str, FairnessResult] = field(default_factory=dict)


def _cost_at(sweep: pd.DataFrame, threshold: float) -> float:
    row = sweep.loc[np.isclose(sweep["threshold"], threshold, rtol=0, atol=1e-9), "total_cost"]
    return float(row.iloc[0])


def evaluate(
    model: Any,
    validation: pd.DataFrame,
    test: pd.DataFrame,
    *,
    target: str = "is_default",
    costs: CostMatrix | None = None,
    protected: tuple[str, ...] = PROTECTED_GROUPS,
) -> Evaluation:
    """Sweep the threshold on validation, then measure validation and test at that threshold."""
    costs = costs or CostMatrix()
    y_val = validation[target].to_numpy(dtype=np.int64)
    y_test = test[target].to_numpy(dtype=np.int64)
    p_val = np.clip(model.predict_proba(validation)[:, 1], 0.0, 1.0)
    p_test = np.clip(model.predict_proba(test)[:, 1], 0.0, 1.0)

    # The threshold is chosen on validation only; test just reports what it would have cost.
    val_sweep = threshold_sweep(y_val, p_val, costs)
    choice = optimal_threshold(val_sweep)
    test_sweep = threshold_sweep(y_test, p_test, costs)
    test_cost = _cost_at(test_sweep, choice.threshold)
    test_cost_05 = _cost_at(test_sweep, 0.5)

    metrics: dict[str, float] = {}
    for prefix, y, p in (("val_", y_val, p_val), ("test_", y_test, p_test)):
        for key, value in classification_metrics(y, p, choice.threshold).items():
            metrics[prefix + key] = value
        metrics[prefix + "rows"] = float(y.size)
    metrics.update(
        {
            "threshold": choice.threshold,
            "val_total_cost": choice.total_cost,
            "val_cost_at_0_5": choice.cost_at_0_5,
            "val_expected_saving": choice.expected_saving,
            "val_saving_share": choice.saving_share,
            "test_total_cost": test_cost,
            "test_cost_at_0_5": test_cost_05,
            "test_expected_saving": test_cost_05 - test_cost,
            "test_saving_share": (test_cost_05 - test_cost) / test_cost_05 if test_cost_05 else 0.0,
        }
    )

    approved = (p_test < choice.threshold).astype(np.int64)
    fairness: dict[str, FairnessResult] = {}
    for column in protected:
        if column not in test.columns:
            continue
        try:
            result = disparate_impact(approved, test[column].astype(str))
        except ValueError as exc:
            log.warning("fairness by %s not computed: %s", column, exc)
            continue
        fairness[column] = result
        metrics.update(result.to_dict(prefix=f"test_di_{column}_"))

    return Evaluation(
        metrics=metrics,
        threshold=choice,
        validation_sweep=val_sweep,
        test_sweep=test_sweep,
        deciles=decile_table(y_test, p_test),
        y_validation=y_val,
        p_validation=p_val,
        y_test=y_test,
        p_test=p_test,
        fairness=fairness,
    )
