"""The reference: the applications of the champion's training window, scored by the champion.

The window is read from the champion's lineage (the training run's `train_start` / `train_end`
parameters). The first check of a champion rebuilds the reference from the feature mart and
stores a sample with its scores on the champion's run (`monitoring/reference.parquet`), so later
checks compare against exactly the same rows even after the mart is rebuilt.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from monitoring.frames import FEATURE_COLUMNS, read_frame, sample, typed

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = [
    "ARTIFACT_PATH",
    "ChampionInfo",
    "Reference",
    "Scorer",
    "champion_info",
    "load_reference",
    "load_scorer",
]

log = logging.getLogger(__name__)

ARTIFACT_DIR = "monitoring"
ARTIFACT_PATH = f"{ARTIFACT_DIR}/reference.parquet"
WINDOW_QUERY = """
select *
from marts.application_features
where applied_on between %(start)s and %(end)s
order by application_id
"""


@dataclass(frozen=True)
class ChampionInfo:
    """The champion version, where it came from, and what it scored on its out-of-time test."""

    model_name: str
    version: int
    run_id: str
    train_start: date
    train_end: date
    test_metrics: dict[str, float]
    lineage: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reference:
    """Sampled reference rows (features, `probability`) and how they were obtained."""

    frame: pd.DataFrame
    source: str  # "stored" or "rebuilt"
    rows_in_window: int
    note: str = ""


def champion_info(model_name: str, client: MlflowClient | None = None) -> ChampionInfo:
    """The champion's version, training window and test metrics, from the registry and its runs."""
    from mlflow import MlflowClient

    from credit_risk.model_registry import champion_version

    client = client or MlflowClient()
    mv = champion_version(client, model_name)
    if mv is None:
        raise ValueError(
            f"model {model_name} has no champion to monitor; train one first "
            "(credit-risk run pipeline)"
        )
    if not mv.run_id:
        raise ValueError(f"{model_name} version {mv.version} has no training run to read from")
    run = client.get_run(mv.run_id)
    parent_id = run.data.tags.get("mlflow.parentRunId")
    params = client.get_run(parent_id).data.params if parent_id else run.data.params
    start, end = params.get("train_start"), params.get("train_end")
    if not start or not end:
        raise ValueError(
            f"{model_name} version {mv.version}: its training run {parent_id or mv.run_id} has no "
            "train_start/train_end parameters (a random split has no training window); "
            "monitoring needs a champion trained with the out-of-time split"
        )
    metrics = {k: float(v) for k, v in run.data.metrics.items() if k.startswith("test_")}
    lineage_keys = ("data_seed", "data_scenario", "data_hash", "data_rows", "dbt_invocation_id")
    return ChampionInfo(
        model_name=model_name,
        version=int(mv.version),
        run_id=mv.run_id,
        train_start=date.fromisoformat(start),
        train_end=date.fromisoformat(end),
        test_metrics=metrics,
        lineage={k: run.data.tags[k] for k in lineage_keys if k in run.data.tags},
    )


def _stored(client: MlflowClient, run_id: str) -> pd.DataFrame | None:
    from mlflow.artifacts import download_artifacts

    names = {a.path for a in client.list_artifacts(run_id, ARTIFACT_DIR)}
    if ARTIFACT_PATH not in names:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = download_artifacts(run_id=run_id, artifact_path=ARTIFACT_PATH, dst_path=tmp)
        return pd.read_parquet(path)


def _lineage_note(dsn: str, champion: ChampionInfo) -> str:
    """Empty when the mart still holds the champion's training data, else what differs."""
    from credit_risk.labelled_features import data_hash, load_training_frame

    expected = champion.lineage.get("data_hash")
    if not expected:
        return "the champion's lineage has no data_hash; the window was rebuilt unchecked"
    found = data_hash(load_training_frame(dsn))
    if found == expected:
        return ""
    return (
        f"marts.application_features changed since the champion was trained (data hash "
        f"{found}, lineage {expected}); the reference is its training months in today's mart"
    )


def load_reference(
    dsn: str,
    champion: ChampionInfo,
    *,
    sample_rows: int,
    scorer: Callable[[pd.DataFrame], Any],
    client: MlflowClient | None = None,
) -> Reference:
    """The stored reference of this champion, or rebuild, score and store it now."""
    from mlflow import MlflowClient

    client = client or MlflowClient()
    started = time.perf_counter()
    stored = _stored(client, champion.run_id)
    if stored is not None:
        log.info(
            "reference: %d stored rows of version %s in %.1f s",
            len(stored),
            champion.version,
            time.perf_counter() - started,
        )
        return Reference(typed(sample(stored, sample_rows)), "stored", len(stored))
    window = read_frame(
        dsn, WINDOW_QUERY, {"start": champion.train_start, "end": champion.train_end}
    )
    if window.empty:
        raise ValueError(
            f"marts.application_features has no applications in the champion's training window "
            f"{champion.train_start} to {champion.train_end}; rebuild the features the champion "
            "was trained on, or train a new champion"
        )
    note = _lineage_note(dsn, champion)
    if note:
        log.warning("reference: %s", note)
    frame = typed(sample(window, sample_rows))
    frame["probability"] = scorer(frame)
    keep = ["application_id", "applied_on", *FEATURE_COLUMNS, "probability"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(ARTIFACT_PATH).name
        frame[keep].to_parquet(path, index=False)
        client.log_artifact(champion.run_id, str(path), ARTIFACT_DIR)
    log.info(
        "reference: rebuilt %d of %d applications from %s to %s and stored them in %.1f s",
        len(frame),
        len(window),
        champion.train_start,
        champion.train_end,
        time.perf_counter() - started,
    )
    return Reference(frame[keep], "rebuilt", len(window), note)


@dataclass(frozen=True)
class Scorer:
    """The champion's probability of default for contract-typed feature rows."""

    model: Any

    def __call__(self, frame: pd.DataFrame) -> Any:
        import numpy as np

        probabilities = self.model.predict_proba(frame[list(FEATURE_COLUMNS)])[:, 1]
        return np.asarray(probabilities, dtype=float)


def load_scorer(champion: ChampionInfo) -> Scorer:
    """Load the champion's model from the registry once."""
    from credit_risk.artifact.loading import load_model

    return Scorer(load_model(f"models:/{champion.model_name}/{champion.version}"))
