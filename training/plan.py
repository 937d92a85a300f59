"""Plan a training run: check and split the data, and open the parent MLflow run.

Every candidate of the run then trains from the plan alone (see `training.candidate_run`), so
candidates can run as separate tasks, threads or processes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import pandas as pd

from credit_risk.artifact.feature_spec import FeatureSpec
from credit_risk.artifact.scaling import ScoreScaling
from credit_risk.labelled_features import data_hash
from credit_risk.tracking import mark_model_development
from training.candidates import BENCHMARK, CANDIDATES
from training.data import Split, split_for_training
from training.run_datasets import describe_split, log_split
from training.threshold import CostMatrix
from training.tune import CalibrationMethod

if TYPE_CHECKING:
    from mlflow.entities import DatasetInput

    from credit_risk.settings import TrainingSettings

__all__ = ["DEFAULT_SCALING", "TrainingOptions", "TrainingPlan", "plan_training"]

log = logging.getLogger(__name__)

# The scorecard's default (650 at 20:1, 50 points to double) spreads this population's PDs
# (about 1%-60%) over most of 300-850: PD 1% → 765, 15% → 559, 60% → 405.
DEFAULT_SCALING = ScoreScaling()


@dataclass(frozen=True)
class TrainingPlan:
    """What every candidate of one training run shares; plain data, so it pickles to a worker."""

    experiment: str
    experiment_id: str
    parent_run_id: str
    tracking_uri: str
    candidates: tuple[str, ...]  # every model trained: the ones asked for and the benchmark
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
    # The candidates that may become the champion: the ones asked for (the benchmark is trained
    # in every run, and selectable only when asked for or when no list is given).
    selectable: tuple[str, ...] = ()
    # Labelled features of a stress scenario (a recession book), scored by every candidate.
    stress: pd.DataFrame | None = None
    # The split's parts as MLflow datasets, logged on the parent and on every candidate run.
    datasets: tuple[DatasetInput, ...] = ()

    def is_selectable(self, name: str) -> bool:
        return name in (self.selectable or self.candidates)


class TrainingOptions(TypedDict, total=False):
    """The keyword options of `plan_training`, for callers that pass them through unchanged."""

    target: str
    candidates: list[str] | None
    spec: FeatureSpec | None
    date_col: str | None
    test_months: int
    validation_months: int
    costs: CostMatrix | None
    n_trials: int
    timeout: float | None
    search_sample_rows: int | None
    folds: int
    calibration: CalibrationMethod
    scaling: ScoreScaling
    lineage: dict[str, str] | None
    seed: int
    stress: pd.DataFrame | None


def options_from_settings(training: TrainingSettings) -> TrainingOptions:
    """The split, costs and search budget that the training settings configure."""
    return {
        "test_months": training.test_months,
        "validation_months": training.validation_months,
        "costs": CostMatrix(training.cost_false_negative, training.cost_false_positive),
        "n_trials": training.search_trials,
        "timeout": training.search_timeout_seconds,
        "search_sample_rows": training.search_sample_rows,
    }


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
    stress: pd.DataFrame | None = None,
) -> TrainingPlan:
    """Check the frame, split it, and open the parent run every candidate nests under."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Param, RunTag
    from mlflow.tracking.context.registry import resolve_tags
    from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME

    asked = candidates or list(CANDIDATES)
    unknown = [n for n in asked if n not in CANDIDATES]
    if unknown:
        raise ValueError(f"unknown candidates {unknown}; choose from {', '.join(CANDIDATES)}")
    names = asked if BENCHMARK in asked else [*asked, BENCHMARK]
    spec = spec or FeatureSpec.from_contract()
    _check_frame(frame, target, spec)
    costs = costs or CostMatrix()
    split = split_for_training(frame, target, date_col, test_months, validation_months, seed)
    lineage = {k: str(v) for k, v in (lineage or {}).items()}
    lineage.setdefault("data_rows", str(len(frame)))
    lineage.setdefault("data_hash", data_hash(frame))
    log.info("split (%s): %s %s", split.kind, split.row_counts(), split.boundaries())

    datasets = describe_split(split, target, lineage)
    experiment_id = mlflow.set_experiment(experiment).experiment_id
    mark_model_development(experiment_id)
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
        "selectable_candidates": ",".join(asked),
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
    log_split(run_id, datasets)
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
        selectable=tuple(asked),
        stress=stress,
        datasets=datasets,
    )
