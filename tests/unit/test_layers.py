"""The layers contract in pyproject.toml holds, and an import against it fails the check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cli", "flows", "monitoring", "serving", "training", "expectations", "credit_risk")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_of_the_project(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_project_keeps_its_layers(tmp_path: Path) -> None:
    done = _lint_imports(_copy_of_the_project(tmp_path))
    assert done.returncode == 0, done.stdout[-2000:]
    assert "2 kept, 0 broken" in done.stdout


def _check_with_an_extra_import(tmp_path: Path, module: str, line: str) -> str:
    """The check's report on a copy of the project where `module` (a path) gains `line`."""
    root = _copy_of_the_project(tmp_path)
    source = root / module
    source.write_text(source.read_text() + f"\n{line}\n")
    done = _lint_imports(root)
    assert done.returncode == 1, done.stdout[-2000:]
    return done.stdout


def test_serving_importing_training_breaks_the_contract(tmp_path: Path) -> None:
    report = _check_with_an_extra_import(
        tmp_path, "serving/scorer.py", "from training.candidates import CANDIDATES"
    )
    assert "BROKEN" in report and "serving.scorer -> training.candidates" in report


def test_the_ground_importing_a_stage_breaks_the_layers(tmp_path: Path) -> None:
    report = _check_with_an_extra_import(
        tmp_path, "credit_risk/settings.py", "import monitoring.alerts"
    )
    assert "credit_risk.settings -> monitoring.alerts" in report
