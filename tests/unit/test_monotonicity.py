"""The monotonicity probe and the rule that only monotone candidates become champion."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.choose_best import best_candidate
from training.monotonicity import monotone_violations, worst_violation


class _Model:
    """predict_proba from a function of the frame."""

    def __init__(self, risk: object) -> None:
        self.risk = risk

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        p = np.asarray(self.risk(frame), dtype=float)  # type: ignore[operator]
        return np.column_stack([1 - p, p])


FRAME = pd.DataFrame(
    {
        "dti": np.linspace(0.05, 0.9, 50),
        "monthly_income": np.linspace(1000, 9000, 50),
        "loan_purpose": ["home"] * 50,
    }
)
FEATURES = ["dti", "monthly_income", "loan_purpose"]


def _sigmoid(x: pd.Series) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def test_a_model_that_follows_finance_has_no_violations() -> None:
    model = _Model(lambda f: _sigmoid(3 * f["dti"] - f["monthly_income"] / 5000))
    shares = monotone_violations(model, FRAME, FEATURES)
    assert shares == {"dti": 0.0, "monthly_income": 0.0}
    assert worst_violation(shares) == ("dti", 0.0)


def test_risk_falling_with_dti_is_a_violation_on_every_row() -> None:
    model = _Model(lambda f: _sigmoid(-3 * f["dti"]))
    shares = monotone_violations(model, FRAME, FEATURES)
    assert shares["dti"] == 1.0
    assert shares["monthly_income"] == 0.0  # flat in income is allowed
    assert worst_violation(shares) == ("dti", 1.0)


def test_a_bump_in_dti_counts_only_the_rows_it_reaches() -> None:
    # Risk rises with DTI except for a dip above 1.5, which only high-DTI rows reach.
    model = _Model(lambda f: np.where(f["dti"] > 1.5, 0.1, _sigmoid(f["dti"])))
    share = monotone_violations(model, FRAME, FEATURES)["dti"]
    assert 0.0 < share < 1.0


def test_best_skips_candidates_that_break_monotonicity() -> None:
    metrics = {
        "forest": {"val_auc": 0.90, "val_brier": 0.10, "val_monotone_violation_share": 0.02},
        "boost": {"val_auc": 0.85, "val_brier": 0.11, "val_monotone_violation_share": 0.0},
        "linear": {"val_auc": 0.84, "val_brier": 0.10, "val_monotone_violation_share": 0.0},
    }
    assert best_candidate(metrics) == "boost"
    everyone_breaks = {k: {**v, "val_monotone_violation_share": 0.5} for k, v in metrics.items()}
    assert best_candidate(everyone_breaks) == "forest"
