"""The scorecard benchmark's tables: binning, information value and points per bin.

The points are scaled like the served credit score (PDO): the calibrated log-odds of the
scorecard are linear in the WoE (Platt scaling of a logistic regression), so an applicant's
points, one bin per characteristic, add up to the score the service returns before rounding
and clipping to 300-850:

    score = Σ_j points_j(bin),  points_j = factor · a · coef_j · woe + (offset + factor · (a · intercept + b)) / k

with factor = pdo / ln 2, offset = base_score − factor · ln(base_odds), (a, b) the Platt
calibrator (P(default) = 1 / (1 + exp(a · margin + b))) and k the number of characteristics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.artifact.scaling import ScoreScaling

__all__ = ["platt_coefficients", "points_table", "write_scorecard_tables"]


def platt_coefficients(calibrated: Any) -> tuple[float, float]:
    """(a, b) of the single sigmoid calibrator over the frozen scorecard."""
    fitted = getattr(calibrated, "calibrated_classifiers_", None)
    if not fitted or len(fitted) != 1 or len(fitted[0].calibrators) != 1:
        raise ValueError("the scorecard must have exactly one calibrator")
    sigmoid = fitted[0].calibrators[0]
    if not hasattr(sigmoid, "a_"):
        raise ValueError("the scorecard's points need sigmoid (Platt) calibration")
    return float(sigmoid.a_), float(sigmoid.b_)


def _score_line(calibrated: Any, pipeline: Any, scaling: ScoreScaling) -> tuple[Any, float]:
    """Points per unit of WoE for each characteristic, and the score with every WoE at 0.

    score = offset + factor · (a · margin + b) with margin = intercept + Σ coef_j · woe_j.
    """
    regression = pipeline.named_steps["model"]
    a, b = platt_coefficients(calibrated)
    slopes = scaling.factor * a * np.asarray(regression.coef_[0], dtype=float)
    intercept = scaling.offset + scaling.factor * (a * float(regression.intercept_[0]) + b)
    return slopes, intercept


def points_table(calibrated: Any, pipeline: Any, scaling: ScoreScaling) -> pd.DataFrame:
    """Bins of every characteristic with their WoE and points; the points sum to the score."""
    woe, regression = pipeline.named_steps["preprocess"], pipeline.named_steps["model"]
    slopes, intercept = _score_line(calibrated, pipeline, scaling)
    coefficients = dict(zip(woe.columns, regression.coef_[0], strict=True))
    per_woe = dict(zip(woe.columns, slopes, strict=True))
    base = intercept / len(woe.columns)
    bins = woe.binning_table()
    bins["coefficient"] = bins["feature"].map(coefficients)
    bins["points"] = bins["feature"].map(per_woe) * bins["woe"] + base
    # What a value outside every trained bin scores (an unseen category): WoE 0.
    neutral = pd.DataFrame(
        {
            "feature": list(woe.columns),
            "bin": "not seen in training",
            "woe": 0.0,
            "coefficient": [coefficients[c] for c in woe.columns],
            "points": base,
        }
    )
    table = pd.concat([bins, neutral], ignore_index=True)
    order = {name: i for i, name in enumerate(woe.columns)}
    table = table.sort_values("feature", key=lambda s: s.map(order), kind="stable")
    columns = ["feature", "bin", "count", "default_rate", "woe", "coefficient", "points"]
    return table[columns].reset_index(drop=True)


def score_from_points(calibrated: Any, pipeline: Any, scaling: ScoreScaling, X: Any) -> Any:
    """Each row's unrounded score as the sum of its points (what the points table promises)."""
    slopes, intercept = _score_line(calibrated, pipeline, scaling)
    encoded = pipeline[:-1].transform(X)
    return intercept + encoded @ slopes


def write_scorecard_tables(
    calibrated: Any, pipeline: Any, scaling: ScoreScaling, folder: Path
) -> dict[str, pd.DataFrame]:
    """binning_table.csv, iv_report.csv and points_table.csv under `folder`; returns them."""
    woe = pipeline.named_steps["preprocess"]
    regression = pipeline.named_steps["model"]
    iv = woe.iv_table()
    coefficients = dict(zip(woe.columns, regression.coef_[0], strict=True))
    iv["coefficient"] = iv["feature"].map(coefficients)
    iv["in_model"] = ~np.isclose(iv["coefficient"], 0.0)
    tables = {
        "binning_table": woe.binning_table(),
        "iv_report": iv,
        "points_table": points_table(calibrated, pipeline, scaling),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    return tables
