"""Drift history in Evidently's own UI: each monitoring run adds its drift and quality snapshots
to an Evidently workspace, one project per registered model, whose dashboard plots them over
time. `evidently ui --workspace <state>/evidently` serves it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from credit_risk.contract import KEY_FACTORS

__all__ = [
    "KS_TAG",
    "REPORTS",
    "SCORE_TAG",
    "SNAPSHOT_SUFFIX",
    "WORKSPACE_FOLDER",
    "add_run_snapshots",
    "save_report",
    "snapshot_path",
    "ui_command",
]

log = logging.getLogger(__name__)

WORKSPACE_FOLDER = "evidently"
SNAPSHOT_SUFFIX = ".snapshot.json"
# The snapshots a run adds: the drift and quality reports, and two kept for the history only:
# score (score PSI beside its 0.10 and 0.25 bands) and ks (KS on mature labels), each tagged with
# its name so a panel reads it alone.
REPORTS = ("drift", "quality", "score", "ks")
SCORE_TAG = "score"
KS_TAG = "ks"


def snapshot_path(html_path: Path) -> Path:
    """Where a report's Evidently snapshot is kept beside its HTML: drift.html → drift.snapshot.json."""
    return html_path.with_name(html_path.stem + SNAPSHOT_SUFFIX)


def save_report(snapshot: Any, html_path: Path) -> None:
    """The report's HTML for people and its snapshot for the history, side by side."""
    html_path.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(html_path))
    snapshot_path(html_path).write_text(snapshot.dumps())


def ui_command(state_dir: Path, host: str, port: int) -> list[str]:
    """`evidently ui` on the workspace under `state_dir` (made when missing)."""
    import sys

    workspace = state_dir / WORKSPACE_FOLDER
    workspace.mkdir(parents=True, exist_ok=True)
    evidently = str(Path(sys.executable).with_name("evidently"))
    return [evidently, "ui", "--workspace", str(workspace), "--host", host, "--port", str(port)]


def add_run_snapshots(workspace: Path, model_name: str, folder: Path, run_name: str) -> list[str]:
    """Add the run's snapshots (those in `folder`) to the model's project; their ids."""
    from evidently.core.report import Snapshot
    from evidently.ui.workspace import Workspace

    workspace.mkdir(parents=True, exist_ok=True)
    ws = Workspace(str(workspace))
    project = _project(ws, model_name)
    added = []
    for report in REPORTS:
        path = folder / f"{report}{SNAPSHOT_SUFFIX}"
        if path.exists():
            ref = ws.add_run(project.id, Snapshot.load(path), name=f"{run_name} {report}")
            added.append(str(ref.id))
    log.info("added %d snapshots to Evidently project %s in %s", len(added), model_name, workspace)
    return added


def _project(ws: Any, model_name: str) -> Any:
    found = ws.search_project(model_name)
    if found:
        return found[0]
    project = ws.create_project(
        model_name, description=f"Monitoring runs of {model_name}: drift, scores and quality"
    )
    for panel in _panels():
        project.dashboard.add_panel(panel)
    return project


def _panels() -> list[Any]:
    from evidently.sdk.models import PanelMetric
    from evidently.sdk.panels import line_plot_panel

    from monitoring.drift import DECILE_PSI, KS_STATISTIC, SCORE_COLUMN

    def missing(column: str) -> PanelMetric:
        labels = {"column": column, "value_type": "share"}
        return PanelMetric(legend=column, metric="MissingValueCount", metric_labels=labels)

    return [
        line_plot_panel(
            "Score PSI",
            [
                PanelMetric(
                    legend=legend,
                    metric="ValueDrift",
                    tags=[SCORE_TAG],
                    metric_labels={"column": SCORE_COLUMN, "method": method},
                )
                for legend, method in (
                    ("score PSI", DECILE_PSI),
                    ("watch 0.10", "psi_watch_band"),
                    ("act 0.25", "psi_act_band"),
                )
            ],
            description="Watch from 0.10, act above 0.25 (the score_psi alert).",
            size="half",
        ),
        line_plot_panel(
            "Share of drifted features",
            [
                PanelMetric(
                    legend="drifted share",
                    metric="DriftedColumnsCount",
                    metric_labels={"value_type": "share"},
                )
            ],
            description="Alert at CREDIT_MONITORING__DRIFTED_SHARE_MAX (0.3 by default).",
            size="half",
        ),
        line_plot_panel(
            "AUC on mature labels",
            [PanelMetric(legend="AUC", metric="RocAuc")],
            description="Runs whose window had mature labels; a fall means the model ranks "
            "risk worse than when it was promoted.",
            size="half",
        ),
        line_plot_panel(
            "KS on mature labels",
            [
                PanelMetric(
                    legend="KS",
                    metric="ValueDrift",
                    tags=[KS_TAG],
                    metric_labels={"column": SCORE_COLUMN, "method": KS_STATISTIC},
                )
            ],
            description="The largest gap between the score distributions of defaulters and "
            "the others; alerts against the champion's test KS.",
            size="half",
        ),
        line_plot_panel(
            "Missing share of the key factors",
            [missing(column) for column in (*KEY_FACTORS, "bureau_score")],
            description="A rise points at an upstream feed or the bureau, not at the applicants.",
            size="half",
        ),
    ]
