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
