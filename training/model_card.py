"""The model card: a Markdown page per candidate run that a model validator can read on its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pandas as pd

from credit_risk.artifact.scaling import ScoreScaling
from training.evaluate import Evaluation
from training.stability import STRESS_SEGMENT

__all__ = ["render_model_card"]

HEADLINE_METRICS = (
    "auc",
    "gini",
    "ks",
    "pr_auc",
    "brier",
    "ece",
    "log_loss",
    "recall",
    "precision",
    "approval_rate",
    "bad_rate",
    "rows",
)

LIMITATIONS = (
    "Trained on {kind} split data; performance outside the data window is not guaranteed.",
    "Probabilities are calibrated on the validation window only; recalibrate if the bad rate shifts.",
    "SHAP importances explain the uncalibrated model output, not the calibrated PD.",
    "Protected attributes (gender, age band) are excluded from the features but proxies "
    "(e.g. age in years, income) may remain; the disparate-impact check above is the safeguard.",
    "The threshold minimises the configured cost matrix on validation; change the costs and it moves.",
)


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_model_card(
    *,
    candidate: str,
    evaluation: Evaluation,
    boundaries: Mapping[str, str],
    row_counts: Mapping[str, int],
    features: list[str],
    params: Mapping[str, object],
    scaling: ScoreScaling,
    calibration: str,
    split_kind: str,
    lineage: Mapping[str, str] | None = None,
    stability: pd.DataFrame | None = None,
) -> str:
    """The model card as Markdown."""
    m = evaluation.metrics
    t = evaluation.threshold
    parts = [
        f"# Model card: {candidate}",
        f"Generated {datetime.now(UTC).isoformat(timespec='seconds')}.",
        "## Intended use",
        "Probability of default (PD) for a loan application at decision time, a 300-850 score "
        "and an approve/reject decision at the cost-optimal threshold.",
        "## Data window",
        _table([(k, v) for k, v in boundaries.items()], ("boundary", "date"))
        if boundaries
        else f"Random stratified 60/20/20 split ({split_kind}); no date column.",
        _table([(k, f"{v:,}") for k, v in row_counts.items()], ("part", "rows")),
    ]
    if lineage:
        parts += ["## Lineage", _table([(k, str(v)) for k, v in lineage.items()], ("key", "value"))]
    parts += [
        "## Features",
        f"{len(features)} features: " + ", ".join(f"`{f}`" for f in features) + ".",
        "## Model",
        f"Calibration: {calibration} on the validation window (never test).",
        _table([(k, str(v)) for k, v in params.items()], ("hyperparameter", "value")),
        "## Metrics (at the chosen threshold)",
        _table(
            [
                (
                    name,
                    f"{m.get('val_' + name, float('nan')):.4f}",
                    f"{m.get('test_' + name, float('nan')):.4f}",
                )
                for name in HEADLINE_METRICS
            ],
            ("metric", "validation", "test (out of time)" if split_kind == "time" else "test"),
        ),
        "## Threshold",
        f"Reject when PD ≥ **{t.threshold:.2f}** (cheapest on validation: cost "
        f"{t.total_cost:,.0f} vs {t.cost_at_0_5:,.0f} at 0.5). On test the threshold saves "
        f"{m['test_expected_saving']:,.0f} ({m['test_saving_share']:.1%}) against 0.5.",
        "## Score scaling",
        f"score = offset + factor·ln((1−PD)/PD), base score {scaling.base_score:g} at odds "
        f"{scaling.base_odds:g}:1, {scaling.pdo:g} points to double the odds, clipped to "
        f"{scaling.min_score}-{scaling.max_score}. PD 1% → {int(scaling.to_score(0.01))}, "
        f"15% → {int(scaling.to_score(0.15))}, 60% → {int(scaling.to_score(0.60))}; "
        f"the threshold PD {t.threshold:.2f} → {int(scaling.to_score(t.threshold))}.",
        "## Fairness (test approvals, four-fifths rule)",
    ]
    if evaluation.fairness:
        rows = [
            (
                attr,
                r.reference_group,
                r.worst_group,
                f"{r.min_ratio:.3f}",
                "pass" if r.passes_four_fifths else "FAIL",
            )
            for attr, r in evaluation.fairness.items()
        ]
        parts.append(
            _table(rows, ("attribute", "reference", "worst group", "min ratio", "4/5 rule"))
        )
    else:
        parts.append("Not computed: the data has no protected attributes.")
    if stability is not None:
        parts += ["## Stability and stress", *_stability_section(stability)]
    parts += ["## Limitations", "\n".join("- " + s.format(kind=split_kind) for s in LIMITATIONS)]
    return "\n\n".join(parts) + "\n"


def _figure(value: float, digits: int = 3) -> str:
    return "-" if pd.isna(value) else f"{value:.{digits}f}"


def _stability_section(table: pd.DataFrame) -> list[str]:
    stressed = table[table["segment"] == STRESS_SEGMENT]
    if stressed.empty:
        lead = "No stress scenario in this run (the pipeline builds a recession book for it)."
    else:
        row = stressed.iloc[0]
        lead = (
            f"Under the recession scenario ({int(row['rows']):,} applications with mature "
            f"labels) the bad rate is {row['bad_rate']:.1%}, AUC {_figure(row['auc'])}, KS "
            f"{_figure(row['ks'])}, approval rate {row['approval_rate']:.1%} and score PSI "
            f"{_figure(row['score_psi'])} against the training months."
        )
    rows = [
        (
            str(r.segment),
            str(r.period),
            f"{int(r.rows):,}",
            _figure(r.bad_rate),
            _figure(r.auc),
            _figure(r.ks),
            _figure(r.approval_rate),
            _figure(r.score_psi),
        )
        for r in table.itertuples()
    ]
    header = ("segment", "month", "rows", "bad rate", "AUC", "KS", "approval", "score PSI")
    return [
        lead,
        "AUC and KS are left out for months with fewer than 10 bads or goods.",
        "![AUC, bad rate, approval rate and score PSI per month](plots/stability.png)",
        _table(rows, header),
    ]
