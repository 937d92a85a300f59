"""Model quality on the current rows whose loans have mature labels, against the champion's test."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Quality", "measure_quality"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quality:
    """AUC, KS and bad rate on mature labels, their deltas to the champion's test, by vintage."""

    available: bool
    reason: str
    mature_rows: int
    auc: float | None = None
    ks: float | None = None
    bad_rate: float | None = None
    champion_auc: float | None = None
    champion_ks: float | None = None
    champion_bad_rate: float | None = None
    by_vintage: list[dict[str, Any]] = field(default_factory=list)
    html_path: Path | None = None

    @property
    def auc_delta(self) -> float | None:
        return _delta(self.auc, self.champion_auc)

    @property
    def ks_delta(self) -> float | None:
        return _delta(self.ks, self.champion_ks)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self) | {"auc_delta": self.auc_delta, "ks_delta": self.ks_delta}
        out["html_path"] = None if self.html_path is None else str(self.html_path)
        return out


def _delta(value: float | None, baseline: float | None) -> float | None:
    return None if value is None or baseline is None else value - baseline


def _mature(current: pd.DataFrame) -> pd.DataFrame:
    if "is_mature" not in current.columns:
        return current.iloc[0:0]
    mature = current["is_mature"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return current.loc[mature & current["is_default"].notna().to_numpy()]


def _vintages(labelled: pd.DataFrame) -> list[dict[str, Any]]:
    vintage = pd.to_datetime(labelled["disbursed_on"]).dt.to_period("M").astype(str)
    grouped = labelled.assign(vintage=vintage, bad=labelled["is_default"].astype(int))
    table = grouped.groupby("vintage", sort=True).agg(loans=("bad", "size"), bads=("bad", "sum"))
    return [
        {"vintage": str(v), "loans": int(r.loans), "bad_rate": float(r.bads / r.loans)}
        for v, r in table.iterrows()
    ]


def _evidently_auc(labelled: pd.DataFrame, html_path: Path | None) -> float:
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.metrics import LogLoss, RocAuc

    from monitoring.drift import metric_values
    from monitoring.evidently_history import save_report

    frame = pd.DataFrame(
        {"is_default": labelled["is_default"].astype(int), "probability": labelled["probability"]}
    )
    definition = DataDefinition(
        numerical_columns=["probability"],
        categorical_columns=["is_default"],
        classification=[BinaryClassification(target="is_default", prediction_probas="probability")],
    )
    snapshot = Report([RocAuc(), LogLoss()], include_tests=False).run(
        current_data=Dataset.from_pandas(frame, data_definition=definition), reference_data=None
    )
    if html_path is not None:
        save_report(snapshot, html_path)
        _save_ks_snapshot(frame, html_path.parent)
    return float(metric_values(snapshot)[("RocAuc", None)])


def _save_ks_snapshot(frame: pd.DataFrame, folder: Path) -> None:
    """KS on mature labels as an Evidently snapshot, for the drift history: the KS statistic
    between the scores of the defaulters (current) and of the others (reference)."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    from monitoring.drift import KS_STATISTIC, SCORE_COLUMN, register_stattests
    from monitoring.evidently_history import KS_TAG, snapshot_path

    register_stattests()
    definition = DataDefinition(numerical_columns=[SCORE_COLUMN])
    bad = frame["is_default"] == 1
    report = Report([ValueDrift(column=SCORE_COLUMN, method=KS_STATISTIC)], tags=[KS_TAG])
    snapshot = report.run(
        current_data=Dataset.from_pandas(
            frame.loc[bad, [SCORE_COLUMN]], data_definition=definition
        ),
        reference_data=Dataset.from_pandas(
            frame.loc[~bad, [SCORE_COLUMN]], data_definition=definition
        ),
    )
    snapshot_path(folder / f"{KS_TAG}.html").write_text(snapshot.dumps())


def measure_quality(
    current: pd.DataFrame,
    champion_test: dict[str, float],
    *,
    min_rows: int,
    html_path: Path | None = None,
) -> Quality:
    """Quality once at least `min_rows` current rows carry mature labels of both classes."""
    from credit_risk.metrics import ks_statistic

    labelled = _mature(current)
    champion = {
        "champion_auc": champion_test.get("test_auc"),
        "champion_ks": champion_test.get("test_ks"),
        "champion_bad_rate": champion_test.get("test_bad_rate"),
    }
    if len(labelled) < min_rows:
        reason = (
            f"{len(labelled)} of {len(current)} current rows have mature labels; quality needs "
            f"{min_rows} (a loan's label matures 12 months after disbursement)"
        )
        return Quality(False, reason, len(labelled), **champion)  # type: ignore[arg-type]
    y = labelled["is_default"].astype(int)
    if y.nunique() < 2:
        reason = f"the {len(labelled)} mature labels are all of one class; AUC needs both"
        return Quality(False, reason, len(labelled), **champion)  # type: ignore[arg-type]
    quality = Quality(
        available=True,
        reason="",
        mature_rows=len(labelled),
        auc=_evidently_auc(labelled, html_path),
        ks=float(ks_statistic(y, labelled["probability"])),
        bad_rate=float(y.mean()),
        by_vintage=_vintages(labelled),
        html_path=html_path,
        **champion,
    )
    test_auc = champion["champion_auc"]
    log.info(
        "quality on %d mature labels: AUC %.3f (champion's test %s), KS %.3f, bad rate %.3f",
        quality.mature_rows,
        quality.auc,
        "unknown" if test_auc is None else f"{test_auc:.3f}",
        quality.ks,
        quality.bad_rate,
    )
    return quality
