"""`train_model`: train candidates on the feature mart, register the best, let the gate decide."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import SecretStr

from credit_risk.database import flow_dsn
from credit_risk.settings import Settings
from flows.retry import TRANSIENT_RETRIES, explain_database_outage, retrying
from flows.runners import configured_task_runner

if TYPE_CHECKING:
    # Imported for the types only: the modules behind them load pandas, MLflow and the
    # learners, which the tasks import when they run.
    import pandas as pd

    from training.candidate_run import CandidateOutcome
    from training.choose_best import TrainingResult
    from training.plan import TrainingOptions, TrainingPlan


@task(
    **TRANSIENT_RETRIES,
)
def load_training_data(dsn: str, batch: str | None = None) -> pd.DataFrame:
    """Features of every application with a mature label (of a named batch, if given)."""
    from credit_risk.labelled_features import load_training_frame

    return load_training_frame(dsn, batch)


@task(
    name="plan-training",
    **TRANSIENT_RETRIES,
)
def plan(
    frame: pd.DataFrame,
    settings: Settings,
    lineage: dict[str, str],
    candidates: list[str] | None,
    stress: pd.DataFrame | None = None,
) -> TrainingPlan:
    """Split the data and open the parent MLflow run the candidates nest under."""
    from credit_risk.tracking import ensure_experiment
    from training.plan import options_from_settings, plan_training

    ensure_experiment(settings.mlflow.experiment, settings.artifact_dir)
    # The settings' options hold neither candidates nor lineage, but their TypedDict may.
    options: TrainingOptions = {
        **options_from_settings(settings.training),
        "candidates": candidates,
        "lineage": lineage,
        "stress": stress,
    }
    return plan_training(frame, experiment=settings.mlflow.experiment, **options)


@task(
    name="train-candidate",
    **TRANSIENT_RETRIES,
)
def train_candidate(training_plan: TrainingPlan, name: str) -> CandidateOutcome:
    """Tune, calibrate, evaluate and log one candidate as a nested MLflow run."""
    from training.candidate_run import train_candidate as train_one

    return train_one(training_plan, name)


@task(
    name="choose-best",
    **TRANSIENT_RETRIES,
)
def choose_best(
    training_plan: TrainingPlan, outcomes: list[CandidateOutcome], failed: dict[str, str]
) -> TrainingResult:
    """Monotone candidates first, then validation AUC, then Brier; close the parent run."""
    from training.choose_best import finish_training

    return finish_training(training_plan, outcomes, failed)


def train_all(
    training_plan: TrainingPlan, delays: list[float]
) -> tuple[list[CandidateOutcome], dict[str, str]]:
    """Submit one task per candidate to the flow's task runner and gather what each gave.

    The longest candidates go first, so parallel workers do not end on a long one alone.
    """
    from training.candidates import longest_first

    futures = {
        name: retrying(train_candidate, delays)
        .with_options(name=f"train-candidate-{name}", task_run_name=f"train-candidate-{name}")
        .submit(training_plan, name)
        for name in longest_first(training_plan.candidates)
    }
    outcomes: list[CandidateOutcome] = []
    failed: dict[str, str] = {}
    for name in training_plan.candidates:
        future = futures[name]
        # One broken candidate must not sink the others; the parent run records it.
        value = future.result(raise_on_failure=False)
        if isinstance(value, BaseException):
            failed[name] = f"{type(value).__name__}: {value}"
        else:
            outcomes.append(value)
    return outcomes, failed


@task(
    **TRANSIENT_RETRIES,
)
def register_and_promote(
    result: TrainingResult,
    frame: pd.DataFrame,
    dsn: str,
    settings: Settings,
    reference: dict[str, float] | None,
) -> dict[str, Any]:
    """Register the best candidate as challenger; the gate decides on the same out-of-time test."""
    from training.candidates import BENCHMARK
    from training.data import time_split
    from training.registry.promotion import promote_if_better
    from training.registry.reference_stats import tag_reference
    from training.registry.versions import register_challenger

    name = settings.mlflow.registered_model
    version = register_challenger(result.best_run_id, model_name=name)
    if reference:
        tag_reference(name, version.version, reference)
    t = settings.training
    split = time_split(frame, test_months=t.test_months, validation_months=t.validation_months)
    decision = promote_if_better(
        version.version,
        test_frame=split.test,
        target="is_default",
        feature_columns=result.features,
        dsn=dsn,
        model_name=name,
        benchmark_uri=(
            f"runs:/{result.benchmark_run_id}/model" if result.benchmark_run_id else None
        ),
        challenger_is_benchmark=result.best_candidate == BENCHMARK,
        auc_margin=t.promotion_auc_margin,
        ece_limit=t.ece_limit,
        confidence=t.promotion_confidence,
        calibration_tolerance=t.calibration_tolerance,
        fairness_tolerance=t.fairness_tolerance,
        approval=settings.governance.approval,
    )
    return {
        "model_name": name,
        "challenger_version": int(version.version),
        "promoted": decision.promote,
        "decision": decision.action,
        "reasons": decision.reasons,
    }


def _run_name() -> str:
    from prefect.runtime import flow_run

    candidates = flow_run.parameters.get("candidates") or ["all-candidates"]
    return f"train-{'+'.join(candidates)}-{flow_run.scheduled_start_time:%Y%m%d-%H%M}"


@flow(name="train-model", flow_run_name=_run_name, task_runner=configured_task_runner())
def train_model(
    dsn: SecretStr | None = None,
    lineage: dict[str, str] | None = None,
    reference: dict[str, float] | None = None,
    candidates: list[str] | None = None,
    validation_summary: str | None = None,
    stress_batch: str | None = None,
) -> dict[str, Any]:
    """Train every candidate, register the best as challenger and run the promotion gate.

    Candidates are separate tasks on the task runner CREDIT_RUNNER__TASK_RUNNER names.
    `stress_batch` names a batch (the pipeline's recession book) every candidate is scored on
    for its model card's stress test.
    """
    logger = get_run_logger()
    settings = Settings()
    database = flow_dsn(dsn)
    if database is None:
        from credit_risk.environment import prepare_runtime

        database = prepare_runtime(settings).dsn
    delays = settings.runner.retry_delays
    with explain_database_outage(database, len(delays), "no model was registered"):
        frame = retrying(load_training_data, delays)(database)
        stress = (
            retrying(load_training_data.with_options(name="load-stress-data"), delays)(
                database, stress_batch
            )
            if stress_batch
            else None
        )
    training_plan = retrying(plan, delays)(frame, settings, lineage or {}, candidates, stress)
    started = time.perf_counter()
    outcomes, failed = train_all(training_plan, delays)
    logger.info(
        "%d of %d candidates trained in %.1f s on the %s task runner%s",
        len(outcomes),
        len(training_plan.candidates),
        time.perf_counter() - started,
        settings.runner.task_runner,
        f"; failed: {failed}" if failed else "",
    )
    result = retrying(choose_best, delays)(training_plan, outcomes, failed)
    if validation_summary:
        from mlflow import MlflowClient

        MlflowClient().log_artifact(result.parent_run_id, validation_summary, "validation")
    outcome = retrying(register_and_promote, delays)(result, frame, database, settings, reference)
    logger.info(
        "best candidate %s (test AUC %.3f): version %s %s",
        result.best_candidate,
        result.metrics[result.best_candidate]["test_auc"],
        outcome["challenger_version"],
        {
            "promote": "promoted to champion",
            "awaiting_approval": "passed the gates, awaiting approval",
        }.get(outcome["decision"], "kept as challenger"),
    )
    _publish(result, outcome)
    return {
        "best_candidate": result.best_candidate,
        "parent_run_id": result.parent_run_id,
        "threshold": result.threshold,
        "metrics": result.metrics[result.best_candidate],
        "candidate_metrics": result.metrics,
        **outcome,
    }


def _publish(result: TrainingResult, outcome: dict[str, Any]) -> None:
    """Prefect artifacts: a table of every candidate and a Markdown summary of the decision."""
    columns = ("test_auc", "test_ks", "test_gini", "test_pr_auc", "test_brier", "test_ece")
    rows = [
        {"candidate": name, **{c: round(m.get(c, float("nan")), 4) for c in columns}}
        for name, m in sorted(result.metrics.items(), key=lambda kv: -kv[1].get("val_auc", 0))
    ]
    create_table_artifact(
        key="candidate-metrics", table=rows, description="Candidates, out-of-time test"
    )
    reasons = "\n".join(f"- {r}" for r in outcome["reasons"])
    create_markdown_artifact(
        key="training-summary",
        markdown=(
            f"# Training run `{result.parent_run_id}`\n\n"
            f"Best candidate: **{result.best_candidate}**, threshold {result.threshold:.2f}.\n\n"
            f"Registered `{outcome['model_name']}` version {outcome['challenger_version']}: "
            f"**{outcome['decision']}**.\n\n{reasons}\n"
        ),
    )
