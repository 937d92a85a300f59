"""How a candidate holds up month by month and under stress: what a validator reads before sign-off.

Each month of the development window (train, validation and test) and the stress scenario (a
recession book, when the run has one) gets its rows, bad rate, AUC, KS, approval rate at the
model's threshold and the PSI of its scores against the training months' scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from credit_risk.metrics import ks_statistic, psi
from training.data import Split

__all__ = ["STRESS_SEGMENT", "plot_stability", "stability_table", "stress_metrics"]

STRESS_SEGMENT = "stress: recession"
# A month with fewer bads than this gets no AUC or KS: the figure would be noise.
MIN_BADS = 10


def _row(
    segment: str,
    period: str,
    y: np.ndarray,
    pd_hat: np.ndarray,
    threshold: float,
    reference: np.ndarray,
) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    bads = int(y.sum())
    judged = bads >= MIN_BADS and len(y) - bads >= MIN_BADS
    return {
        "segment": segment,
        "period": period,
        "rows": len(y),
        "bad_rate": float(y.mean()) if len(y) else float("nan"),
        "auc": float(roc_auc_score(y, pd_hat)) if judged else float("nan"),
        "ks": float(ks_statistic(y, pd_hat)) if judged else float("nan"),
        "approval_rate": float((pd_hat < threshold).mean()) if len(y) else float("nan"),
        "score_psi": float(psi(reference, pd_hat)) if len(y) else float("nan"),
    }


def stability_table(
    model: Any,
    split: Split,
    *,
    target: str,
    threshold: float,
    stress: pd.DataFrame | None = None,
    scored: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per month of each split part (one row per part without dates), then stress.

    `scored` holds default probabilities already computed for a part (the evaluation's
    validation and test scores), in the part's row order; the others are scored here.
    """
    parts, date_col = split.parts(), split.date_col
    known = dict(scored or {})
    scores = {
        name: known[name] if name in known else np.asarray(model.predict_proba(f))[:, 1]
        for name, f in parts.items()
    }
    reference = scores["train"]
    rows: list[dict[str, Any]] = []
    for name, frame in parts.items():
        y = frame[target].astype(int).to_numpy()
        if date_col is None or date_col not in frame.columns:
            rows.append(_row(name, "all", y, scores[name], threshold, reference))
            continue
        months = pd.to_datetime(frame[date_col]).dt.strftime("%Y-%m").to_numpy()
        for month in sorted(set(months)):
            mask = months == month
            rows.append(_row(name, month, y[mask], scores[name][mask], threshold, reference))
    if stress is not None and not stress.empty:
        y = stress[target].astype(int).to_numpy()
        stressed = np.asarray(model.predict_proba(stress))[:, 1]
        rows.append(_row(STRESS_SEGMENT, "all", y, stressed, threshold, reference))
    return pd.DataFrame(rows)


def stress_metrics(table: pd.DataFrame) -> dict[str, float]:
    """Headline figures for MLflow: the stress row, and the worst month of the window."""
    monthly = table[table["segment"] != STRESS_SEGMENT]
    figures = {
        "stability_min_monthly_auc": float(monthly["auc"].min()),
        "stability_max_monthly_score_psi": float(monthly["score_psi"].max()),
        "stability_months": float(len(monthly)),
    }
    stressed = table[table["segment"] == STRESS_SEGMENT]
    if not stressed.empty:
        row = stressed.iloc[0]
        for key in ("rows", "bad_rate", "auc", "ks", "approval_rate", "score_psi"):
            figures[f"stress_{key}"] = float(row[key])
    return {k: v for k, v in figures.items() if np.isfinite(v)}


def plot_stability(table: pd.DataFrame, path: Path) -> None:
    """AUC, bad rate, approval rate and score PSI per month, with the stress scenario marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monthly = table[table["segment"] != STRESS_SEGMENT].reset_index(drop=True)
    stressed = table[table["segment"] == STRESS_SEGMENT]
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True)
    x = np.arange(len(monthly))
    panels = (
        ("auc", "AUC"),
        ("bad_rate", "Bad rate"),
        ("approval_rate", "Approval rate"),
        ("score_psi", "Score PSI vs train"),
    )
    for ax, (column, title) in zip(axes.ravel(), panels, strict=True):
        for segment, colour in (("train", "C0"), ("validation", "C1"), ("test", "C2")):
            part = monthly["segment"] == segment
            ax.plot(x[part], monthly.loc[part, column], "o-", color=colour, label=segment)
        if not stressed.empty:
            ax.axhline(
                float(stressed.iloc[0][column]), color="C3", linestyle="--", label="recession"
            )
        if column == "score_psi":
            ax.axhline(0.10, color="grey", linewidth=0.8, linestyle=":")
            ax.axhline(0.25, color="grey", linewidth=0.8, linestyle=":")
        ax.set_title(title)
    axes[0, 0].legend(fontsize=8)
    step = max(1, len(monthly) // 8)
    for ax in axes[1]:
        ax.set_xticks(x[::step], monthly["period"].iloc[::step], rotation=45, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
