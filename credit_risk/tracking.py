"""MLflow experiments whose artifacts live under the configured artifact root."""

from __future__ import annotations

from pathlib import Path


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
    return str(mlflow.create_experiment(name, artifact_location=location.as_uri()))


def run_link(tracking_uri: str, run_id: str) -> str:
    """Where a reviewer opens a run: its UI address on a tracking server, else how to get there."""
    from mlflow import MlflowClient

    experiment_id = MlflowClient(tracking_uri).get_run(run_id).info.experiment_id
    if tracking_uri.startswith(("http://", "https://")):
        return f"{tracking_uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
    return f"`credit-risk mlflow-ui`, then experiment {experiment_id}, run `{run_id}`"
