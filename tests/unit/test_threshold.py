"""Cost-optimal threshold: hand-computed sweeps, a known optimum and the vectorised speed."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from training.threshold import CostMatrix, optimal_threshold, threshold_sweep

# Six loans; with FN = 10 and FP = 1, reject when prob >= threshold:
#   prob   0.9 0.8 0.4 0.3 0.2 0.1
#   label   B   G   B   G   G   G
Y6 = [1, 0, 1, 0, 0, 0]
P6 = [0.9, 0.8, 0.4, 0.3, 0.2, 0.1]
COSTS_10_1 = CostMatrix(false_negative=10, false_positive=1)


def test_sweep_counts_and_costs_by_hand() -> None:
    sweep = threshold_sweep(Y6, P6, COSTS_10_1, thresholds=[0.25, 0.5, 0.85])
    # 0.25: reject .9 .8 .4 .3 → TP 2, FP 2, FN 0, TN 2 → cost 0·10 + 2·1 = 2
    # 0.50: reject .9 .8       → TP 1, FP 1, FN 1, TN 3 → cost 10 + 1 = 11
    # 0.85: reject .9          → TP 1, FP 0, FN 1, TN 4 → cost 10
    assert sweep["tp"].tolist() == [2, 1, 1]
    assert sweep["fp"].tolist() == [2, 1, 0]
    assert sweep["fn"].tolist() == [0, 1, 1]
    assert sweep["tn"].tolist() == [2, 3, 4]
    assert sweep["total_cost"].tolist() == [2.0, 11.0, 10.0]
    assert sweep["recall"].tolist() == pytest.approx([1.0, 0.5, 0.5])
    assert sweep["precision"].tolist() == pytest.approx([0.5, 0.5, 1.0])
    assert sweep["approval_rate"].tolist() == pytest.approx([2 / 6, 4 / 6, 5 / 6])
    assert list(sweep.columns) == [
        "threshold",
        "fn",
        "fp",
        "tp",
        "tn",
        "total_cost",
        "recall",
        "precision",
        "approval_rate",
    ]


def test_prob_equal_to_threshold_is_rejected() -> None:
    sweep = threshold_sweep([1, 0], [0.5, 0.2], COSTS_10_1, thresholds=[0.5])
    assert sweep.loc[0, "tp"] == 1
    assert sweep.loc[0, "fn"] == 0


def test_optimal_threshold_and_saving_by_hand() -> None:
    choice = optimal_threshold(threshold_sweep(Y6, P6, COSTS_10_1, thresholds=[0.25, 0.5, 0.85]))
    assert choice.threshold == 0.25
    assert choice.total_cost == 2.0
    assert choice.cost_at_0_5 == 11.0
    assert choice.expected_saving == 9.0
    assert choice.saving_share == pytest.approx(9 / 11)
    assert choice.recall == 1.0


def test_cost_ties_go_to_the_higher_threshold() -> None:
    # 0.25 and 0.28 reject the same loans (cost 2 each); 0.28 approves no fewer, so it wins.
    sweep = threshold_sweep(Y6, P6, COSTS_10_1, thresholds=[0.25, 0.28, 0.5])
    assert sweep["total_cost"].tolist()[:2] == [2.0, 2.0]
    assert optimal_threshold(sweep).threshold == 0.28


def test_optimum_on_calibrated_scores_is_the_bayes_threshold() -> None:
    # 100 probability levels .005, .015, ..., .995, each with 1000 loans of which exactly
    # round(1000·p) are bad, so the scores are calibrated. Rejecting a level costs
    # goods·10 000, approving it bads·100 000: reject iff p > 10 000 / 110 000 = 1/11 ≈ .0909.
    # Level .085 (85 bads: 8.5M vs 9.15M) is approved, .095 (95 bads: 9.5M vs 9.05M) rejected,
    # so of the grid 0.01..0.99 only 0.09 separates them.
    levels = (np.arange(100) + 0.5) / 100
    bads = np.rint(levels * 1000).astype(int)
    prob = np.repeat(levels, 1000)
    y = np.concatenate([np.r_[np.ones(b), np.zeros(1000 - b)] for b in bads])
    costs = CostMatrix()
    assert costs.bayes_threshold == pytest.approx(1 / 11)

    choice = optimal_threshold(threshold_sweep(y, prob, costs))
    assert choice.threshold == pytest.approx(0.09)
    # Against 0.5, the levels .095-.495 move from approved to rejected; each saves
    # bads·100 000 − goods·10 000.
    moved = (levels > 0.09) & (levels < 0.5)
    saving = float(np.sum(bads[moved] * 100_000.0 - (1000 - bads[moved]) * 10_000.0))
    assert choice.expected_saving == pytest.approx(saving)
    assert choice.cost_at_0_5 - choice.total_cost == pytest.approx(saving)
    assert choice.saving_share == pytest.approx(saving / choice.cost_at_0_5)


def test_vectorised_sweep_matches_a_naive_loop_on_a_million_rows() -> None:
    rng = np.random.default_rng(11)
    prob = rng.random(1_000_000)
    y = (rng.random(prob.size) < prob).astype(np.int8)
    started = time.perf_counter()
    sweep = threshold_sweep(pd.Series(y), pd.Series(prob), CostMatrix())
    assert time.perf_counter() - started < 2.0
    assert len(sweep) == 99
    for t in (0.05, 0.5, 0.93):
        row = sweep.loc[np.isclose(sweep["threshold"], t)].iloc[0]
        rejected = prob >= t
        assert row["tp"] == np.sum(rejected & (y == 1))
        assert row["fp"] == np.sum(rejected & (y == 0))
        assert row["fn"] == np.sum(~rejected & (y == 1))


def test_default_grid_contains_an_exact_half() -> None:
    sweep = threshold_sweep(Y6, P6)
    assert (sweep["threshold"] == 0.5).sum() == 1
    assert sweep["threshold"].min() == 0.01
    assert sweep["threshold"].max() == 0.99


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: threshold_sweep([1, 0], [0.5]), "mismatched lengths: y_true has 2, y_prob has 1"),
        (lambda: threshold_sweep([1, 0], [0.5, 1.5]), "y_prob: 1 values outside"),
        (lambda: threshold_sweep([1, 0], [0.5, 0.2], thresholds=[2.0]), "thresholds:"),
        (lambda: threshold_sweep([], []), "y_true: is empty"),
        (lambda: CostMatrix(false_negative=-1), "false_negative:"),
        (lambda: CostMatrix(false_positive=0), "false_positive:"),
        (
            lambda: optimal_threshold(threshold_sweep(Y6, P6, thresholds=[0.3])),
            "sweep: has no row at threshold 0.5",
        ),
        (lambda: optimal_threshold(pd.DataFrame({"threshold": [0.5]})), "sweep: missing"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
