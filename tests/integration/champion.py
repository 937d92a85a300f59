"""One trained, promoted champion per test session, shared by the tests that need a model.

`served_champion` generates 3000 applications, builds the dbt features, trains LightGBM with
one search trial and promotes it; the serving, batch-scoring, parity, fuzz, Dask and outage
tests all use the same one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.books import STANDARD, BookTemplates


@dataclass(frozen=True)
class Champion:
    dsn: str
    model_name: str
    version: int
    run_id: str
    threshold: float


def promote_trained(
    dsn: str, frame: Any, *, experiment: str, model_name: str, reason: str, candidate: str
) -> tuple[int, Any]:
    """Train one candidate with the smallest search, register it and promote it by hand."""
    from training.registry.manual import promote_version
    from training.registry.versions import register_challenger
    from training.train import train_candidates

    result = train_candidates(
        frame, experiment=experiment, candidates=[candidate], n_trials=1, timeout=20, folds=2
    )
    version = register_challenger(result.best_run_id, model_name=model_name)
    promote_version(version.version, actor="test", reason=reason, dsn=dsn, model_name=model_name)
    return int(version.version), result


def served_champion(books: BookTemplates, work: Path) -> Champion:
    """A copy of the standard book and a promoted LightGBM champion (a session fixture)."""
    import mlflow

    from credit_risk.labelled_features import load_training_frame

    dsn = books.copy(STANDARD, "serving")
    experiment = f"serving-{uuid.uuid4().hex[:8]}"
    mlflow.create_experiment(experiment, artifact_location=(work / "artifacts").as_uri())
    name = f"credit-risk-serving-{uuid.uuid4().hex[:6]}"
    version, result = promote_trained(
        dsn,
        load_training_frame(dsn),
        experiment=experiment,
        model_name=name,
        reason="serving tests",
        candidate="lightgbm",
    )
    return Champion(dsn, name, version, result.best_run_id, result.threshold)
