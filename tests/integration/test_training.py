"""Training end to end: generated data → dbt features → five candidates logged to a real MLflow."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from credit_risk.artifact.feature_spec import FeatureSpec
from credit_risk.artifact.scoring_model import CreditRiskModel
from tests.books import TRAINING, BookTemplates
from training.candidates import BENCHMARK, CANDIDATES
from training.choose_best import TrainingResult
from training.train import train_candidates

pytestmark = pytest.mark.integration

METRICS = ("auc", "ks", "gini", "brier", "ece", "pr_auc", "log_loss")
ARTIFACTS = {
    "decile_table.csv",
    "model_card.md",
    "threshold_curve.csv",
    "shap_importance.csv",
    "plots/roc.png",
    "plots/pr.png",
    "plots/ks.png",
    "plots/calibration.png",
    "plots/threshold_cost.png",
    "plots/shap_summary.png",
}


@pytest.fixture(scope="module")
def frame(books: BookTemplates) -> pd.DataFrame:
    """Mature labelled features of the training book."""
    return books.training_frame(TRAINING)


@pytest.fixture(scope="module")
def trained(frame: pd.DataFrame, mlflow_tracking_uri: str) -> Iterator[TrainingResult]:
    import mlflow

    name = f"test-training-{np.random.default_rng().integers(1 << 30)}"
    experiment_id = mlflow.create_experiment(name)
    result = train_candidates(
        frame,
        experiment=name,
        n_trials=1,
        timeout=20,
        folds=2,
        lineage={"dbt_invocation_id": "test-invocation", "gx_success": "True"},
        # A stand-in stress book: the latest applicants with a fifth of their income gone.
        stress=frame.tail(1000).assign(monthly_income=lambda f: f["monthly_income"] * 0.8),
    )
    yield result
    mlflow.delete_experiment(experiment_id)


def test_training_frame_holds_only_mature_labels(frame: pd.DataFrame) -> None:
    assert set(frame["is_default"].unique()) == {0, 1}
    assert {"gender", "age_band", "applied_on"} <= set(frame.columns)
    assert frame["application_id"].is_unique


def test_one_parent_run_with_a_nested_run_per_candidate(trained: TrainingResult) -> None:
    import mlflow

    assert not trained.failed
    assert set(trained.run_ids) == set(CANDIDATES)
    parent = mlflow.get_run(trained.parent_run_id)
    assert parent.data.tags["dbt_invocation_id"] == "test-invocation"
    assert parent.data.tags["data_hash"] and int(parent.data.tags["data_rows"]) > 1000
    assert parent.data.tags["best_candidate"] == trained.best_candidate
    assert parent.data.params["test_start"] > parent.data.params["validation_end"]
    children = mlflow.search_runs(
        experiment_names=[trained.experiment],
        filter_string=f"tags.mlflow.parentRunId = '{trained.parent_run_id}'",
    )
    assert sorted(children["tags.mlflow.runName"]) == sorted(CANDIDATES)


def test_every_run_shows_its_datasets_and_the_experiment_opens_on_runs(
    trained: TrainingResult, frame: pd.DataFrame
) -> None:
    import mlflow

    experiment = mlflow.get_experiment_by_name(trained.experiment)
    assert experiment is not None
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    for run_id in [trained.parent_run_id, *trained.run_ids.values()]:
        inputs = mlflow.get_run(run_id).inputs.dataset_inputs
        by_name = {i.dataset.name: i for i in inputs}
        assert set(by_name) == {"train", "validation", "test"}, run_id
        contexts = {n: i.tags[0].value for n, i in by_name.items()}
        assert contexts == {"train": "training", "validation": "validation", "test": "testing"}
        rows = {n: json.loads(i.dataset.profile)["num_rows"] for n, i in by_name.items()}
        assert sum(rows.values()) == len(frame) and rows["train"] > rows["test"] > 0
        source = json.loads(by_name["train"].dataset.source)
        assert source == {"tags": {"database": "postgresql", "table": "marts.application_features"}}
        assert len({i.dataset.digest for i in inputs}) == 3


@pytest.mark.parametrize("candidate", list(CANDIDATES))
def test_each_candidate_logs_metrics_params_and_artifacts(
    trained: TrainingResult, candidate: str
) -> None:
    import mlflow

    run = mlflow.get_run(trained.run_ids[candidate])
    for prefix in ("val_", "test_"):
        for metric in METRICS:
            assert 0.0 <= run.data.metrics[prefix + metric] <= 10.0, prefix + metric
    assert run.data.metrics["test_auc"] > 0.6
    assert "test_di_gender_min_ratio" in run.data.metrics
    assert "test_di_age_band_min_ratio" in run.data.metrics
    assert run.data.params["candidate"] == candidate
    assert 0 < float(run.data.params["threshold"]) < 1
    assert "base_score" in run.data.tags["score_scaling"]
    client = mlflow.MlflowClient()
    paths = {a.path for a in client.list_artifacts(run.info.run_id)}
    paths |= {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert paths >= ARTIFACTS
    card = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/model_card.md")
    assert "## Data window" in card and "## Fairness" in card and "## Limitations" in card
    assert "## Stability and stress" in card
    assert "Under the recession scenario (1,000 applications" in card
    assert "| stress: recession | all | 1,000 |" in card
    stability = pd.read_csv(
        mlflow.artifacts.download_artifacts(f"{run.info.artifact_uri}/stability.csv")
    )
    assert set(stability["segment"]) == {"train", "validation", "test", "stress: recession"}
    assert (stability["period"].str.match(r"\d{4}-\d{2}") | (stability["period"] == "all")).all()
    assert 0.5 < run.data.metrics["stress_auc"] <= 1.0
    assert (
        run.data.metrics["stress_score_psi"] >= 0
        and "stability_min_monthly_auc" in run.data.metrics
    )
    assert "stability.png" in {
        a.path.rsplit("/", 1)[-1] for a in client.list_artifacts(run.info.run_id, "plots")
    }


def test_the_scorecard_run_shows_its_binning_iv_and_points(trained: TrainingResult) -> None:
    import mlflow

    run = mlflow.get_run(trained.run_ids[BENCHMARK])
    folder = mlflow.artifacts.download_artifacts(f"{run.info.artifact_uri}/scorecard")
    points = pd.read_csv(f"{folder}/points_table.csv")
    iv = pd.read_csv(f"{folder}/iv_report.csv")
    bins = pd.read_csv(f"{folder}/binning_table.csv")
    features = set(FeatureSpec.from_contract().columns)
    assert set(points["feature"]) == features == set(iv["feature"])
    assert iv["iv"].is_monotonic_decreasing and iv["iv"].iloc[0] > 0.1
    assert {"not predictive", "weak", "medium", "strong"} & set(iv["strength"])
    dti = bins[(bins["feature"] == "dti") & ~bins["bin"].isin(["Missing", "Special"])]
    assert dti["default_rate"].is_monotonic_increasing  # the contract's direction for DTI
    assert run.data.metrics["scorecard_characteristics"] >= 5
    assert run.data.metrics["val_monotone_violation_share"] == 0.0


def test_the_parent_run_compares_all_six_candidates(trained: TrainingResult) -> None:
    import mlflow

    table = mlflow.load_table("candidates.json", run_ids=[trained.parent_run_id])
    assert set(table["candidate"]) == set(CANDIDATES) and len(CANDIDATES) == 6
    best = table[table["candidate"] == trained.best_candidate].iloc[0]
    assert best["status"] == "champion candidate"
    assert table["val_auc"].is_monotonic_decreasing


def test_best_candidate_has_the_highest_validation_auc_among_monotone_ones(
    trained: TrainingResult,
) -> None:
    import mlflow

    monotone = {
        name: m
        for name, m in trained.metrics.items()
        if m.get("val_monotone_violation_share", 0.0) == 0.0
    }
    assert {"scorecard", "logistic_regression"} <= set(monotone)  # monotone by construction
    assert trained.best_candidate in monotone
    highest = max(monotone, key=lambda name: monotone[name]["val_auc"])
    note = mlflow.get_run(trained.parent_run_id).data.tags.get("selection_note", "")
    if trained.best_candidate != highest:  # the scorecard, when nothing beats it beyond noise
        assert trained.best_candidate == BENCHMARK
        assert note.startswith(f"{highest} does not beat the scorecard beyond noise")
    else:
        assert note == ""
    assert trained.model_uri == f"runs:/{trained.best_run_id}/model"
    assert trained.features == FeatureSpec.from_contract().columns


def test_logged_model_loads_and_predicts_probabilities(
    trained: TrainingResult, frame: pd.DataFrame
) -> None:
    import mlflow

    sample = frame.tail(200)
    pyfunc = mlflow.pyfunc.load_model(trained.model_uri)
    proba = np.asarray(pyfunc.predict(FeatureSpec.from_contract().model_input(sample)))
    assert proba.shape == (200, 2)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)

    model = mlflow.sklearn.load_model(trained.model_uri)
    assert isinstance(model, CreditRiskModel)
    assert model.threshold == trained.threshold
    assert model.scaling == trained.scaling
    scores = model.credit_score(sample)
    assert ((scores >= 300) & (scores <= 850)).all()
    assert set(np.unique(model.predict(sample))) <= {0, 1}
