"""Discrimination, calibration and stability metrics a model validator expects, as pure functions.

Conventions: `y_true` is 1 for a bad (defaulted) loan and 0 for a good one; `y_score` / `y_prob`
is the model's risk, so higher means riskier. Inputs may be numpy arrays, lists or pandas Series.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

__all__ = [
    "PSI_ACT",
    "PSI_EPSILON",
    "PSI_WATCH",
    "check_labels",
    "check_probabilities",
    "check_same_length",
    "check_scores",
    "classification_metrics",
    "decile_table",
    "expected_calibration_error",
    "gini",
    "gini_coefficient",
    "ks_statistic",
    "psi",
    "psi_band",
    "psi_categorical",
    "reliability_curve",
]

# Floor for a bucket's share in PSI: an empty bucket would make ln(a/e) infinite. 1e-4 (0.01%)
# keeps one unseen bucket at a PSI of roughly share·ln(share/1e-4): loud, but finite.
PSI_EPSILON = 1e-4
PSI_WATCH = 0.10
PSI_ACT = 0.25
# Probabilities are clipped this far from 0 and 1 in the log loss, so a confident miss is finite.
LOG_LOSS_EPSILON = 1e-15
MISSING_CATEGORY = "<missing>"

Strategy = Literal["uniform", "quantile"]


def _as_1d(values: Any, name: str) -> NDArray[Any]:
    """A non-empty 1-D numpy array from an array, list or Series."""
    arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: is empty; pass at least one value")
    return arr


def _as_float(values: Any, name: str) -> NDArray[np.float64]:
    """A non-empty 1-D float array; missing values become NaN."""
    if isinstance(values, pd.Series | pd.Index):
        try:
            values = values.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: values must be numeric ({exc})") from exc
    arr = _as_1d(values, name)
    try:
        return arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: values must be numeric ({exc})") from exc


def _count_nan(arr: NDArray[np.float64], name: str) -> None:
    missing = int(np.isnan(arr).sum())
    if missing:
        raise ValueError(f"{name}: {missing} missing (NaN) values; drop or impute them first")


def check_labels(values: Any, name: str = "y_true") -> NDArray[np.int64]:
    """Binary labels (1 = bad) as an int array; raises ValueError naming `name` otherwise."""
    arr = _as_float(values, name)
    _count_nan(arr, name)
    invalid = ~np.isin(arr, (0.0, 1.0))
    if invalid.any():
        examples = ", ".join(str(v) for v in np.unique(arr[invalid])[:5])
        raise ValueError(f"{name}: labels must be 0/1 (or bool), found {examples}")
    return arr.astype(np.int64)


def check_scores(values: Any, name: str = "y_score") -> NDArray[np.float64]:
    """Finite real-valued scores as a float array; raises ValueError naming `name` otherwise."""
    arr = _as_float(values, name)
    _count_nan(arr, name)
    if np.isinf(arr).any():
        raise ValueError(f"{name}: {int(np.isinf(arr).sum())} infinite values")
    return arr


def check_probabilities(values: Any, name: str = "y_prob") -> NDArray[np.float64]:
    """Probabilities in [0, 1] as a float array; raises ValueError naming `name` otherwise."""
    arr = check_scores(values, name)
    outside = (arr < 0) | (arr > 1)
    if outside.any():
        raise ValueError(
            f"{name}: {int(outside.sum())} values outside [0, 1] "
            f"(min {arr.min():g}, max {arr.max():g}); pass probabilities, not scores or logits"
        )
    return arr


def check_same_length(**arrays: NDArray[Any]) -> None:
    """Raise ValueError naming the arguments when the arrays differ in length."""
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"mismatched lengths: {detail}; pass one value per loan")


def _check_both_classes(y: NDArray[np.int64], name: str) -> None:
    bads = int(y.sum())
    if bads == 0 or bads == y.size:
        only = "bads" if bads else "goods"
        raise ValueError(f"{name}: only {only} ({y.size} rows); this metric needs both classes")


def _labels_and_scores(
    y_true: Any, y_score: Any, score_name: str, probabilities: bool
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    y = check_labels(y_true, "y_true")
    s = (
        check_probabilities(y_score, score_name)
        if probabilities
        else check_scores(y_score, score_name)
    )
    check_same_length(y_true=y, **{score_name: s})
    return y, s


def ks_statistic(y_true: Any, y_score: Any) -> float:
    """Two-sample Kolmogorov-Smirnov: the largest gap between the score CDFs of bads and goods."""
    y, s = _labels_and_scores(y_true, y_score, "y_score", probabilities=False)
    _check_both_classes(y, "y_true")
    bads, goods = np.sort(s[y == 1]), np.sort(s[y == 0])
    grid = np.unique(s)
    cdf_bad = np.searchsorted(bads, grid, side="right") / bads.size
    cdf_good = np.searchsorted(goods, grid, side="right") / goods.size
    return float(np.max(np.abs(cdf_bad - cdf_good)))


def gini(auc: float) -> float:
    """Gini (accuracy ratio) from an AUC: 2·AUC − 1."""
    if not 0.0 <= auc <= 1.0:
        raise ValueError(f"auc: {auc} is outside [0, 1]")
    return 2.0 * auc - 1.0


def gini_coefficient(y_true: Any, y_score: Any) -> float:
    """Gini of the scores: 2·AUC − 1."""
    y, s = _labels_and_scores(y_true, y_score, "y_score", probabilities=False)
    _check_both_classes(y, "y_true")
    return gini(float(roc_auc_score(y, s)))


def _bin_index(p: NDArray[np.float64], n_bins: int, strategy: Strategy) -> NDArray[np.int64]:
    if strategy == "uniform":
        # Left-closed bins [k/n, (k+1)/n); a probability of exactly 1 joins the last bin.
        return np.clip(np.floor(p * n_bins), 0, n_bins - 1).astype(np.int64)
    if strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1)))
        return np.searchsorted(edges[1:-1], p, side="right").astype(np.int64)
    raise ValueError(f"strategy: expected 'uniform' or 'quantile', got {strategy!r}")


def reliability_curve(
    y_true: Any, y_prob: Any, n_bins: int = 10, strategy: Strategy = "uniform"
) -> pd.DataFrame:
    """Per probability bin: mean predicted probability, observed bad rate and count (empty bins dropped)."""
    y, p = _labels_and_scores(y_true, y_prob, "y_prob", probabilities=True)
    if n_bins < 1:
        raise ValueError(f"n_bins: must be at least 1, got {n_bins}")
    frame = pd.DataFrame({"bin": _bin_index(p, n_bins, strategy) + 1, "p": p, "y": y})
    curve = frame.groupby("bin", sort=True).agg(
        mean_predicted=("p", "mean"), observed_rate=("y", "mean"), count=("y", "size")
    )
    return curve.reset_index()


def expected_calibration_error(
    y_true: Any, y_prob: Any, n_bins: int = 10, strategy: Strategy = "uniform"
) -> float:
    """Count-weighted mean of |mean predicted − observed bad rate| over probability bins."""
    curve = reliability_curve(y_true, y_prob, n_bins=n_bins, strategy=strategy)
    gaps = (curve["mean_predicted"] - curve["observed_rate"]).abs()
    return float((gaps * curve["count"]).sum() / curve["count"].sum())


def _psi_from_counts(
    expected_counts: NDArray[Any], actual_counts: NDArray[Any], epsilon: float
) -> float:
    e = np.maximum(expected_counts / expected_counts.sum(), epsilon)
    a = np.maximum(actual_counts / actual_counts.sum(), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def _check_epsilon(epsilon: float) -> None:
    if not 0.0 < epsilon < 1.0:
        raise ValueError(f"epsilon: must be in (0, 1), got {epsilon}")


def psi(expected: Any, actual: Any, bins: int = 10, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index of a numeric variable: Σ (a − e)·ln(a / e) over buckets.

    Buckets are cut at the quantiles of `expected` (the reference); duplicate cut points from tied
    values are merged, so a lumpy reference gives fewer buckets. The first and last buckets are
    open-ended, so actual values outside the reference range still land in a bucket. Missing
    values (NaN) form their own bucket. A bucket's share is floored at `epsilon` so an empty
    bucket gives a large but finite term.
    """
    if bins < 2:
        raise ValueError(f"bins: must be at least 2, got {bins}")
    _check_epsilon(epsilon)
    e = _as_float(expected, "expected")
    a = _as_float(actual, "actual")
    reference = e[~np.isnan(e)]
    if reference.size == 0:
        raise ValueError("expected: all values are missing; nothing to cut buckets from")
    if np.isinf(e).any() or np.isinf(a).any():
        raise ValueError("expected/actual: infinite values; replace them before computing PSI")
    # Interior cut points only: buckets are (-inf, c1], (c1, c2], ..., (ck, inf).
    cuts = np.unique(np.quantile(reference, np.linspace(0.0, 1.0, bins + 1)[1:-1]))

    def counts(x: NDArray[np.float64]) -> NDArray[np.int64]:
        present = x[~np.isnan(x)]
        in_range = np.bincount(np.searchsorted(cuts, present, side="left"), minlength=cuts.size + 1)
        return np.append(in_range, x.size - present.size)

    return _psi_from_counts(counts(e), counts(a), epsilon)


def psi_categorical(expected: Any, actual: Any, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index of a categorical variable, one bucket per category.

    Categories seen only in `actual` get their own bucket with an expected share of `epsilon`;
    missing values are the category "<missing>".
    """
    _check_epsilon(epsilon)
    e = pd.Series(_as_1d(expected, "expected"), dtype=object).fillna(MISSING_CATEGORY)
    a = pd.Series(_as_1d(actual, "actual"), dtype=object).fillna(MISSING_CATEGORY)
    table = pd.concat([e.value_counts(), a.value_counts()], axis=1).fillna(0)
    return _psi_from_counts(table.iloc[:, 0].to_numpy(), table.iloc[:, 1].to_numpy(), epsilon)


def psi_band(value: float) -> Literal["stable", "watch", "act"]:
    """The action band of a PSI: below 0.10 stable, 0.10-0.25 watch, above 0.25 act."""
    if np.isnan(value) or value < 0:
        raise ValueError(f"value: a PSI is a non-negative number, got {value}")
    if value < PSI_WATCH:
        return "stable"
    if value <= PSI_ACT:
        return "watch"
    return "act"


def decile_table(y_true: Any, y_score: Any, n_bands: int = 10) -> pd.DataFrame:
    """Gains table by score band, band 1 the riskiest: counts, bad rate, cumulative KS and lift.

    Bands hold about n / n_bands rows each; tied scores stay in one band, so with many ties a
    band can be larger and fewer bands may come out.
    """
    y, s = _labels_and_scores(y_true, y_score, "y_score", probabilities=False)
    _check_both_classes(y, "y_true")
    if n_bands < 1:
        raise ValueError(f"n_bands: must be at least 1, got {n_bands}")
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    band = np.arange(s.size) * n_bands // s.size
    # Every row takes the band of the first row with the same score, then bands are renumbered.
    band = band[np.searchsorted(-s_sorted, -s_sorted, side="left")]
    band = np.unique(band, return_inverse=True)[1] + 1
    table = (
        pd.DataFrame({"band": band, "score": s_sorted, "bad": y_sorted})
        .groupby("band", sort=True)
        .agg(
            min_score=("score", "min"),
            max_score=("score", "max"),
            count=("bad", "size"),
            bads=("bad", "sum"),
        )
        .reset_index()
    )
    total_bads, total_goods = int(y.sum()), int(y.size - y.sum())
    overall_bad_rate = total_bads / y.size
    table["goods"] = table["count"] - table["bads"]
    table["bad_rate"] = table["bads"] / table["count"]
    table["cumulative_bad_share"] = table["bads"].cumsum() / total_bads
    table["cumulative_good_share"] = table["goods"].cumsum() / total_goods
    table["cumulative_ks"] = (table["cumulative_bad_share"] - table["cumulative_good_share"]).abs()
    table["lift"] = table["bad_rate"] / overall_bad_rate
    cumulative_bad_rate = table["bads"].cumsum() / table["count"].cumsum()
    table["cumulative_lift"] = cumulative_bad_rate / overall_bad_rate
    return table


def classification_metrics(y_true: Any, y_prob: Any, threshold: float) -> dict[str, float]:
    """Discrimination, calibration and decision metrics; a loan is rejected when prob >= threshold."""
    y, p = _labels_and_scores(y_true, y_prob, "y_prob", probabilities=True)
    _check_both_classes(y, "y_true")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold: {threshold} is outside [0, 1]")
    rejected = (p >= threshold).astype(np.int64)
    clipped = np.clip(p, LOG_LOSS_EPSILON, 1 - LOG_LOSS_EPSILON)
    auc = float(roc_auc_score(y, p))
    return {
        "auc": auc,
        "pr_auc": float(average_precision_score(y, p)),
        "ks": ks_statistic(y, p),
        "gini": gini(auc),
        "brier": float(brier_score_loss(y, p)),
        "ece": expected_calibration_error(y, p),
        "log_loss": float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))),
        "precision": float(precision_score(y, rejected, zero_division=0)),
        "recall": float(recall_score(y, rejected, zero_division=0)),
        "f1": float(f1_score(y, rejected, zero_division=0)),
        "approval_rate": float(1.0 - rejected.mean()),
        "bad_rate": float(y.mean()),
    }
