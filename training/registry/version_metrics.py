"""A registered version's metrics: as recorded at training time, and re-scored on a test set."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

__all__ = [
    "KEY_METRICS",
    "THRESHOLD",
    "RiskModel",
    "metrics_of",
    "numeric_params",
    "recorded_metrics",
    "recorded_threshold",
]

log = logging.getLogger(__name__)

THRESHOLD = "threshold"
# Copied from the run to version tags, so the registry UI shows them without opening the run.
KEY_METRICS = (
    "test_auc",
    "test_ks",
    "test_gini",
    "test_brier",
    "test_ece",
    "test_di_gender_min_ratio",
    "test_di_age_band_min_ratio",
    "val_auc",
    THRESHOLD,
)
# Used only when a version carries no threshold at all; it affects approval-based metrics only.
FALLBACK_THRESHOLD = 0.5


def numeric_params(params: Mapping[str, str]) -> dict[str, float]:
    """The params (or tags) that hold a number, as floats; the rest are left out."""
    numeric: dict[str, float] = {}
    for key, raw in params.items():
        try:
            numeric[key] = float(raw)
        except ValueError:
            continue
    return numeric


def recorded_metrics(client: MlflowClient, version: ModelVersion) -> dict[str, float]:
    """The key metrics as recorded at training time: version tags, else the run."""
    metrics = {k: float(v) for k, v in numeric_params(version.tags).items() if k in KEY_METRICS}
    if version.run_id:
        try:
            run = client.get_run(version.run_id)
        except Exception:  # a deleted run leaves the version's tags as the only record
            log.warning("run %s of version %s is gone", version.run_id, version.version)
        else:
            run_values = {**numeric_params(run.data.params), **run.data.metrics}
            for key in KEY_METRICS:
                if key in run_values:
                    metrics.setdefault(key, float(run_values[key]))
    return metrics


def recorded_threshold(client: MlflowClient, version: ModelVersion) -> float:
    """The decision threshold chosen at training time, or the fallback with a warning."""
    threshold = recorded_metrics(client, version).get(THRESHOLD)
    if threshold is None:
        log.warning(
            "version %s has no %r tag, run metric or param; using %s",
            version.version,
            THRESHOLD,
            FALLBACK_THRESHOLD,
        )
        return FALLBACK_THRESHOLD
    return threshold


def _risk_scorer(model_uri: str) -> Callable[[pd.DataFrame], np.ndarray]:
    """A function from features to the probability of default (class 1)."""
    import mlflow

    flavors = mlflow.models.get_model_info(model_uri).flavors
    for flavor in ("sklearn", "xgboost", "lightgbm"):
        if flavor in flavors:
            model = importlib.import_module(f"mlflow.{flavor}").load_model(model_uri)
            if hasattr(model, "predict_proba"):
                return lambda X: np.asarray(model.predict_proba(X))[:, 1]
    pyfunc = mlflow.pyfunc.load_model(model_uri)

    def predict(X: pd.DataFrame) -> np.ndarray:
        out = np.asarray(pyfunc.predict(X), dtype=float)
        return out[:, -1] if out.ndim == 2 else out

    return predict


class RiskModel:
    """A registered model as its probability of default, loaded once.

    `predict_proba` makes it usable by the checks that probe a model (monotonicity).
    """

    def __init__(self, model_uri: str) -> None:
        self.uri = model_uri
        self._scorer = _risk_scorer(model_uri)

    def default_probability(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self._scorer(X), dtype=float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.default_probability(X)
        return np.column_stack([1 - p, p])


def metrics_of(
    y_prob: np.ndarray,
    y_test: Any,
    threshold: float,
    groups: pd.DataFrame | Mapping[str, Any] | None,
    label: str,
) -> dict[str, float]:
    """Test metrics of one model's scores, named as training logs them (test_*)."""
    from credit_risk.metrics import classification_metrics
    from training.fairness import disparate_impact

    metrics = {f"test_{k}": v for k, v in classification_metrics(y_test, y_prob, threshold).items()}
    metrics[THRESHOLD] = float(threshold)
    approved = (y_prob < threshold).astype(int)
    columns: Iterable[str] = [] if groups is None else list(groups.keys())
    for column in columns:
        assert groups is not None
        try:
            result = disparate_impact(approved, np.asarray(groups[column], dtype=object))
        except ValueError as exc:  # e.g. nobody approved: the gate reports the missing metric
            log.warning("%s: no disparate impact for %s: %s", label, column, exc)
            continue
        metrics.update(result.to_dict(prefix=f"test_di_{column}_"))
    return metrics
