"""One trained, promoted champion per test process, shared by the tests that need a model.

`served_champion` trains LightGBM with one search trial on the standard book, once per test run;
each test process registers that run under a model name of its own and promotes it, on a copy
of the book of its own. The serving, batch-scoring, parity, fuzz, Dask and outage tests all use
the same one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.books import STANDARD, BookTemplates
from tests.shared import once


@dataclass(frozen=True)
class Champion:
    dsn: str
    model_name: str
    version: int
    run_id: str
    threshold: float


def train_one(frame: Any, experiment: str, candidate: str) -> Any:
    """One candidate (and the benchmark) with the smallest search; the TrainingResult."""
    from training.train import train_candidates

    return train_candidates(
        frame, experiment=experiment, candidates=[candidate], n_trials=1, timeout=20, folds=2
    )


def register_and_promote(run_id: str, dsn: str, model_name: str, reason: str) -> int:
    """Register the run as a new version of `model_name` and make it the champion by hand."""
    from training.registry.manual import promote_version
    from training.registry.versions import register_challenger

    version = register_challenger(run_id, model_name=model_name)
    promote_version(version.version, actor="test", reason=reason, dsn=dsn, model_name=model_name)
    return int(version.version)


def promote_trained(
    dsn: str, frame: Any, *, experiment: str, model_name: str, reason: str, candidate: str
) -> tuple[int, Any]:
    """Train one candidate with the smallest search, register it and promote it by hand."""
    result = train_one(frame, experiment, candidate)
    return register_and_promote(result.best_run_id, dsn, model_name, reason), result


def served_champion(books: BookTemplates, work: Path) -> Champion:
    """A copy of the standard book and a promoted LightGBM champion (a session fixture)."""
    run_id, threshold = once("champion-run", lambda: _train_champion(books, work))
    dsn = books.copy(STANDARD, "serving")
    name = f"credit-risk-serving-{uuid.uuid4().hex[:6]}"
    version = register_and_promote(run_id, dsn, name, "serving tests")
    return Champion(dsn, name, version, run_id, threshold)


def _train_champion(books: BookTemplates, work: Path) -> tuple[str, float]:
    """The run id and threshold of LightGBM trained on the standard book."""
    import mlflow

    experiment = f"serving-{uuid.uuid4().hex[:8]}"
    mlflow.create_experiment(experiment, artifact_location=(work / "artifacts").as_uri())
    result = train_one(books.training_frame(STANDARD), experiment, "lightgbm")
    return result.best_run_id, float(result.threshold)
