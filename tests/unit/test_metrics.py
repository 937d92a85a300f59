"""Evaluation metrics against values computed by hand on tiny examples."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from credit_risk.metrics import (
    PSI_EPSILON,
    classification_metrics,
    decile_table,
    expected_calibration_error,
    gini,
    gini_coefficient,
    ks_statistic,
    psi,
    psi_band,
    psi_categorical,
    reliability_curve,
)

# Eight loans, scores tie-free, riskiest first:
#   score  0.9 0.8 0.7 0.6 0.5 0.4 0.3 0.2
#   label   B   B   G   B   G   G   B   G      (4 bads, 4 goods)
Y8 = [1, 1, 0, 1, 0, 0, 1, 0]
S8 = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]


def test_ks_on_hand_example() -> None:
    # CDF(score <= t) of bads / goods and the gap, t ascending:
    #   0.2: 0/4 1/4 .25 | 0.3: 1/4 1/4 0 | 0.4: 1/4 2/4 .25 | 0.5: 1/4 3/4 .50
    #   0.6: 2/4 3/4 .25 | 0.7: 2/4 4/4 .50 | 0.8: 3/4 1 .25 | 0.9: 1 1 0      → KS = 0.5
    assert ks_statistic(Y8, S8) == pytest.approx(0.5)


def test_ks_is_one_on_separable_scores_and_accepts_series() -> None:
    y = pd.Series([0, 0, 0, 1, 1])
    assert ks_statistic(y, pd.Series([0.1, 0.2, 0.3, 0.8, 0.9])) == pytest.approx(1.0)


def test_gini_from_auc_and_from_scores() -> None:
    assert gini(0.83) == pytest.approx(0.66)
    assert gini(0.5) == pytest.approx(0.0)
    # Bad-over-good pairs in Y8/S8: 0.9 beats 4 goods, 0.8 beats 4, 0.6 beats 0.5/0.4/0.2 (3),
    # 0.3 beats 0.2 (1): AUC = 12/16 = 0.75, Gini = 2·0.75 − 1 = 0.5.
    assert gini_coefficient(Y8, S8) == pytest.approx(0.5)


def test_ece_two_bins_by_hand() -> None:
    # Bin [0, .5): probs .1 .2 .3 → mean .2, labels 0 0 1 → rate 1/3, gap 2/15.
    # Bin [.5, 1]: probs .6 .7 .8 .9 1.0 → mean .8, labels 1 1 0 1 1 → rate .8, gap 0.
    # ECE = 3/8 · 2/15 + 5/8 · 0 = 0.05.
    y = [0, 0, 1, 1, 1, 0, 1, 1]
    p = [0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.05)
    curve = reliability_curve(y, p, n_bins=2)
    assert list(curve.columns) == ["bin", "mean_predicted", "observed_rate", "count"]
    assert curve["count"].tolist() == [3, 5]
    assert curve["mean_predicted"].tolist() == pytest.approx([0.2, 0.8])
    assert curve["observed_rate"].tolist() == pytest.approx([1 / 3, 0.8])


def test_ece_is_zero_when_each_bin_matches_and_quantile_bins_are_balanced() -> None:
    # Every bin's mean prediction equals its bad rate.
    y = [0, 1, 0, 1, 1, 1, 1, 0]
    p = [0.5, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75, 0.75]
    assert expected_calibration_error(y, p, n_bins=4) == pytest.approx(0.0)
    rng = np.random.default_rng(1)
    probs = rng.random(1000)
    curve = reliability_curve((rng.random(1000) < probs).astype(int), probs, strategy="quantile")
    assert curve["count"].tolist() == [100] * 10


def test_psi_hand_example_four_bins() -> None:
    # Reference 1,2,3,4 → cut points at its quartiles 1.75, 2.5, 3.25, so each bucket holds 25%.
    # Actual shares 4/10, 3/10, 2/10, 1/10:
    #   .15·ln(1.6) + .05·ln(1.2) + (−.05)·ln(0.8) + (−.15)·ln(0.4)
    #   = .0705006 + .0091161 + .0111572 + .1374436 = 0.2282175
    actual = [1, 1, 1, 1, 2, 2, 2, 3, 3, 4]
    assert psi([1, 2, 3, 4], actual, bins=4) == pytest.approx(0.2282175, abs=1e-6)


def test_psi_identical_samples_is_zero_and_same_distribution_is_stable() -> None:
    rng = np.random.default_rng(7)
    sample = rng.normal(size=5000)
    assert psi(sample, sample) == pytest.approx(0.0, abs=1e-12)
    assert psi(sample, rng.normal(size=5000)) < 0.10


def test_psi_of_shifted_normal_calls_for_action() -> None:
    rng = np.random.default_rng(7)
    value = psi(rng.normal(size=5000), rng.normal(loc=1.0, size=5000))
    assert value > 0.25
    assert psi_band(value) == "act"


def test_psi_open_ended_buckets_catch_values_outside_the_reference_range() -> None:
    # Everything in actual lies above the reference maximum: it all lands in the last bucket,
    # which held 1/2 of the reference. Shares: e = (.5, .5), a = (eps, 1).
    # PSI = (eps − .5)·ln(eps/.5) + (1 − .5)·ln(1/.5)
    expected = psi([1.0, 1.0, 2.0, 2.0], [10.0, 20.0], bins=2)
    by_hand = (PSI_EPSILON - 0.5) * math.log(PSI_EPSILON / 0.5) + 0.5 * math.log(2)
    assert expected == pytest.approx(by_hand)


def test_psi_merges_tied_cut_points() -> None:
    # 90% zeros: all interior deciles tie at 0, so buckets collapse without raising.
    reference = np.array([0.0] * 90 + [1.0] * 10)
    assert psi(reference, reference) == pytest.approx(0.0, abs=1e-12)
    assert psi(reference, np.array([0.0] * 50 + [1.0] * 50)) > 0.25


def test_psi_treats_missing_values_as_their_own_bucket() -> None:
    reference = [1.0, 2.0, 3.0, 4.0]
    assert psi(reference + [np.nan] * 4, reference + [np.nan] * 4) == pytest.approx(0.0)
    assert psi(reference, reference + [np.nan] * 4) > 0.25


def test_psi_categorical_hand_example_and_unseen_category() -> None:
    # Shares a/b: expected .5/.5, actual .7/.3:
    #   .2·ln(1.4) + (−.2)·ln(.6) = .0672944 + .1021651 = 0.1694595
    assert psi_categorical(["a", "b"], list("aaaaaaabbb")) == pytest.approx(0.1694595, abs=1e-6)
    # "c" never appeared in the reference: its own bucket with an expected share of eps.
    # Shares a/b/c: e = .5/.5/eps, a = .25/.25/.5.
    by_hand = 2 * (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.5 - PSI_EPSILON) * math.log(
        0.5 / PSI_EPSILON
    )
    assert psi_categorical(["a", "b"], ["a", "b", "c", "c"]) == pytest.approx(by_hand)


@pytest.mark.parametrize(
    ("value", "band"),
    [(0.0, "stable"), (0.0999, "stable"), (0.10, "watch"), (0.25, "watch"), (0.2501, "act")],
)
def test_psi_band_boundaries(value: float, band: str) -> None:
    assert psi_band(value) == band


def test_decile_table_on_hand_example() -> None:
    table = decile_table(Y8, S8, n_bands=4)
    # Bands of two: (.9 B, .8 B), (.7 G, .6 B), (.5 G, .4 G), (.3 B, .2 G); overall bad rate .5.
    assert table["band"].tolist() == [1, 2, 3, 4]
    assert table["bads"].tolist() == [2, 1, 0, 1]
    assert table["goods"].tolist() == [0, 1, 2, 1]
    assert table["bad_rate"].tolist() == pytest.approx([1.0, 0.5, 0.0, 0.5])
    assert table["lift"].tolist() == pytest.approx([2.0, 1.0, 0.0, 1.0])
    # Cumulative bads 2,3,3,4 of 4 and goods 0,1,3,4 of 4 → KS .5, .5, 0, 0.
    assert table["cumulative_ks"].tolist() == pytest.approx([0.5, 0.5, 0.0, 0.0])
    # Cumulative bad rate 2/2, 3/4, 3/6, 4/8 over .5.
    assert table["cumulative_lift"].tolist() == pytest.approx([2.0, 1.5, 1.0, 1.0])
    assert table["min_score"].tolist() == pytest.approx([0.8, 0.6, 0.4, 0.2])
    assert table["max_score"].tolist() == pytest.approx([0.9, 0.7, 0.5, 0.3])


def test_decile_table_counts_and_cumulative_ks_agree_with_ks() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=500)
    score = rng.normal(loc=y, size=500)  # continuous, so tie-free
    table = decile_table(y, score)
    assert len(table) == 10
    assert table["count"].sum() == 500
    assert table["bads"].sum() == y.sum()
    assert table["cumulative_bad_share"].iloc[-1] == pytest.approx(1.0)
    ks = ks_statistic(y, score)
    assert table["cumulative_ks"].max() <= ks + 1e-9
    # With one row per band every cut point is a band edge, so the maxima coincide.
    assert decile_table(y, score, n_bands=500)["cumulative_ks"].max() == pytest.approx(ks, abs=1e-9)


def test_decile_table_riskiest_band_first_on_separable_scores() -> None:
    y = np.array([0] * 80 + [1] * 20)
    score = np.where(y == 1, 0.9, 0.1) + np.linspace(0, 0.05, 100)
    table = decile_table(y, score)
    assert table["bad_rate"].iloc[0] == table["bad_rate"].max() == 1.0
    assert table["lift"].iloc[0] == pytest.approx(5.0)


def test_decile_table_keeps_tied_scores_in_one_band() -> None:
    table = decile_table([1, 0, 1, 0, 0, 0], [0.5, 0.5, 0.5, 0.5, 0.1, 0.1], n_bands=3)
    assert table["count"].tolist() == [4, 2]
    assert table["bads"].tolist() == [2, 0]


def test_classification_metrics_hand_values() -> None:
    m = classification_metrics(Y8, S8, threshold=0.5)
    # Rejected (prob >= .5): .9 .8 .7 .6 .5 → TP 3 (.9 .8 .6), FP 2; FN 1 (.3).
    assert m["precision"] == pytest.approx(3 / 5)
    assert m["recall"] == pytest.approx(3 / 4)
    assert m["f1"] == pytest.approx(2 * 0.6 * 0.75 / (0.6 + 0.75))
    assert m["approval_rate"] == pytest.approx(3 / 8)
    assert m["bad_rate"] == pytest.approx(0.5)
    assert m["auc"] == pytest.approx(0.75)
    assert m["gini"] == pytest.approx(0.5)
    assert m["ks"] == pytest.approx(0.5)
    # Brier: bads (1−p)² = .01 .04 .16 .49, goods p² = .49 .25 .16 .04 → 1.64 / 8.
    assert m["brier"] == pytest.approx(1.64 / 8)
    log_loss = -np.mean(np.log([0.9, 0.8, 0.6, 0.3, 0.3, 0.5, 0.6, 0.8]))
    assert m["log_loss"] == pytest.approx(log_loss)
    assert set(m) == {
        "auc",
        "pr_auc",
        "ks",
        "gini",
        "brier",
        "ece",
        "log_loss",
        "precision",
        "recall",
        "f1",
        "approval_rate",
        "bad_rate",
    }
    assert all(isinstance(v, float) for v in m.values())


def test_log_loss_stays_finite_on_confident_misses() -> None:
    m = classification_metrics([0, 1], [1.0, 0.0], threshold=0.5)
    assert math.isfinite(m["log_loss"])
    assert m["log_loss"] > 30


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ks_statistic([0, 1, 1], [0.1, 0.2]), "mismatched lengths: y_true has 3"),
        (lambda: ks_statistic([], []), "y_true: is empty"),
        (lambda: ks_statistic([1, 1, 1], [0.1, 0.2, 0.3]), "y_true: only bads"),
        (lambda: gini_coefficient([0, 0], [0.1, 0.2]), "y_true: only goods"),
        (lambda: ks_statistic([0, 2], [0.1, 0.2]), "y_true: labels must be 0/1"),
        (lambda: ks_statistic([0, 1], [0.1, np.nan]), "y_score: 1 missing"),
        (lambda: expected_calibration_error([0, 1], [0.1, 1.2]), "y_prob: 1 values outside"),
        (lambda: classification_metrics([0, 1], [-0.1, 0.5], 0.5), "y_prob: 1 values outside"),
        (lambda: classification_metrics([0, 1], [0.1, 0.5], 1.5), "threshold:"),
        (lambda: reliability_curve([0, 1], [0.1, 0.5], strategy="kmeans"), "strategy:"),
        (lambda: ks_statistic([[0, 1]], [[0.1, 0.2]]), "y_true: expected a 1-D array"),
        (lambda: psi([], [1.0]), "expected: is empty"),
        (lambda: psi([1.0, 2.0], [1.0], bins=1), "bins:"),
        (lambda: psi([1.0], ["a"]), "actual: values must be numeric"),
        (lambda: psi_categorical(["a"], []), "actual: is empty"),
        (lambda: psi_band(-0.1), "value:"),
        (lambda: decile_table([0, 1], [0.1, 0.2], n_bands=0), "n_bands:"),
        (lambda: gini(1.2), "auc:"),
    ],
)
def test_bad_inputs_raise_naming_the_argument(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
