"""Where a run's results go: the reports folder, an MLflow run linked to the model version."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitoring.run_report import Summary

__all__ = ["EXPERIMENT_SUFFIX", "log_to_mlflow", "run_folder", "write_summary"]

log = logging.getLogger(__name__)

EXPERIMENT_SUFFIX = "-monitoring"
VERSION_TAG_PREFIX = "monitoring_last_"


def run_folder(reports_dir: Path, model_name: str, version: int, stamp: str) -> Path:
    """reports/monitoring/<model>/v<version>/<UTC time stamp>/ for one run's files."""
    folder = reports_dir / "monitoring" / model_name / f"v{version}" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_summary(summary: Summary, folder: Path) -> Path:
    """summary.json beside the HTML report, and latest.json for the newest run."""
    text = json.dumps(summary.to_dict(), indent=2, default=str)
    path = folder / "summary.json"
    path.write_text(text)
    (folder.parents[2] / "latest.json").write_text(text)
    return path


def _finite(values: dict[str, float | None]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}


def log_to_mlflow(summary: Summary, experiment: str, artifact_root: Path, folder: Path) -> str:
    """One run in `<experiment>-monitoring` with metrics and the reports; tags the version."""
    import mlflow
    from mlflow import MlflowClient

    from credit_risk.tracking import ensure_experiment

    experiment_id = ensure_experiment(experiment + EXPERIMENT_SUFFIX, artifact_root)
    d, q, p = summary.drift, summary.quality, summary.portfolio
    name = f"monitor-v{summary.model_version}-{summary.started_at:%Y%m%d-%H%M%S}"
    with mlflow.start_run(experiment_id=experiment_id, run_name=name) as run:
        mlflow.set_tags(
            {
                "kind": "monitoring",
                "model_name": summary.model_name,
                "model_version": str(summary.model_version),
                "status": summary.status,
                "current": summary.current_description[:4900],
                "alerts": ",".join(a.name for a in summary.alerts)[:4900],
            }
        )
        metrics = {
            "score_psi": d.score_psi,
            "drifted_count": d.drifted_count,
            "drifted_share": d.drifted_share,
            "alert_count": len(summary.alerts),
            "current_rows": d.current_rows,
            "auc": q.auc,
            "ks": q.ks,
            "auc_delta": q.auc_delta,
            "ks_delta": q.ks_delta,
            "npa_ratio": p.npa_ratio,
            "default_rate": p.default_rate,
        }
        metrics |= {f"drift_{f.feature}": f.value for f in d.features}
        mlflow.log_metrics(_finite(metrics))
        mlflow.log_artifacts(str(folder), "monitoring")
    client = MlflowClient()
    tags = {
        "run_id": run.info.run_id,
        "status": summary.status,
        "at": summary.finished_at.isoformat(timespec="seconds"),
        "score_psi": f"{d.score_psi:.4f}",
    }
    for key, value in tags.items():
        client.set_model_version_tag(
            summary.model_name, str(summary.model_version), VERSION_TAG_PREFIX + key, value
        )
    log.info("monitoring run logged to MLflow run %s", run.info.run_id)
    return str(run.info.run_id)
