"""Choose the best trained candidate and close the parent run: the end of a training run."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from training.candidate_run import CandidateOutcome
from training.candidates import BENCHMARK
from training.plan import TrainingPlan
from training.significance import auc_gain

__all__ = [
    "NoEligibleCandidateError",
    "TrainingResult",
    "abandon_training",
    "best_candidate",
    "excluded_candidates",
    "finish_training",
]

log = logging.getLogger(__name__)


@dataclass
class TrainingResult:
    """What the registry needs: the runs, the best candidate's model URI, and its decision setup."""

    parent_run_id: str
    experiment: str
    best_candidate: str
    best_run_id: str
    model_uri: str
    metrics: dict[str, dict[str, float]]  # candidate → val_*/test_* metrics
    threshold: float
    scaling: dict[str, float]
    features: list[str]
    run_ids: dict[str, str] = field(default_factory=dict)  # candidate → nested run id
    boundaries: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # candidate → error message
    benchmark_run_id: str | None = None  # the scorecard's nested run, the first gate's benchmark


class NoEligibleCandidateError(RuntimeError):
    """Every trained candidate breaks a monotone direction (or was not asked for)."""


def excluded_candidates(
    metrics: dict[str, dict[str, float]], selectable: Sequence[str] | None = None
) -> dict[str, str]:
    """Candidate → why it may not become the champion; the rest are eligible."""
    reasons: dict[str, str] = {}
    for name, values in metrics.items():
        share = values.get("val_monotone_violation_share", 0.0)
        if share > 0:
            reasons[name] = (
                f"risk moves against a monotone direction for {100 * share:.1f}% of "
                "validation rows (its run's monotone_violations tag names the features)"
            )
        elif selectable is not None and name not in selectable:
            reasons[name] = "trained as the benchmark only"
    return reasons


def best_candidate(
    metrics: dict[str, dict[str, float]], selectable: Sequence[str] | None = None
) -> str:
    """Highest validation AUC among eligible candidates; ties go to the lower validation Brier.

    A candidate whose risk can fall as DTI (or any monotone feature) rises is never eligible;
    nor is one outside `selectable` (the benchmark, when not asked for).
    """
    excluded = excluded_candidates(metrics, selectable)
    for name, reason in excluded.items():
        log.info("%s is not eligible: %s", name, reason)
    eligible = [n for n in metrics if n not in excluded]
    if not eligible:
        raise NoEligibleCandidateError(
            "no candidate may become the champion: "
            + "; ".join(f"{n}: {r}" for n, r in excluded.items())
        )
    return min(
        eligible,
        key=lambda name: (-round(metrics[name]["val_auc"], 10), metrics[name]["val_brier"]),
    )


def _prefer_the_benchmark(
    plan: TrainingPlan,
    by_name: dict[str, CandidateOutcome],
    best: str,
    selectable: Sequence[str],
) -> tuple[str, str]:
    """The scorecard, unless `best` beats it beyond noise on validation; and why, in words.

    On a small data set the candidates' validation AUCs sit within sampling noise of each other,
    so choosing the highest is choosing noise. The transparent model wins unless a more complex
    one is better with confidence (DeLong's lower bound on the validation AUC gain above zero).
    """
    benchmark = by_name.get(BENCHMARK)
    chosen = by_name[best]
    if (
        best == BENCHMARK
        or BENCHMARK not in selectable
        or benchmark is None
        or benchmark.metrics.get("val_monotone_violation_share", 0.0) > 0
        or benchmark.validation_scores is None
        or chosen.validation_scores is None
    ):
        return best, ""
    y = plan.split.validation[plan.target].astype(int).to_numpy()
    gain = auc_gain(y, chosen.validation_scores, benchmark.validation_scores)
    if gain.lower_bound > 0:
        return best, ""
    note = (
        f"{best} does not beat the scorecard beyond noise on validation (AUC gain "
        f"{gain.difference:+.4f}, {100 * gain.confidence:.0f}% lower bound {gain.lower_bound:+.4f}"
        f" on {gain.rows:,} rows): the scorecard is chosen"
    )
    log.info(note)
    return BENCHMARK, note


def finish_training(
    plan: TrainingPlan, outcomes: list[CandidateOutcome], failed: dict[str, str]
) -> TrainingResult:
    """Choose the best candidate, record it on the parent run and close it."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, RunTag

    if not outcomes:
        abandon_training(plan, f"every candidate failed: {failed}")
        raise RuntimeError(f"every candidate failed: {failed}")
    by_name = {o.name: o for o in outcomes}
    metrics = {o.name: o.metrics for o in outcomes}
    selectable = [n for n in metrics if plan.is_selectable(n)]
    try:
        best = best_candidate(metrics, selectable)
    except NoEligibleCandidateError as exc:
        abandon_training(plan, str(exc))
        raise
    excluded = excluded_candidates(metrics, selectable)
    best, simpler = _prefer_the_benchmark(plan, by_name, best, selectable)
    client = MlflowClient()
    now = int(time.time() * 1000)
    client.log_batch(
        plan.parent_run_id,
        metrics=[
            Metric(f"best_{k}", v, now, 0)
            for k, v in metrics[best].items()
            if k.endswith(("_auc", "_ks", "_gini", "_brier", "_ece"))
        ],
        tags=[
            RunTag("best_candidate", best),
            RunTag("best_run_id", by_name[best].run_id),
            *([RunTag("selection_note", simpler[:5000])] if simpler else []),
            *(RunTag(f"excluded.{n}", reason[:5000]) for n, reason in excluded.items()),
        ],
    )
    for name, reason in excluded.items():
        client.set_tag(by_name[name].run_id, "excluded_reason", reason)
    log_comparison(plan.parent_run_id, metrics, best, excluded)
    client.set_terminated(plan.parent_run_id, "FINISHED")
    log.info(
        "best candidate: %s (val AUC %.3f, test AUC %.3f, test KS %.3f)",
        best,
        metrics[best]["val_auc"],
        metrics[best]["test_auc"],
        metrics[best]["test_ks"],
    )
    return TrainingResult(
        parent_run_id=plan.parent_run_id,
        experiment=plan.experiment,
        best_candidate=best,
        best_run_id=by_name[best].run_id,
        model_uri=f"runs:/{by_name[best].run_id}/model",
        metrics=metrics,
        threshold=by_name[best].threshold,
        scaling=plan.scaling.as_dict(),
        features=plan.spec.columns,
        run_ids={o.name: o.run_id for o in outcomes},
        boundaries=plan.split.boundaries(),
        failed=failed,
        benchmark_run_id=by_name[BENCHMARK].run_id if BENCHMARK in by_name else None,
    )


COMPARED = ("val_auc", "test_auc", "test_ks", "test_gini", "test_brier", "test_ece")


def log_comparison(
    parent_run_id: str,
    metrics: dict[str, dict[str, float]],
    best: str,
    excluded: dict[str, str],
) -> None:
    """Every candidate side by side on the parent run: a table in MLflow's artifact view."""
    from mlflow import MlflowClient

    rows = [
        {
            "candidate": name,
            **{key: values.get(key) for key in COMPARED},
            "monotone_violation_share": values.get("val_monotone_violation_share"),
            "status": "champion candidate" if name == best else excluded.get(name, "eligible"),
        }
        for name, values in sorted(metrics.items(), key=lambda kv: -kv[1].get("val_auc", 0.0))
    ]
    MlflowClient().log_table(
        parent_run_id, data=pd.DataFrame(rows), artifact_file="candidates.json"
    )


def abandon_training(plan: TrainingPlan, reason: str) -> None:
    """Mark the parent run failed with the reason, so no run is left looking in progress."""
    from mlflow import MlflowClient

    client = MlflowClient()
    client.set_tag(plan.parent_run_id, "error", reason[:5000])
    client.set_terminated(plan.parent_run_id, "FAILED")
