"""Load a registered model with the ground package alone, whenever it was logged.

A logged model is a pickle of CreditRiskModel and its fitted pipeline, which refers to this
package's classes and functions by import path. Models logged before the artifact moved to the
ground name them under `training.candidates` and `training.scorecard`; the unpickler here
reads those paths as their new homes, so such a model loads without the training code (and
with it). MLflow's own switch, MLFLOW_ALLOW_PICKLE_DESERIALIZATION, is honoured.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import IO, Any

from credit_risk.artifact.scoring_model import CreditRiskModel

__all__ = ["LEGACY_PATHS", "load_model", "read_pickled_model"]

# (module, name) in models logged before the move -> (module, name) now
LEGACY_PATHS: dict[tuple[str, str], tuple[str, str]] = {
    ("training.candidates", "CreditRiskModel"): (
        "credit_risk.artifact.scoring_model",
        "CreditRiskModel",
    ),
    ("training.candidates", "FeatureSpec"): ("credit_risk.artifact.feature_spec", "FeatureSpec"),
    ("training.candidates", "coerce_features"): (
        "credit_risk.artifact.feature_spec",
        "coerce_features",
    ),
    ("training.candidates", "_coerced_names"): (
        "credit_risk.artifact.feature_spec",
        "coerced_names",
    ),
    ("training.scorecard", "ScoreScaling"): ("credit_risk.artifact.scaling", "ScoreScaling"),
}
SKLEARN_FLAVOR = "sklearn"


class _ArtifactUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        module, name = LEGACY_PATHS.get((module, name), (module, name))
        if module.split(".")[0] in {"training", "serving", "monitoring", "flows"}:
            raise pickle.UnpicklingError(
                f"the model refers to {module}.{name}, which is not part of the model artifact; "
                "add it to credit_risk.artifact.loading.LEGACY_PATHS"
            )
        return super().find_class(module, name)


def read_pickled_model(stream: IO[bytes]) -> Any:
    """Unpickle a logged model, reading pre-move import paths as their new homes."""
    return _ArtifactUnpickler(stream).load()


def load_model(model_uri: str) -> CreditRiskModel:
    """The CreditRiskModel at `model_uri` (models:/name/version, runs:/id/model, or a local
    model folder)."""
    import mlflow
    from mlflow.environment_variables import MLFLOW_ALLOW_PICKLE_DESERIALIZATION
    from mlflow.models import Model

    if not MLFLOW_ALLOW_PICKLE_DESERIALIZATION.get():
        raise RuntimeError(
            f"{model_uri} is a pickled model and MLFLOW_ALLOW_PICKLE_DESERIALIZATION is off; "
            "turn it on to load models from this registry"
        )
    folder = Path(model_uri)
    local = folder if folder.is_dir() else Path(mlflow.artifacts.download_artifacts(model_uri))
    flavor = Model.load(local / "MLmodel").flavors.get(SKLEARN_FLAVOR)
    if flavor is None or "pickled_model" not in flavor:
        raise ValueError(f"{model_uri} has no pickled {SKLEARN_FLAVOR} model")
    with (local / flavor["pickled_model"]).open("rb") as stream:
        model = read_pickled_model(stream)
    if not isinstance(model, CreditRiskModel):
        raise TypeError(f"{model_uri} holds a {type(model).__name__}, not a CreditRiskModel")
    return model
