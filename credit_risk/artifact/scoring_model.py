"""The scoring model every candidate is logged as: calibrated PD, threshold and score scaling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

__all__ = ["CreditRiskModel"]


class CreditRiskModel:
    """The logged model: calibrated PD, the decision threshold and the score scaling in one object.

    `predict_proba` gives calibrated probabilities (column 1 = default); `predict` applies the
    cost-optimal threshold (1 = reject). `pipeline` is the uncalibrated fitted pipeline, for SHAP
    and for serving paths that call the booster directly. `reason_reference` holds the
    applicants at the cut-off that adverse-action reasons are measured against
    (training.reason_reference); None on models logged before it existed.
    """

    reason_reference: pd.DataFrame | None = None

    def __init__(
        self,
        calibrated: Any,
        pipeline: Pipeline,
        *,
        candidate: str,
        threshold: float,
        scaling: Mapping[str, float],
        features: list[str],
        reason_reference: pd.DataFrame | None = None,
    ) -> None:
        self.calibrated = calibrated
        self.pipeline = pipeline
        self.candidate = candidate
        self.threshold = float(threshold)
        self.scaling = dict(scaling)
        self.features = list(features)
        self.reason_reference = reason_reference
        self.classes_ = np.array([0, 1])

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.calibrated.predict_proba(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 = reject (calibrated PD at or above the threshold), 0 = approve."""
        return (self.predict_proba(X)[:, 1] >= self.threshold).astype(np.int64)

    def credit_score(self, X: pd.DataFrame) -> np.ndarray:
        """300-850 scores (higher is safer) from the calibrated PD."""
        from credit_risk.artifact.scaling import ScoreScaling

        return ScoreScaling.from_dict(self.scaling).to_score(self.predict_proba(X)[:, 1])
