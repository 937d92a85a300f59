"""A model registered before the artifact moved loads from the registry with the ground package
and its libraries alone: no training, serving, monitoring or flows code importable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from tests.integration.service import ROOT

pytestmark = pytest.mark.integration

LEGACY = ROOT / "tests" / "fixtures" / "model-logged-before-the-artifact-move"
STAGES = ("training", "serving", "monitoring", "flows", "expectations", "cli")
# Runs in a fresh interpreter: importing any stage package fails, as on an install of the
# ground package alone.
SCORE = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class NoStages(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {stages!r}:
                raise ImportError(f"{{name}} is not installed here")
            return None

    sys.meta_path.insert(0, NoStages())
    import pandas as pd
    from credit_risk.artifact.loading import load_model

    model = load_model(sys.argv[1])
    rows = pd.DataFrame(json.loads(sys.argv[2]))
    print(json.dumps(model.predict_proba(rows)[:, 1].tolist()))
    """
)


def test_a_model_registered_before_the_move_loads_without_any_stage(
    mlflow_tracking_uri: str, tmp_path: Path
) -> None:
    import mlflow

    expected = json.loads((LEGACY / "expected.json").read_text())
    experiment = mlflow.create_experiment(
        f"legacy-{uuid.uuid4().hex[:8]}", artifact_location=(tmp_path / "artifacts").as_uri()
    )
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_artifacts(str(LEGACY / "model"), "model")
    name = f"legacy-{uuid.uuid4().hex[:8]}"
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", name).version

    script = SCORE.format(stages=set(STAGES))
    # The store this process registered the model in, whatever earlier tests pointed MLflow at.
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(),
        "MLFLOW_REGISTRY_URI": mlflow.get_registry_uri(),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, f"models:/{name}/{version}", json.dumps(expected["rows"])],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},  # this checkout; the finder hides its stages
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1]) == pytest.approx(expected["probability"])
