"""Flow modules can be loaded by file path, as Prefect does for work-pool deployments."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_flow_module_shadows_a_project_package() -> None:
    # A file-path entrypoint (flows/pipeline.py:run_pipeline) puts flows/ first on sys.path;
    # a flows/training.py would then be imported in place of the training package.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = set(project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    modules = {path.stem for path in (ROOT / "flows").glob("*.py")}
    assert packages >= {"training", "serving", "monitoring", "credit_risk"}
    assert not modules & packages, f"rename flows/{sorted(modules & packages)}.py"


def test_every_flow_loads_from_its_file_path_entrypoint() -> None:
    from prefect.flows import load_flow_from_entrypoint

    for entrypoint, name in [
        ("flows/pipeline.py:run_pipeline", "run-pipeline"),
        ("flows/train.py:train_model", "train-model"),
        ("flows/scoring.py:score_batch", "score-batch"),
        ("flows/drift.py:check_drift", "check-drift"),
        ("flows/drift.py:retrain_on_drift", "retrain-on-drift"),
    ]:
        flow = load_flow_from_entrypoint(str(ROOT / entrypoint))
        assert flow.name == name
