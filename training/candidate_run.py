"""Train one candidate from a training plan, as a run nested under the plan's parent run."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from credit_risk.artifact.scoring_model import CreditRiskModel
from training.candidate_logging import log_candidate
from training.candidates import BOOSTING_THREADS, CANDIDATES
from training.evaluate import Evaluation, evaluate
from training.monotonicity import monotone_violations, worst_violation
from training.plan import TrainingPlan
from training.reason_reference import cut_off_reference
from training.run_datasets import log_split
from training.stability import stability_table, stress_metrics
from training.tune import calibrate, search

__all__ = ["CandidateOutcome", "train_candidate"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CandidateOutcome:
    """One trained candidate: its nested run, validation and test metrics, and threshold."""

    name: str
    run_id: str
    metrics: dict[str, float]
    threshold: float
    # Calibrated PDs on the validation rows, in order: for paired comparisons when choosing.
    validation_scores: npt.NDArray[np.float64] | None = None


def _train_one(plan: TrainingPlan, name: str) -> Evaluation:
    """Search, calibrate, evaluate and log one candidate inside the active nested run."""
    import mlflow

    split, spec, target = plan.split, plan.spec, plan.target
    timings: dict[str, float] = {}
    started = time.perf_counter()
    found = search(
        name,
        split.train,
        split.train[target].astype(int),
        spec,
        n_trials=plan.n_trials,
        timeout=plan.timeout,
        folds=plan.folds,
        seed=plan.seed,
        sample_rows=plan.search_sample_rows,
    )
    timings["search_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    calibrated, method = calibrate(
        found.pipeline,
        split.validation,
        split.validation[target].astype(int),
        CANDIDATES[name].calibration or plan.calibration,
    )
    timings["calibrate_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    evaluation = evaluate(calibrated, split.validation, split.test, target=target, costs=plan.costs)
    shares = monotone_violations(calibrated, split.validation, spec.columns, seed=plan.seed)
    worst, share = worst_violation(shares)
    evaluation.metrics["val_monotone_violation_share"] = share
    if worst is not None and share > 0:
        broken = {f: round(v, 4) for f, v in shares.items() if v > 0}
        mlflow.set_tag("monotone_violations", str(broken)[:5000])
        log.warning(
            "%s: risk moves against %s for %.1f%% of rows; it cannot become the champion",
            name,
            worst,
            100 * share,
        )
    model = CreditRiskModel(
        calibrated,
        found.pipeline,
        candidate=name,
        threshold=evaluation.threshold.threshold,
        scaling=plan.scaling.as_dict(),
        features=spec.columns,
        reason_reference=cut_off_reference(
            calibrated, split.validation, spec.columns, evaluation.threshold.threshold
        ),
    )
    stability = stability_table(
        calibrated,
        split,
        target=target,
        threshold=evaluation.threshold.threshold,
        stress=plan.stress,
        scored={"validation": evaluation.p_validation, "test": evaluation.p_test},
    )
    evaluation.metrics.update(stress_metrics(stability))
    timings["evaluate_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    log_candidate(plan, found, method, evaluation, model, stability)
    timings["log_seconds"] = time.perf_counter() - started
    mlflow.log_metrics(timings)
    m = evaluation.metrics
    log.info(
        "%s: search %.1f s (%d trials, CV AUC %.3f), calibrate %.1f s, evaluate %.1f s, "
        "log %.1f s; val AUC %.3f, test AUC %.3f KS %.3f, threshold %.2f",
        name,
        timings["search_seconds"],
        found.trials,
        found.cv_auc,
        timings["calibrate_seconds"],
        timings["evaluate_seconds"],
        timings["log_seconds"],
        m["val_auc"],
        m["test_auc"],
        m["test_ks"],
        evaluation.threshold.threshold,
    )
    return evaluation


def train_candidate(plan: TrainingPlan, name: str) -> CandidateOutcome:
    """Train one candidate in its own run nested under the plan's parent; raises if it fails."""
    import mlflow
    from mlflow import MlflowClient
    from threadpoolctl import threadpool_limits

    # A worker process of another machine knows nothing of the flow's tracking URI.
    if mlflow.get_tracking_uri() != plan.tracking_uri:
        mlflow.set_tracking_uri(plan.tracking_uri)
    run_id: str | None = None
    try:
        with (
            mlflow.start_run(
                run_name=name,
                nested=True,
                parent_run_id=plan.parent_run_id,
                experiment_id=plan.experiment_id,
            ) as run,
            threadpool_limits(BOOSTING_THREADS),
        ):
            run_id = run.info.run_id
            log_split(run_id, plan.datasets)
            evaluation = _train_one(plan, name)
    except Exception as exc:
        log.exception("%s: training failed", name)
        if run_id is not None:
            MlflowClient().set_tag(run_id, "error", f"{type(exc).__name__}: {exc}"[:5000])
        raise
    return CandidateOutcome(
        name=name,
        run_id=run_id,
        metrics={k: v for k, v in evaluation.metrics.items() if k.startswith(("val_", "test_"))},
        threshold=evaluation.threshold.threshold,
        validation_scores=evaluation.p_validation,
    )
