"""`credit-risk monitor ui` serves the drift history that monitoring runs add to the workspace."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from cli.local_stack.processes import stop_group
from credit_risk.addresses import free_ports

pytestmark = pytest.mark.integration

CLI = str(Path(sys.executable).with_name("credit-risk"))
ROOT = Path(__file__).resolve().parents[2]


def _drift_snapshot(folder: Path) -> None:
    """A small drift report saved the way monitoring saves it."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import DriftedColumnsCount, ValueDrift

    from monitoring.drift import save_score_snapshot
    from monitoring.evidently_history import snapshot_path

    rng = np.random.default_rng(3)
    definition = DataDefinition(numerical_columns=["dti", "probability"])
    reference = pd.DataFrame({"dti": rng.normal(0.4, 0.1, 400), "probability": rng.beta(2, 8, 400)})
    current = reference.assign(probability=rng.beta(3, 6, 400))
    report = Report([ValueDrift(column="probability"), DriftedColumnsCount(columns=["dti"])])
    snapshot = report.run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    snapshot_path(folder / "drift.html").write_text(snapshot.dumps())
    save_score_snapshot(reference, current, folder)


def test_the_ui_serves_each_models_history(tmp_path: Path) -> None:
    from monitoring.evidently_history import WORKSPACE_FOLDER, add_run_snapshots

    state = tmp_path / "state"
    run = tmp_path / "reports" / "20261201T060000Z"
    run.mkdir(parents=True)
    _drift_snapshot(run)
    added = add_run_snapshots(state / WORKSPACE_FOLDER, "credit-risk-ui", run, run.name)
    assert len(added) == 2  # the drift report and the score snapshot
    # A second run of the same model joins the same project.
    assert len(add_run_snapshots(state / WORKSPACE_FOLDER, "credit-risk-ui", run, "again")) == 2

    (port,) = free_ports(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_")}
    env["CREDIT_PATHS__STATE_DIR"] = str(state)
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        child = subprocess.Popen(
            [CLI, "monitor", "ui", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        projects = None
        deadline = time.monotonic() + 90
        while projects is None and time.monotonic() < deadline:
            assert child.poll() is None, log.read_text()[-2000:]
            try:
                projects = httpx.get(f"{base}/api/projects", timeout=2).json()
            except httpx.HTTPError:
                time.sleep(0.5)
        assert projects is not None, log.read_text()[-2000:]
        assert [p["name"] for p in projects] == ["credit-risk-ui"]
        snapshots = httpx.get(f"{base}/api/projects/{projects[0]['id']}/snapshots", timeout=10)
        assert snapshots.status_code == 200, snapshots.text
        assert len(snapshots.json()) == 4
        # The score PSI panel reads its three lines from the score snapshots alone: the PSI of
        # each run, and the 0.10 and 0.25 bands beside it.
        project = projects[0]["id"]
        dashboard = httpx.get(f"{base}/api/v2/dashboards/{project}", timeout=10).json()
        panel = next(p for p in dashboard["panels"] if p["title"] == "Score PSI")
        series_filter = [
            {
                "metric": v["metric"],
                "tags": v.get("tags") or [],
                "metadata": v.get("metadata") or {},
                "metric_labels": v.get("metric_labels") or {},
            }
            for v in panel["values"]
        ]
        points = httpx.post(
            f"{base}/api/v2/snapshots/{project}/data_series_batch",
            json={"series_filter": series_filter},
            timeout=10,
        )
        assert points.status_code in (200, 201), points.text
        series = {s["params"]["method"]: s["values"] for s in points.json()["series"]}
        assert series["psi_watch_band"] == [0.10, 0.10]
        assert series["psi_act_band"] == [0.25, 0.25]
        assert len(series["decile_psi"]) == 2 and series["decile_psi"][0] > 0
        assert "Drift history (Evidently UI) on" in log.read_text()
    finally:
        stop_group(child.pid)
        child.wait(30)
