"""Choose the best trained candidate and close the parent run: the end of a training run."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from training.candidate_run import CandidateOutcome
from training.plan import TrainingPlan

__all__ = ["TrainingResult", "abandon_training", "best_candidate", "finish_training"]

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


def best_candidate(metrics: dict[str, dict[str, float]]) -> str:
    """Highest validation AUC among monotone candidates; ties go to the lower validation Brier.

    A candidate whose risk can fall as DTI (or any monotone feature) rises is not eligible while
    another one respects every direction.
    """
    monotone = [n for n in metrics if metrics[n].get("val_monotone_violation_share", 0.0) == 0.0]
    if not monotone:
        log.warning("no candidate respects every monotone direction; choosing among all")
    eligible = monotone or list(metrics)
    return min(
        eligible,
        key=lambda name: (-round(metrics[name]["val_auc"], 10), metrics[name]["val_brier"]),
    )


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
    best = best_candidate(metrics)
    client = MlflowClient()
    now = int(time.time() * 1000)
    client.log_batch(
        plan.parent_run_id,
        metrics=[
            Metric(f"best_{k}", v, now, 0)
            for k, v in metrics[best].items()
            if k.endswith(("_auc", "_ks", "_gini", "_brier", "_ece"))
        ],
        tags=[RunTag("best_candidate", best), RunTag("best_run_id", by_name[best].run_id)],
    )
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
    )


def abandon_training(plan: TrainingPlan, reason: str) -> None:
    """Mark the parent run failed with the reason, so no run is left looking in progress."""
    from mlflow import MlflowClient

    client = MlflowClient()
    client.set_tag(plan.parent_run_id, "error", reason[:5000])
    client.set_terminated(plan.parent_run_id, "FAILED")
