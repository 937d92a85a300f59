"""Evaluation plots as small PNGs, and SHAP importance, drawn without pyplot's global state."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve
from sklearn.pipeline import Pipeline

from credit_risk.metrics import reliability_curve
from training.evaluate import Evaluation

__all__ = ["SHAP_SAMPLE_ROWS", "plot_shap_summary", "shap_importance", "write_plots"]

log = logging.getLogger(__name__)

SHAP_SAMPLE_ROWS = 2000
# Exact TreeSHAP on a deep random forest costs far more per row than on shallow boosters.
SHAP_SAMPLE_ROWS_FOREST = 500
FIGSIZE = (5.0, 4.0)
DPI = 90


def _figure() -> tuple[Figure, Any]:
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    return path


def _roc(e: Evaluation, path: Path) -> Path:
    fig, ax = _figure()
    for label, y, p in (
        ("validation", e.y_validation, e.p_validation),
        ("test", e.y_test, e.p_test),
    ):
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(
            fpr,
            tpr,
            label=f"{label} (AUC {e.metrics[('val_' if label == 'validation' else 'test_') + 'auc']:.3f})",
        )
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC")
    ax.legend(loc="lower right")
    return _save(fig, path)


def _pr(e: Evaluation, path: Path) -> Path:
    fig, ax = _figure()
    precision, recall, _ = precision_recall_curve(e.y_test, e.p_test)
    ax.plot(recall, precision, label=f"test (AP {e.metrics['test_pr_auc']:.3f})")
    ax.axhline(e.y_test.mean(), color="k", ls="--", lw=0.8, label="bad rate")
    ax.set(xlabel="Recall", ylabel="Precision", title="Precision-recall (test)")
    ax.legend()
    return _save(fig, path)


def _ks(e: Evaluation, path: Path) -> Path:
    fig, ax = _figure()
    grid = np.linspace(0, 1, 201)
    bads, goods = np.sort(e.p_test[e.y_test == 1]), np.sort(e.p_test[e.y_test == 0])
    cdf_bad = np.searchsorted(bads, grid, side="right") / bads.size
    cdf_good = np.searchsorted(goods, grid, side="right") / goods.size
    at = int(np.argmax(np.abs(cdf_good - cdf_bad)))
    ax.plot(grid, cdf_bad, label="bads")
    ax.plot(grid, cdf_good, label="goods")
    ax.vlines(grid[at], cdf_bad[at], cdf_good[at], colors="k", linestyles=":")
    ax.set(
        xlabel="Predicted default probability",
        ylabel="Cumulative share",
        title=f"KS (test) = {e.metrics['test_ks']:.3f}",
    )
    ax.legend()
    return _save(fig, path)


def _calibration(e: Evaluation, path: Path) -> Path:
    fig, ax = _figure()
    for label, y, p in (
        ("validation", e.y_validation, e.p_validation),
        ("test", e.y_test, e.p_test),
    ):
        curve = reliability_curve(y, p, n_bins=10, strategy="quantile")
        ax.plot(curve["mean_predicted"], curve["observed_rate"], "o-", label=label)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(
        xlabel="Mean predicted PD",
        ylabel="Observed bad rate",
        title=f"Reliability (test ECE {e.metrics['test_ece']:.3f})",
    )
    ax.legend()
    return _save(fig, path)


def _threshold_cost(e: Evaluation, path: Path) -> Path:
    fig, ax = _figure()
    ax.plot(e.validation_sweep["threshold"], e.validation_sweep["total_cost"], label="validation")
    ax.plot(e.test_sweep["threshold"], e.test_sweep["total_cost"], label="test")
    ax.axvline(
        e.threshold.threshold, color="k", ls=":", label=f"chosen {e.threshold.threshold:.2f}"
    )
    ax.set(xlabel="Threshold (reject if PD ≥ t)", ylabel="Total cost", title="Threshold cost")
    ax.legend()
    return _save(fig, path)


def write_plots(e: Evaluation, folder: Path) -> list[Path]:
    """ROC, PR, KS, reliability and threshold-cost PNGs into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _roc(e, folder / "roc.png"),
        _pr(e, folder / "pr.png"),
        _ks(e, folder / "ks.png"),
        _calibration(e, folder / "calibration.png"),
        _threshold_cost(e, folder / "threshold_cost.png"),
    ]


def shap_importance(pipeline: Pipeline, X: pd.DataFrame, seed: int = 42) -> pd.DataFrame:
    """Mean |SHAP| per encoded column on a sample, in the model's raw (uncalibrated) output."""
    model = pipeline[-1]
    is_forest = type(model).__name__ == "RandomForestClassifier"
    rows = SHAP_SAMPLE_ROWS_FOREST if is_forest else SHAP_SAMPLE_ROWS
    sample = X.sample(n=min(rows, len(X)), random_state=seed)
    encoded = pipeline[:-1].transform(sample)
    names = [str(n) for n in pipeline[:-1].get_feature_names_out()]
    if hasattr(model, "coef_"):
        # Linear SHAP with independent features: coefficient × deviation from the mean.
        values = model.coef_[0] * (encoded - encoded.mean(axis=0))
    else:
        with warnings.catch_warnings():
            # shap's import and its LightGBM output-shape notice are noise in training logs.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap

            values = shap.TreeExplainer(model).shap_values(encoded, check_additivity=False)
        values = np.asarray(values)
        if values.ndim == 3:  # (rows, features, classes) for sklearn forests
            values = values[..., 1]
    importance = pd.DataFrame(
        {"feature": names, "mean_abs_shap": np.abs(values).mean(axis=0)}
    ).sort_values("mean_abs_shap", ascending=False, ignore_index=True)
    return importance


def plot_shap_summary(importance: pd.DataFrame, path: Path, top: int = 15) -> Path:
    """Horizontal bars of the top features by mean |SHAP|."""
    head = importance.head(top).iloc[::-1]
    fig = Figure(figsize=(5.5, 0.3 * len(head) + 1.2), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.barh(head["feature"], head["mean_abs_shap"])
    ax.set(xlabel="mean |SHAP| (model output)", title="SHAP feature importance")
    return _save(fig, path)
