"""Train every candidate, log each as a nested MLflow run, and pick the best by validation AUC."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from training.candidates import (
    BOOSTING_THREADS,
    CANDIDATES,
    CreditRiskModel,
    FeatureSpec,
)
from training.data import Split, data_hash, random_split, time_split
from training.evaluate import Evaluation, evaluate
from training.model_card import render_model_card
from training.monotonicity import monotone_violations, worst_violation
from training.plots import plot_shap_summary, shap_importance, write_plots
from training.scorecard import ScoreScaling
from training.threshold import CostMatrix
from training.tune import CalibrationMethod, calibrate, search

__all__ = [
    "DEFAULT_SCALING",
    "MODEL_PIP_REQUIREMENTS",
    "CandidateOutcome",
    "TrainingPlan",
    "TrainingResult",
    "abandon_training",
    "finish_training",
    "plan_training",
    "train_candidate",
    "train_candidates",
]

log = logging.getLogger(__name__)

# The scorecard's default (650 at 20:1, 50 points to double) spreads this population's PDs
# (about 1%-60%) over most of 300-850: PD 1% → 765, 15% → 559, 60% → 405.
DEFAULT_SCALING = ScoreScaling()
MODEL_PIP_REQUIREMENTS = tuple(
    f"{package}=={version(package)}"
    for package in ("mlflow", "scikit-learn", "xgboost", "lightgbm", "pandas", "numpy", "scipy")
)
INPUT_EXAMPLE_ROWS = 5


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


@dataclass(frozen=True)
class TrainingPlan:
    """What every candidate of one training run shares; plain data, so it pickles to a worker."""

    experiment: str
    experiment_id: str
    parent_run_id: str
    tracking_uri: str
    candidates: tuple[str, ...]
    split: Split
    spec: FeatureSpec
    target: str
    costs: CostMatrix
    n_trials: int
    timeout: float | None
    search_sample_rows: int | None
    folds: int
    calibration: CalibrationMethod
    scaling: ScoreScaling
    seed: int
    lineage: dict[str, str]


@dataclass(frozen=True)
class CandidateOutcome:
    """One trained candidate: its nested run, validation and test metrics, and threshold."""

    name: str
    run_id: str
    metrics: dict[str, float]
    threshold: float


def _best(metrics: dict[str, dict[str, float]]) -> str:
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


def _split(
    frame: pd.DataFrame,
    target: str,
    date_col: str | None,
    test_months: int,
    validation_months: int,
    seed: int,
) -> Split:
    if date_col:
        return time_split(frame, date_col, test_months, validation_months, target=target)
    return random_split(frame, target, seed)


def _check_frame(frame: pd.DataFrame, target: str, spec: FeatureSpec) -> None:
    if target not in frame.columns:
        raise ValueError(f"target column {target!r} is not in the training frame")
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise ValueError(f"training frame lacks feature columns {missing}; rebuild the features")
    values = set(pd.unique(frame[target].dropna()))
    if not values <= {0, 1} or len(values) < 2:
        raise ValueError(
            f"target {target!r} must hold both 0 and 1, found {sorted(map(str, values))}"
        )


def _train_one(
    name: str,
    split: Split,
    spec: FeatureSpec,
    *,
    target: str,
    costs: CostMatrix,
    n_trials: int,
    timeout: float | None,
    folds: int,
    calibration: CalibrationMethod,
    scaling: ScoreScaling,
    seed: int,
    lineage: dict[str, str],
    search_sample_rows: int | None,
) -> tuple[Evaluation, CreditRiskModel]:
    """Search, calibrate, evaluate and log one candidate inside the active nested run."""
    import mlflow
    from mlflow.models import infer_signature

    timings: dict[str, float] = {}
    started = time.perf_counter()
    found = search(
        name,
        split.train,
        split.train[target].astype(int),
        spec,
        n_trials=n_trials,
        timeout=timeout,
        folds=folds,
        seed=seed,
        sample_rows=search_sample_rows,
    )
    timings["search_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    calibrated, method = calibrate(
        found.pipeline, split.validation, split.validation[target].astype(int), calibration
    )
    timings["calibrate_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    evaluation = evaluate(calibrated, split.validation, split.test, target=target, costs=costs)
    shares = monotone_violations(calibrated, split.validation, spec.columns, seed=seed)
    worst, share = worst_violation(shares)
    evaluation.metrics["val_monotone_violation_share"] = share
    if worst is not None and share > 0:
        log.warning("%s: risk moves against %s for %.1f%% of rows", name, worst, 100 * share)
    model = CreditRiskModel(
        calibrated,
        found.pipeline,
        candidate=name,
        threshold=evaluation.threshold.threshold,
        scaling=scaling.as_dict(),
        features=spec.columns,
    )
    timings["evaluate_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    scaling_json = json.dumps(scaling.as_dict(), sort_keys=True)
    mlflow.log_params(
        {
            **found.params,
            "candidate": name,
            "calibration": method,
            "threshold": evaluation.threshold.threshold,
            "search_trials": found.trials,
            "score_scaling": scaling_json,
            "features": len(spec.columns),
        }
    )
    mlflow.set_tags(
        {
            "candidate": name,
            "threshold": str(evaluation.threshold.threshold),
            "score_scaling": scaling_json,
            "calibration": method,
            **lineage,
        }
    )
    mlflow.log_metrics({**evaluation.metrics, "cv_auc": found.cv_auc})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_plots(evaluation, folder / "plots")
        try:
            importance = shap_importance(found.pipeline, split.train, seed=seed)
            importance.to_csv(folder / "shap_importance.csv", index=False)
            plot_shap_summary(importance, folder / "plots" / "shap_summary.png")
        except Exception as exc:  # an explainer gap must not lose the trained model
            log.warning("%s: SHAP summary skipped: %s", name, exc)
        evaluation.deciles.to_csv(folder / "decile_table.csv", index=False)
        evaluation.validation_sweep.to_csv(folder / "threshold_curve.csv", index=False)
        evaluation.test_sweep.to_csv(folder / "threshold_curve_test.csv", index=False)
        (folder / "model_card.md").write_text(
            render_model_card(
                candidate=name,
                evaluation=evaluation,
                boundaries=split.boundaries(),
                row_counts=split.row_counts(),
                features=spec.columns,
                params=found.params,
                scaling=scaling,
                calibration=method,
                split_kind=split.kind,
                lineage=lineage,
            )
        )
        mlflow.log_artifacts(tmp)

    example = spec.model_input(split.test.head(INPUT_EXAMPLE_ROWS))
    # cloudpickle, not MLflow's default skops: skops refuses our own classes (the model wrapper,
    # the coercion step) unless each type is listed as trusted, and its allow-list is stored in
    # the model itself, so it buys no safety; both formats load only when
    # MLFLOW_ALLOW_PICKLE_DESERIALIZATION allows it.
    mlflow.sklearn.log_model(
        model,
        serialization_format="cloudpickle",
        name="model",
        signature=infer_signature(example, model.predict_proba(example)),
        input_example=example,
        pip_requirements=list(MODEL_PIP_REQUIREMENTS),
        pyfunc_predict_fn="predict_proba",
        metadata={
            "candidate": name,
            "threshold": evaluation.threshold.threshold,
            "score_scaling": scaling.as_dict(),
            "features": spec.columns,
            "calibration": method,
        },
    )
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
    return evaluation, model


def plan_training(
    frame: pd.DataFrame,
    *,
    experiment: str,
    target: str = "is_default",
    candidates: list[str] | None = None,
    spec: FeatureSpec | None = None,
    date_col: str | None = "applied_on",
    test_months: int = 3,
    validation_months: int = 3,
    costs: CostMatrix | None = None,
    n_trials: int = 8,
    timeout: float | None = 60.0,
    search_sample_rows: int | None = 50_000,
    folds: int = 3,
    calibration: CalibrationMethod = "auto",
    scaling: ScoreScaling = DEFAULT_SCALING,
    lineage: dict[str, str] | None = None,
    seed: int = 42,
) -> TrainingPlan:
    """Check the frame, split it, and open the parent run every candidate nests under."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Param, RunTag
    from mlflow.tracking.context.registry import resolve_tags
    from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME

    names = candidates or list(CANDIDATES)
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        raise ValueError(f"unknown candidates {unknown}; choose from {', '.join(CANDIDATES)}")
    spec = spec or FeatureSpec.from_contract()
    _check_frame(frame, target, spec)
    costs = costs or CostMatrix()
    split = _split(frame, target, date_col, test_months, validation_months, seed)
    lineage = {k: str(v) for k, v in (lineage or {}).items()}
    lineage.setdefault("data_rows", str(len(frame)))
    lineage.setdefault("data_hash", data_hash(frame))
    log.info("split (%s): %s %s", split.kind, split.row_counts(), split.boundaries())

    experiment_id = mlflow.set_experiment(experiment).experiment_id
    # The parent run is opened by id rather than made the active run: candidates may train in
    # other threads or processes and nest under it by id.
    client = MlflowClient()
    run_name = f"train-{time.strftime('%Y%m%d-%H%M%S')}"
    parent = client.create_run(
        experiment_id, run_name=run_name, tags=resolve_tags({MLFLOW_RUN_NAME: run_name})
    )
    run_id = parent.info.run_id
    tags = {**lineage, "split": split.kind, "target": target, "kind": "training"}
    params = {
        **split.boundaries(),
        **split.row_counts(),
        "candidates": ",".join(names),
        "cost_false_negative": costs.false_negative,
        "cost_false_positive": costs.false_positive,
        "search_trials": n_trials,
        "search_timeout_seconds": timeout,
        "search_sample_rows": search_sample_rows or "all",
        "cv_folds": folds,
        "seed": seed,
        "date_col": date_col or "",
        "calibration": calibration,
    }
    client.log_batch(
        run_id,
        params=[Param(k, str(v)) for k, v in params.items()],
        tags=[RunTag(k, str(v)) for k, v in tags.items()],
    )
    return TrainingPlan(
        experiment=experiment,
        experiment_id=str(experiment_id),
        parent_run_id=run_id,
        tracking_uri=mlflow.get_tracking_uri(),
        candidates=tuple(names),
        split=split,
        spec=spec,
        target=target,
        costs=costs,
        n_trials=n_trials,
        timeout=timeout,
        search_sample_rows=search_sample_rows,
        folds=folds,
        calibration=calibration,
        scaling=scaling,
        seed=seed,
        lineage=lineage,
    )


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
            evaluation, _ = _train_one(
                name,
                plan.split,
                plan.spec,
                target=plan.target,
                costs=plan.costs,
                n_trials=plan.n_trials,
                timeout=plan.timeout,
                folds=plan.folds,
                calibration=plan.calibration,
                scaling=plan.scaling,
                seed=plan.seed,
                lineage=plan.lineage,
                search_sample_rows=plan.search_sample_rows,
            )
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
    best = _best(metrics)
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


def train_candidates(
    frame: pd.DataFrame,
    *,
    experiment: str,
    target: str = "is_default",
    candidates: list[str] | None = None,
    spec: FeatureSpec | None = None,
    date_col: str | None = "applied_on",
    test_months: int = 3,
    validation_months: int = 3,
    costs: CostMatrix | None = None,
    n_trials: int = 8,
    timeout: float | None = 60.0,
    search_sample_rows: int | None = 50_000,
    folds: int = 3,
    calibration: CalibrationMethod = "auto",
    scaling: ScoreScaling = DEFAULT_SCALING,
    lineage: dict[str, str] | None = None,
    seed: int = 42,
) -> TrainingResult:
    """Train, calibrate, evaluate and log each candidate in turn under one parent run."""
    plan = plan_training(
        frame,
        experiment=experiment,
        target=target,
        candidates=candidates,
        spec=spec,
        date_col=date_col,
        test_months=test_months,
        validation_months=validation_months,
        costs=costs,
        n_trials=n_trials,
        timeout=timeout,
        search_sample_rows=search_sample_rows,
        folds=folds,
        calibration=calibration,
        scaling=scaling,
        lineage=lineage,
        seed=seed,
    )
    outcomes: list[CandidateOutcome] = []
    failed: dict[str, str] = {}
    try:
        for name in plan.candidates:
            try:
                outcomes.append(train_candidate(plan, name))
            except Exception as exc:  # one broken candidate must not sink the others
                failed[name] = f"{type(exc).__name__}: {exc}"
    except BaseException as exc:  # interrupted: the parent run must not stay "running"
        abandon_training(plan, f"interrupted: {type(exc).__name__}: {exc}")
        raise
    return finish_training(plan, outcomes, failed)
