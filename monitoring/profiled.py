"""Reference and current rows of a model served by its feature profile (trained on a flat file).

The reference is the table the model was trained from (the run's `byo_table` lineage tag),
sampled and scored by the champion; the current rows are the model's logged decisions in a
window (serving.scoring_log) or a named table of new rows, scored by the same champion. Both
carry the model's own features and `probability`, ready for monitoring.drift.measure_drift
with the model's DriftColumns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from credit_risk.artifact.feature_profile import FeatureProfile
from monitoring.current import Current, NoCurrentDataError, scored_rows
from monitoring.drift import SCORE_COLUMN, DriftColumns
from monitoring.frames import read_frame, relation_exists, sample
from serving.table_scoring import parse_table

if TYPE_CHECKING:
    from credit_risk.artifact.scoring_model import CreditRiskModel
    from monitoring.window import Selection

__all__ = [
    "ProfiledChampion",
    "current_from_log",
    "current_from_table",
    "drift_columns",
    "profiled_champion",
    "reference_rows",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProfiledChampion:
    """The champion version, its model, what it saw in training and where that data is."""

    model_name: str
    version: int
    run_id: str
    training_table: str
    profile: FeatureProfile
    model: CreditRiskModel
    test_metrics: dict[str, float]


def profiled_champion(model_name: str) -> ProfiledChampion:
    """Load the champion of a model trained on a flat file, with its training table."""
    from mlflow import MlflowClient

    from credit_risk.artifact.feature_profile import read_profile
    from credit_risk.artifact.loading import load_model
    from credit_risk.model_registry import require_champion

    client = MlflowClient()
    mv = require_champion(client, model_name)
    uri = f"models:/{model_name}/{mv.version}"
    run = client.get_run(mv.run_id) if mv.run_id else None
    table = run.data.tags.get("byo_table") if run else None
    if not table:
        raise ValueError(
            f"{model_name} version {mv.version} names no training table (the byo_table tag of "
            "a model trained with 'credit-risk train --dataset'); monitor the contract's models "
            "with 'credit-risk monitor' alone"
        )
    metrics = {} if run is None else run.data.metrics
    return ProfiledChampion(
        model_name=model_name,
        version=int(mv.version),
        run_id=mv.run_id or "",
        training_table=table,
        profile=read_profile(uri),
        model=load_model(uri),
        test_metrics={k: float(v) for k, v in metrics.items() if k.startswith("test_")},
    )


def drift_columns(profile: FeatureProfile) -> DriftColumns:
    return DriftColumns(
        profile.numeric,
        profile.categorical,
        {f.name: f.categories for f in profile.fields if f.categories},
    )


def _typed(frame: pd.DataFrame, profile: FeatureProfile) -> pd.DataFrame:
    """The model's columns: numbers as floats (text that is no number as missing), categories
    as text."""
    out = pd.DataFrame(index=frame.index)
    for spec in profile.fields:
        values = frame[spec.name]
        if spec.kind == "number":
            out[spec.name] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[spec.name] = values.astype(object).where(values.notna(), None)
            out[spec.name] = out[spec.name].map(str, na_action="ignore")
    return out


def _scored(frame: pd.DataFrame, champion: ProfiledChampion) -> pd.DataFrame:
    typed = _typed(frame, champion.profile)
    typed[SCORE_COLUMN] = np.asarray(champion.model.predict_proba(typed)[:, 1], dtype=float)
    return typed


def _read_table(dsn: str, table: str, option: str) -> pd.DataFrame:
    schema, name = parse_table(table, option)  # plain identifiers: safe in the SQL below
    if not relation_exists(dsn, table):
        raise ValueError(f"{option} {table}: no such table")
    return read_frame(dsn, f"select * from {schema}.{name}")


def reference_rows(
    dsn: str, champion: ProfiledChampion, sample_rows: int
) -> tuple[pd.DataFrame, int]:
    """A scored sample of the training table, and how many rows it held."""
    frame = _read_table(dsn, champion.training_table, "training table")
    return _scored(sample(frame, sample_rows), champion), len(frame)


def current_from_table(
    dsn: str, champion: ProfiledChampion, table: str, sample_rows: int
) -> Current:
    """A named table of new rows (the model's feature columns), scored by the champion."""
    frame = _read_table(dsn, table, "--table")
    missing = [c for c in champion.profile.names if c not in frame.columns]
    if missing:
        raise ValueError(
            f"--table {table} lacks the model's features {missing}; it has {list(frame.columns)}"
        )
    if frame.empty:
        raise NoCurrentDataError(f"{table} has no rows to compare")
    return Current(_scored(sample(frame, sample_rows), champion), len(frame), f"table {table}")


def current_from_log(
    dsn: str, champion: ProfiledChampion, selection: Selection, sample_rows: int
) -> Current:
    """The model's logged decisions in the window, with the probability each was given."""
    frame, total = scored_rows(
        dsn, selection, sample_rows, champion.model_name, tuple(champion.profile.names)
    )
    typed = _typed(frame, champion.profile)
    typed[SCORE_COLUMN] = frame["logged_probability"].astype(float).to_numpy()
    return Current(typed, total, selection.describe())
