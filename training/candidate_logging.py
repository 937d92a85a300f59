"""What one trained candidate leaves in its MLflow run: params, tags, metrics, reports, model."""

from __future__ import annotations

import json
import logging
import tempfile
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from credit_risk.artifact.feature_profile import PROFILE_KEY, profile_frame
from credit_risk.artifact.scoring_model import CreditRiskModel
from training.candidates import BENCHMARK
from training.evaluate import Evaluation
from training.model_card import render_model_card
from training.plan import TrainingPlan
from training.plots import plot_shap_summary, shap_importance, write_plots
from training.run_datasets import without_integer_schema_hint
from training.stability import plot_stability
from training.tune import SearchResult

__all__ = ["MODEL_PIP_REQUIREMENTS", "log_candidate"]

log = logging.getLogger(__name__)

MODEL_PIP_REQUIREMENTS = tuple(
    f"{package}=={version(package)}"
    for package in ("mlflow", "scikit-learn", "xgboost", "lightgbm", "pandas", "numpy", "scipy")
)
INPUT_EXAMPLE_ROWS = 5


def log_candidate(
    plan: TrainingPlan,
    found: SearchResult,
    calibration: str,
    evaluation: Evaluation,
    model: CreditRiskModel,
    stability: pd.DataFrame | None = None,
) -> None:
    """Log the candidate's setup and results, its report files and the model to the active run."""
    _log_setup_and_metrics(plan, found, calibration, evaluation)
    _log_reports(plan, found, calibration, evaluation, stability)
    if found.candidate == BENCHMARK:
        _log_scorecard(plan, model)
    _log_model(plan, found.candidate, calibration, evaluation, model)


def _log_setup_and_metrics(
    plan: TrainingPlan, found: SearchResult, calibration: str, evaluation: Evaluation
) -> None:
    import mlflow

    scaling_json = json.dumps(plan.scaling.as_dict(), sort_keys=True)
    mlflow.log_params(
        {
            **found.params,
            "candidate": found.candidate,
            "calibration": calibration,
            "threshold": evaluation.threshold.threshold,
            "search_trials": found.trials,
            "score_scaling": scaling_json,
            "features": len(plan.spec.columns),
        }
    )
    mlflow.set_tags(
        {
            "candidate": found.candidate,
            "threshold": str(evaluation.threshold.threshold),
            "score_scaling": scaling_json,
            "calibration": calibration,
            **plan.lineage,
        }
    )
    mlflow.log_metrics({**evaluation.metrics, "cv_auc": found.cv_auc})


def _log_reports(
    plan: TrainingPlan,
    found: SearchResult,
    calibration: str,
    evaluation: Evaluation,
    stability: pd.DataFrame | None,
) -> None:
    """Plots, SHAP importance, decile and threshold tables, and the model card."""
    import mlflow

    split = plan.split
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_plots(evaluation, folder / "plots")
        try:
            importance = shap_importance(found.pipeline, split.train, seed=plan.seed)
            importance.to_csv(folder / "shap_importance.csv", index=False)
            plot_shap_summary(importance, folder / "plots" / "shap_summary.png")
        except Exception as exc:  # an explainer gap must not lose the trained model
            log.warning("%s: SHAP summary skipped: %s", found.candidate, exc)
        evaluation.deciles.to_csv(folder / "decile_table.csv", index=False)
        evaluation.validation_sweep.to_csv(folder / "threshold_curve.csv", index=False)
        evaluation.test_sweep.to_csv(folder / "threshold_curve_test.csv", index=False)
        if stability is not None:
            stability.to_csv(folder / "stability.csv", index=False)
            plot_stability(stability, folder / "plots" / "stability.png")
        (folder / "model_card.md").write_text(
            render_model_card(
                candidate=found.candidate,
                evaluation=evaluation,
                boundaries=split.boundaries(),
                row_counts=split.row_counts(),
                features=plan.spec.columns,
                params=found.params,
                scaling=plan.scaling,
                calibration=calibration,
                split_kind=split.kind,
                lineage=plan.lineage,
                stability=stability,
            )
        )
        mlflow.log_artifacts(tmp)


def _log_scorecard(plan: TrainingPlan, model: CreditRiskModel) -> None:
    """The benchmark's binning table, IV report and points table, as files and MLflow tables."""
    import mlflow

    from training.scorecard_tables import write_scorecard_tables

    with tempfile.TemporaryDirectory() as tmp:
        tables = write_scorecard_tables(
            model.calibrated, model.pipeline, plan.scaling, Path(tmp) / "scorecard"
        )
        mlflow.log_artifacts(tmp)
    for name, table in tables.items():
        mlflow.log_table(table, artifact_file=f"scorecard/{name}.json")
    iv = tables["iv_report"]
    mlflow.log_metrics(
        {
            "scorecard_characteristics": float(iv["in_model"].sum()),
            "scorecard_total_iv": float(iv["iv"].sum()),
        }
    )


def _log_model(
    plan: TrainingPlan,
    name: str,
    calibration: str,
    evaluation: Evaluation,
    model: CreditRiskModel,
) -> None:
    import mlflow
    from mlflow.models import infer_signature

    example = plan.spec.model_input(plan.split.test.head(INPUT_EXAMPLE_ROWS))
    with without_integer_schema_hint():
        signature = infer_signature(example, model.predict_proba(example))
    # cloudpickle, not MLflow's default skops: skops refuses our own classes (the model wrapper,
    # the coercion step) unless each type is listed as trusted, and its allow-list is stored in
    # the model itself, so it buys no safety; both formats load only when
    # MLFLOW_ALLOW_PICKLE_DESERIALIZATION allows it.
    mlflow.sklearn.log_model(
        model,
        serialization_format="cloudpickle",
        name="model",
        signature=signature,
        input_example=example,
        pip_requirements=[
            *MODEL_PIP_REQUIREMENTS,
            *([f"optbinning=={version('optbinning')}"] if name == BENCHMARK else []),
        ],
        pyfunc_predict_fn="predict_proba",
        metadata={
            "candidate": name,
            "threshold": evaluation.threshold.threshold,
            "score_scaling": plan.scaling.as_dict(),
            "features": plan.spec.columns,
            "calibration": calibration,
            # What a request to this model may hold (see credit_risk.artifact.feature_profile).
            PROFILE_KEY: profile_frame(
                plan.split.train, plan.spec.numeric, plan.spec.categorical
            ).to_dict(),
        },
    )
