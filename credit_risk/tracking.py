"""MLflow experiments whose artifacts live under the configured artifact root."""

from __future__ import annotations

from pathlib import Path

# MLflow 3 opens an experiment in its GenAI view (traces, token usage) unless told its kind.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
MODEL_DEVELOPMENT = "custom_model_development"


def ensure_experiment(name: str, artifact_root: Path) -> str:
    """The experiment's id, creating it with artifacts in artifact_root/name when missing.

    Without an explicit location, a database-backed store puts artifacts in ./mlruns of whatever
    folder the process happens to run in.
    """
    import mlflow

    existing = mlflow.get_experiment_by_name(name)
    if existing is not None:
        return str(existing.experiment_id)
    location = (artifact_root / name).resolve()
    location.mkdir(parents=True, exist_ok=True)
    experiment_id = str(mlflow.create_experiment(name, artifact_location=location.as_uri()))
    mark_model_development(experiment_id)
    return experiment_id


def mark_model_development(experiment_id: str) -> None:
    """Open the experiment on its runs (metrics, parameters, datasets), not on GenAI traces."""
    from mlflow import MlflowClient

    MlflowClient().set_experiment_tag(experiment_id, EXPERIMENT_KIND_TAG, MODEL_DEVELOPMENT)


def run_link(tracking_uri: str, run_id: str) -> str:
    """Where a reviewer opens a run: its UI address on a tracking server, else how to get there."""
    from mlflow import MlflowClient

    experiment_id = MlflowClient(tracking_uri).get_run(run_id).info.experiment_id
    if tracking_uri.startswith(("http://", "https://")):
        return f"{tracking_uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
    return f"`credit-risk mlflow-ui`, then experiment {experiment_id}, run `{run_id}`"
