"""The train, validation and test sets as MLflow datasets, so a reviewer sees on every run what it
learned from and was judged on: each set's name, digest, source and row count.

The datasets are described once per training plan (MLflow hashes and profiles each frame) and
the light descriptions are logged on the parent run and on every candidate run.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow.entities import DatasetInput

    from training.data import Split

__all__ = ["FEATURE_MART", "describe_split", "log_split", "without_integer_schema_hint"]

# Where the pipeline's training frame comes from (labels joined from application_labels).
FEATURE_MART = "marts.application_features"
CONTEXTS = {"train": "training", "validation": "validation", "test": "testing"}


@contextmanager
def without_integer_schema_hint() -> Iterator[None]:
    """MLflow's schema inference warns that integer columns cannot hold missing values, once per
    frame. The contract's integer features are never missing (the feature spec types the model
    input), and the served model is not called through MLflow's schema enforcement; the hint
    repeated for every dataset and candidate only buries the log lines that matter."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Hint: Inferred schema contains integer", category=UserWarning
        )
        yield


def describe_split(split: Split, target: str, lineage: dict[str, str]) -> tuple[DatasetInput, ...]:
    """One MLflow dataset input per part of the split, sourced as the lineage says: the file a
    flat dataset came from, or the feature mart of the database."""
    import mlflow.data
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    source_file = lineage.get("source_file")
    source = _local_file(source_file) if source_file else _table(FEATURE_MART)
    inputs = []
    for part, frame in split.parts().items():
        with without_integer_schema_hint():  # the schema is inferred when the entity is made
            dataset = mlflow.data.from_pandas(frame, source=source, name=part, targets=target)
            entity = dataset._to_mlflow_entity()
        tags = [InputTag(MLFLOW_DATASET_CONTEXT, CONTEXTS[part])]
        inputs.append(DatasetInput(entity, tags=tags))
    return tuple(inputs)


def log_split(run_id: str, inputs: tuple[DatasetInput, ...]) -> None:
    from mlflow import MlflowClient

    MlflowClient().log_inputs(run_id, datasets=list(inputs))


def _local_file(path: str) -> Any:
    from mlflow.data.dataset_source_registry import get_registered_sources

    # MLflow makes its local-file source class at run time; it is found by its type name.
    local = next(s for s in get_registered_sources() if s._get_source_type() == "local")
    return local(path)


def _table(name: str) -> Any:
    from mlflow.data.code_dataset_source import CodeDatasetSource

    # MLflow has no source type for a PostgreSQL table; a tagged source names it without a DSN.
    return CodeDatasetSource({"database": "postgresql", "table": name})
