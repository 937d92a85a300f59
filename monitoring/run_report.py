"""One monitoring run summarised: the JSON record and the Markdown an on-call engineer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monitoring.alerts import Alert, readable
from monitoring.drift import DriftResult, FeatureDrift
from monitoring.portfolio import PortfolioHealth
from monitoring.quality import Quality

__all__ = ["Summary", "mean_change"]

TOP_FEATURES = 10


@dataclass
class Summary:
    """Everything a run found; `to_dict` is the JSON summary written beside the HTML report."""

    started_at: datetime
    finished_at: datetime
    model_name: str
    model_version: int
    current_kind: str
    current_description: str
    current_rows_in_window: int
    reference_source: str
    reference_window: str
    drift: DriftResult
    quality: Quality
    portfolio: PortfolioHealth
    alerts: list[Alert]
    reference_note: str = ""
    report_path: Path | None = None
    summary_path: Path | None = None
    mlflow_run_id: str | None = None
    alert_since: dict[str, str] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    retraining: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        return "alert" if self.alerts else "ok"

    @property
    def drift_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if a.is_drift]

    def headline(self) -> str:
        d = self.drift
        base = (
            f"{self.model_name} v{self.model_version} on {self.current_description}: score PSI "
            f"{d.score_psi:.3f} ({d.score_band}), {d.drifted_count} of {len(d.features)} "
            f"features drifted"
        )
        if not self.alerts:
            return f"OK: {base}; no thresholds breached"
        names = ", ".join(a.name for a in self.alerts)
        return f"ALERT ({len(self.alerts)}): {base}; breached {names}"

    def to_dict(self) -> dict[str, Any]:
        d = self.drift
        return {
            "status": self.status,
            "headline": self.headline(),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "model": {"name": self.model_name, "version": self.model_version},
            "reference": {
                "source": self.reference_source,
                "window": self.reference_window,
                "rows": d.reference_rows,
                "note": self.reference_note,
            },
            "current": {
                "kind": self.current_kind,
                "description": self.current_description,
                "rows_in_window": self.current_rows_in_window,
                "rows_compared": d.current_rows,
            },
            "metrics": {
                "score_psi": d.score_psi,
                "score_psi_band": d.score_band,
                "drifted_count": d.drifted_count,
                "drifted_share": d.drifted_share,
                "drifted_features": {f.feature: f.value for f in d.features if f.drifted},
                "auc_delta": self.quality.auc_delta,
                "ks_delta": self.quality.ks_delta,
            },
            "features": [f.to_dict() for f in d.features],
            "quality": self.quality.to_dict(),
            "portfolio": self.portfolio.to_dict(),
            "alerts": [a.to_dict() | {"since": self.alert_since.get(a.name)} for a in self.alerts],
            "report_path": None if self.report_path is None else str(self.report_path),
            "reports": self.reports(),
            "mlflow_run_id": self.mlflow_run_id,
            "webhook": self.webhook,
            "retraining": self.retraining,
            "evidently_seconds": round(d.seconds, 2),
        }

    def reports(self) -> dict[str, str]:
        """The run's files by name: the alerts-first page (report_path) and Evidently's reports."""
        if self.report_path is None:
            return {}
        folder = self.report_path.parent
        files = {
            "alerts": self.report_path,
            "drift": folder / "drift.html",
            "quality": folder / "quality.html",
        }
        return {name: str(path) for name, path in files.items() if path.exists()}

    def markdown(self) -> str:
        d, q, p = self.drift, self.quality, self.portfolio
        lines = [f"# Monitoring: {self.status.upper()}", "", self.headline(), ""]
        if self.alerts:
            lines += ["## What to do", ""]
            for a in self.alerts:
                since = self.alert_since.get(a.name)
                lines.append(f"- **{a.name}** (since {since or 'this run'}): {a.message}")
            lines.append("")
        lines += [
            "## Drift",
            "",
            f"Reference: {self.reference_window} ({d.reference_rows:,} rows, "
            f"{self.reference_source}). Current: {self.current_description} "
            f"({d.current_rows:,} of {self.current_rows_in_window:,} rows).",
            "",
            f"Score PSI **{d.score_psi:.3f}** ({d.score_band}; watch ≥ 0.10, act > 0.25).",
            "",
            "| feature | method | value | band | mean ref → current | missing ref → current |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for f in d.features[:TOP_FEATURES]:
            lines.append(
                f"| {f.feature} | {f.method} | {f.value:.3f} | {f.band} | {mean_change(f)} | "
                f"{f.reference_missing_share:.1%} → {f.current_missing_share:.1%} |"
            )
        if self.reference_note:
            lines += ["", f"Note: {self.reference_note}"]
        lines += ["", "## Quality on mature labels", ""]
        if q.available:
            lines.append(
                f"AUC {q.auc:.3f} (champion test {_num(q.champion_auc)}, Δ {_num(q.auc_delta)}), "
                f"KS {q.ks:.3f} (test {_num(q.champion_ks)}, Δ {_num(q.ks_delta)}), "
                f"bad rate {q.bad_rate:.1%} on {q.mature_rows:,} mature loans."
            )
        else:
            lines.append(f"Not measured: {q.reason}.")
        lines += ["", "## Portfolio", ""]
        if p.available:
            lines.append(
                f"{p.schema} on {p.snapshot_on}: {p.loans:,} loans, NPA ratio "
                f"{_pct(p.npa_ratio)}, default rate {_pct(p.default_rate)}, "
                f"{p.early_warning_loans:,} live loans late on their last 3 instalments."
            )
        else:
            lines.append(f"Not available: {p.reason}.")
        if self.report_path is not None:
            lines += ["", f"Report (alerts first): `{self.report_path}`"]
        if self.mlflow_run_id:
            lines.append(f"MLflow run: `{self.mlflow_run_id}`")
        if self.retraining is not None:
            lines += ["", f"Retraining: {self.retraining.get('decision', self.retraining)}"]
        return "\n".join(lines)


def mean_change(f: FeatureDrift) -> str:
    """ "reference → current" of a numeric feature's mean, "–" for a categorical one."""
    if f.reference_mean is None or f.current_mean is None:
        return "–"
    return f"{readable(f.reference_mean)} → {readable(f.current_mean)}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:+.3f}" if value < 0 else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"
