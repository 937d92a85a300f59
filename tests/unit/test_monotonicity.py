"""The monotonicity probe and the rule that only monotone candidates become champion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.choose_best import NoEligibleCandidateError, best_candidate, excluded_candidates
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
    assert "against a monotone direction for 2.0%" in excluded_candidates(metrics)["forest"]


def test_a_direction_breaking_candidate_is_never_selected_even_when_all_break() -> None:
    everyone_breaks = {
        "forest": {"val_auc": 0.90, "val_brier": 0.10, "val_monotone_violation_share": 0.5},
        "linear": {"val_auc": 0.84, "val_brier": 0.10, "val_monotone_violation_share": 0.01},
    }
    with pytest.raises(NoEligibleCandidateError, match=r"forest: risk moves against .* 50\.0%"):
        best_candidate(everyone_breaks)


def test_the_benchmark_is_selectable_only_when_asked_for() -> None:
    metrics = {
        "scorecard": {"val_auc": 0.86, "val_brier": 0.10, "val_monotone_violation_share": 0.0},
        "lightgbm": {"val_auc": 0.85, "val_brier": 0.10, "val_monotone_violation_share": 0.0},
    }
    assert best_candidate(metrics) == "scorecard"
    assert best_candidate(metrics, selectable=["lightgbm"]) == "lightgbm"
    assert excluded_candidates(metrics, ["lightgbm"]) == {
        "scorecard": "trained as the benchmark only"
    }


def test_a_flag_is_checked_too() -> None:
    frame = FRAME.assign(has_prior_default=[True, False] * 25)
    wrong = _Model(lambda f: _sigmoid(-2.0 * f["has_prior_default"].astype(float)))
    right = _Model(lambda f: _sigmoid(2.0 * f["has_prior_default"].astype(float)))
    features = [*FEATURES, "has_prior_default"]
    assert monotone_violations(wrong, frame, features)["has_prior_default"] == 1.0
    assert monotone_violations(right, frame, features)["has_prior_default"] == 0.0


def test_every_row_is_checked_not_a_sample() -> None:
    # One row in 1,000 breaks the direction; a 400-row sample would usually miss it.
    frame = pd.DataFrame({"dti": np.linspace(0.0, 1.0, 5000), "loan_purpose": "home"})
    odd = frame["dti"].iloc[2500]
    model = _Model(lambda f: np.where(np.isclose(f["dti"], odd), 0.9, _sigmoid(f["dti"])))
    assert monotone_violations(model, frame, ["dti"])["dti"] == 1 / 5000
