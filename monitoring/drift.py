"""Feature and score drift with Evidently, read back by metric name into plain results.

PSI is computed on the reference's deciles (with a bucket for missing values), as credit
validators define it: Evidently's own `psi` cuts equal-width bins over both samples, which puts
almost all of a long-tailed feature such as DTI into one bin. The decile PSI is registered with
Evidently as the stattest `decile_psi`, so the report shows it; any Evidently stattest can be
chosen instead (settings.monitoring.numeric_stattest and friends).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from credit_risk import contract
from credit_risk.metrics import PSI_ACT, PSI_WATCH, psi_band
from monitoring.frames import categorical_columns, numeric_columns

if TYPE_CHECKING:
    from credit_risk.settings import MonitoringSettings

__all__ = [
    "DECILE_PSI",
    "KS_STATISTIC",
    "PSI_BANDS",
    "SCORE_COLUMN",
    "DriftColumns",
    "DriftResult",
    "FeatureDrift",
    "measure_drift",
    "metric_values",
    "register_stattests",
    "save_score_snapshot",
]

log = logging.getLogger(__name__)

DECILE_PSI = "decile_psi"
KS_STATISTIC = "ks_statistic"
PSI_BANDS = {"psi_watch_band": PSI_WATCH, "psi_act_band": PSI_ACT}
SCORE_COLUMN = "probability"
# Evidently tests whose score is a p-value: drift is a score *below* the threshold.
P_VALUE_METHODS = frozenset(
    {"ks", "chisquare", "z", "t_test", "mannw", "anderson", "fisher_exact", "cramer_von_mises"}
    | {"g_test", "epps_singleton", "es"}
)


@dataclass(frozen=True)
class DriftColumns:
    """The features a run compares: numbers, categories, and the levels each category may take."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    known_categories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_contract(cls) -> DriftColumns:
        return cls(
            tuple(numeric_columns()),
            tuple(categorical_columns()),
            {f.name: f.categories for f in contract.training_features() if f.categories},
        )

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]


@dataclass(frozen=True)
class FeatureDrift:
    """One feature: its drift score and test, means, missing shares and unseen categories."""

    feature: str
    kind: str  # numeric or categorical
    method: str
    value: float
    drifted: bool
    reference_mean: float | None = None
    current_mean: float | None = None
    reference_missing_share: float = 0.0
    current_missing_share: float = 0.0
    unseen_share: float = 0.0
    unseen_categories: list[str] = field(default_factory=list)

    @property
    def band(self) -> str:
        """PSI band (stable < 0.10 ≤ watch ≤ 0.25 < act); methods other than PSI have none."""
        if "psi" not in self.method:
            return "drifted" if self.drifted else "ok"
        return psi_band(self.value)

    @property
    def mean_shift(self) -> float | None:
        """Relative change of the mean, (current − reference) / |reference|."""
        reference = self.reference_mean
        if reference is None or reference == 0.0 or self.current_mean is None:
            return None
        return (self.current_mean - reference) / abs(reference)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "band": self.band, "mean_shift": self.mean_shift}


@dataclass(frozen=True)
class DriftResult:
    """What drifted, by how much, and the Evidently report that shows it."""

    features: list[FeatureDrift]
    drifted_count: int
    drifted_share: float
    score_psi: float
    reference_rows: int
    current_rows: int
    html_path: Path | None
    seconds: float

    @property
    def score_band(self) -> str:
        return psi_band(self.score_psi)

    def by_feature(self) -> dict[str, FeatureDrift]:
        return {f.feature: f for f in self.features}


def _decile_psi(
    reference: pd.Series, current: pd.Series, feature_type: Any, threshold: float
) -> tuple[float, bool]:
    from evidently import ColumnType

    from credit_risk.metrics import psi, psi_categorical

    if feature_type == ColumnType.Numerical:
        value = psi(reference.to_numpy(dtype=float), current.to_numpy(dtype=float))
    else:
        value = psi_categorical(reference.to_numpy(dtype=object), current.to_numpy(dtype=object))
    return value, value >= threshold


def _ks_statistic(
    reference: pd.Series, current: pd.Series, feature_type: Any, threshold: float
) -> tuple[float, bool]:
    from scipy.stats import ks_2samp

    value = float(
        ks_2samp(reference.to_numpy(dtype=float), current.to_numpy(dtype=float)).statistic
    )
    return value, value >= threshold


def _constant(value: float) -> Any:
    def band(
        reference: pd.Series, current: pd.Series, feature_type: Any, threshold: float
    ) -> tuple[float, bool]:
        return value, False

    return band


def register_stattests() -> None:
    """Make `decile_psi`, `ks_statistic` and the PSI bands known to Evidently (idempotent).

    `ks_statistic` is the two-sample KS statistic (not its p-value), used between the scores of
    the defaulters and of the others; the bands are constants, so that the drift history plots
    the 0.10 and 0.25 PSI lines beside the score PSI.
    """
    from evidently import ColumnType
    from evidently.legacy.calculations.stattests.registry import StatTest, register_stattest

    both = [ColumnType.Numerical, ColumnType.Categorical]
    register_stattest(
        StatTest(
            name=DECILE_PSI,
            display_name="PSI (reference deciles)",
            allowed_feature_types=both,
            default_threshold=PSI_ACT,
        ),
        _decile_psi,
    )
    register_stattest(
        StatTest(
            name=KS_STATISTIC,
            display_name="KS statistic",
            allowed_feature_types=[ColumnType.Numerical],
            default_threshold=1.0,
        ),
        _ks_statistic,
    )
    for name, value in PSI_BANDS.items():
        register_stattest(
            StatTest(
                name=name,
                display_name=f"PSI band {value:.2f}",
                allowed_feature_types=both,
                default_threshold=value,
            ),
            _constant(value),
        )


def metric_values(snapshot: Any) -> dict[tuple[str, str | None], Any]:
    """Every metric's value keyed by (metric type, column), e.g. ("ValueDrift", "dti")."""
    values: dict[tuple[str, str | None], Any] = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        kind = str(config["type"]).rsplit(":", 1)[-1]
        values[(kind, config.get("column"))] = metric["value"]
    return values


def _evidently_frame(frame: pd.DataFrame, columns: DriftColumns) -> pd.DataFrame:
    out = frame[[*columns.features, SCORE_COLUMN]].copy()
    for column in columns.categorical:
        out[column] = out[column].map(str, na_action="ignore")
    return out


def _methods(settings: MonitoringSettings, columns: DriftColumns) -> dict[str, str]:
    methods = dict.fromkeys(columns.numeric, settings.numeric_stattest)
    methods |= dict.fromkeys(columns.categorical, settings.categorical_stattest)
    chosen = {k: v for k, v in settings.per_feature_stattest.items() if k in methods}
    unknown = sorted(set(settings.per_feature_stattest) - set(methods))
    if unknown and columns == DriftColumns.from_contract():
        raise ValueError(
            f"monitoring.per_feature_stattest: {unknown} are not model features; "
            f"features are {', '.join(methods)}"
        )
    return methods | chosen


def _report(settings: MonitoringSettings, methods: dict[str, str], columns: DriftColumns) -> Any:
    from evidently import Report
    from evidently.metrics import MissingValueCount, OutListValueCount, ValueDrift
    from evidently.presets import DataDriftPreset

    features = columns.features
    known = {name: list(levels) for name, levels in columns.known_categories.items()}
    return Report(
        [
            DataDriftPreset(
                columns=features,
                per_column_method=methods,
                threshold=settings.feature_drift_threshold,
                drift_share=settings.drifted_share_max,
            ),
            ValueDrift(column=SCORE_COLUMN, method=DECILE_PSI, threshold=settings.score_psi_max),
            *[MissingValueCount(column=c) for c in features],
            *[OutListValueCount(column=c, values=values) for c, values in known.items()],
        ],
        include_tests=False,
    )


def _feature(
    name: str,
    method: str,
    values: dict[tuple[str, str | None], Any],
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    threshold: float,
    columns: DriftColumns,
) -> FeatureDrift:
    drift = float(values[("ValueDrift", name)])
    missing = values[("MissingValueCount", name)]
    unseen = values.get(("OutListValueCount", name), {"share": 0.0})
    numeric = name in columns.numeric
    known = set(columns.known_categories.get(name, ()))
    seen = set(cur[name].dropna().astype(str)) - known if known else set()
    return FeatureDrift(
        feature=name,
        kind="numeric" if numeric else "categorical",
        method=method,
        value=drift,
        drifted=_drifted(drift, method, threshold),
        reference_mean=_mean(ref[name]) if numeric else None,
        current_mean=_mean(cur[name]) if numeric else None,
        reference_missing_share=float(ref[name].isna().mean()),
        current_missing_share=float(missing["share"]),
        unseen_share=float(unseen["share"]),
        unseen_categories=sorted(seen),
    )


def _drifted(value: float, method: str, threshold: float) -> bool:
    if math.isnan(value):
        return False
    return value < threshold if method in P_VALUE_METHODS else value >= threshold


def _mean(values: pd.Series) -> float | None:
    mean = values.mean()
    return None if pd.isna(mean) else float(mean)


def save_score_snapshot(reference: pd.DataFrame, current: pd.DataFrame, folder: Path) -> None:
    """Score PSI beside the 0.10 and 0.25 bands, one snapshot for the drift history's panel."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    from monitoring.evidently_history import SCORE_TAG, snapshot_path

    register_stattests()
    definition = DataDefinition(numerical_columns=[SCORE_COLUMN])
    methods = [DECILE_PSI, *PSI_BANDS]
    report = Report([ValueDrift(column=SCORE_COLUMN, method=m) for m in methods], tags=[SCORE_TAG])
    snapshot = report.run(
        current_data=Dataset.from_pandas(current[[SCORE_COLUMN]], data_definition=definition),
        reference_data=Dataset.from_pandas(reference[[SCORE_COLUMN]], data_definition=definition),
    )
    snapshot_path(folder / f"{SCORE_TAG}.html").write_text(snapshot.dumps())


def measure_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    settings: MonitoringSettings,
    html_path: Path | None = None,
    columns: DriftColumns | None = None,
) -> DriftResult:
    """Run the Evidently report on scored reference and current rows; save its HTML if asked.

    `columns` are the contract's features unless a model of other features is monitored.
    """
    from evidently import DataDefinition, Dataset

    from monitoring.evidently_history import save_report

    for name, frame in (("reference", reference), ("current", current)):
        if frame.empty:
            raise ValueError(f"{name}: no rows to compare")
        if SCORE_COLUMN not in frame.columns:
            raise ValueError(f"{name}: score the rows first (column {SCORE_COLUMN!r} is missing)")
    register_stattests()
    columns = columns or DriftColumns.from_contract()
    methods = _methods(settings, columns)
    definition = DataDefinition(
        numerical_columns=[*columns.numeric, SCORE_COLUMN],
        categorical_columns=list(columns.categorical),
    )
    started = time.perf_counter()
    snapshot = _report(settings, methods, columns).run(
        current_data=Dataset.from_pandas(
            _evidently_frame(current, columns), data_definition=definition
        ),
        reference_data=Dataset.from_pandas(
            _evidently_frame(reference, columns), data_definition=definition
        ),
    )
    values = metric_values(snapshot)
    if html_path is not None:
        save_report(snapshot, html_path)
        save_score_snapshot(reference, current, html_path.parent)
    counted = values[("DriftedColumnsCount", None)]
    features = [
        _feature(
            n, methods[n], values, reference, current, settings.feature_drift_threshold, columns
        )
        for n in methods
    ]
    result = DriftResult(
        features=sorted(features, key=lambda f: -f.value),
        drifted_count=int(counted["count"]),
        drifted_share=float(counted["share"]),
        score_psi=float(values[("ValueDrift", SCORE_COLUMN)]),
        reference_rows=len(reference),
        current_rows=len(current),
        html_path=html_path,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "drift: %d of %d features drifted (share %.2f), score PSI %.3f (%s); "
        "%d reference vs %d current rows in %.1f s",
        result.drifted_count,
        len(features),
        result.drifted_share,
        result.score_psi,
        result.score_band,
        result.reference_rows,
        result.current_rows,
        result.seconds,
    )
    return result
