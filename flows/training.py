"""`train_model`: train candidates on the feature mart, register the best, let the gate decide."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from credit_risk.settings import Settings
from flows.retry import RETRY_DELAYS, is_transient


@task(
    retries=3,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,
)
def load_training_data(dsn: str) -> Any:
    """Features of every application with a mature label."""
    from training.data import load_training_frame

    return load_training_frame(dsn)


@task(name="train-candidates", cache_policy=NO_CACHE)
def train(
    frame: Any, settings: Settings, lineage: dict[str, str], candidates: list[str] | None
) -> Any:
    """Tune, calibrate, evaluate and log every candidate to MLflow."""
    from training.threshold import CostMatrix
    from training.tracking import ensure_experiment
    from training.train import train_candidates

    ensure_experiment(settings.mlflow.experiment, settings.artifact_dir)
    t = settings.training
    return train_candidates(
        frame,
        experiment=settings.mlflow.experiment,
        candidates=candidates,
        test_months=t.test_months,
        validation_months=t.validation_months,
        costs=CostMatrix(t.cost_false_negative, t.cost_false_positive),
        n_trials=t.search_trials,
        timeout=t.search_timeout_seconds,
        search_sample_rows=t.search_sample_rows,
        lineage=lineage,
    )


@task(
    retries=3,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,
)
def register_and_promote(
    result: Any, frame: Any, dsn: str, settings: Settings, reference: dict[str, float] | None
) -> dict[str, Any]:
    """Register the best candidate as challenger; the gate decides on the same out-of-time test."""
    from training.data import time_split
    from training.reference import tag_reference
    from training.registry import promote_if_better, register_challenger

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
        auc_margin=t.promotion_auc_margin,
        calibration_tolerance=t.calibration_tolerance,
        fairness_tolerance=t.fairness_tolerance,
    )
    return {
        "model_name": name,
        "challenger_version": int(version.version),
        "promoted": decision.promote,
        "decision": decision.action,
        "reasons": decision.reasons,
    }


@flow(name="train-model", flow_run_name="train-model")
def train_model(
    dsn: str,
    lineage: dict[str, str] | None = None,
    reference: dict[str, float] | None = None,
    candidates: list[str] | None = None,
    validation_summary: str | None = None,
) -> dict[str, Any]:
    """Train every candidate, register the best as challenger and run the promotion gate."""
    logger = get_run_logger()
    settings = Settings()
    frame = load_training_data(dsn)
    result = train(frame, settings, lineage or {}, candidates)
    if validation_summary:
        from mlflow import MlflowClient

        MlflowClient().log_artifact(result.parent_run_id, validation_summary, "validation")
    outcome = register_and_promote(result, frame, dsn, settings, reference)
    logger.info(
        "best candidate %s (test AUC %.3f): version %s %s",
        result.best_candidate,
        result.metrics[result.best_candidate]["test_auc"],
        outcome["challenger_version"],
        "promoted to champion" if outcome["promoted"] else "kept as challenger",
    )
    _publish(result, outcome)
    return {
        "best_candidate": result.best_candidate,
        "parent_run_id": result.parent_run_id,
        "threshold": result.threshold,
        "metrics": result.metrics[result.best_candidate],
        **outcome,
    }


def _publish(result: Any, outcome: dict[str, Any]) -> None:
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
