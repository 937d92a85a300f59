"""Alerts: every threshold breach, in words an on-call engineer can act on, and the webhook."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from credit_risk import contract

if TYPE_CHECKING:
    from credit_risk.settings import MonitoringSettings
    from monitoring.drift import DriftResult
    from monitoring.portfolio import PortfolioHealth
    from monitoring.quality import Quality

__all__ = ["DRIFT_KINDS", "Alert", "evaluate_alerts", "post_webhook"]

log = logging.getLogger(__name__)

RETRAIN = "consider retraining (credit-risk run pipeline --no-generate; the promotion gate decides)"
# Alerts about the population or the scores, which retraining on recent data can answer.
DRIFT_KINDS = frozenset(
    {"score_psi", "feature_drift", "mean_shift", "drifted_share", "quality_auc", "quality_ks"}
)


@dataclass(frozen=True)
class Alert:
    """One breached threshold: what, by how much, and what to do."""

    kind: str
    subject: str
    value: float
    threshold: float
    message: str

    @property
    def is_drift(self) -> bool:
        return self.kind in DRIFT_KINDS

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.subject}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"name": self.name, "is_drift": self.is_drift}


def readable(value: float) -> str:
    """Money with thousands separators, ratios with three significant digits."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"


def _label(feature: str) -> str:
    found = contract.by_name().get(feature)
    return found.label if found else feature


def _drift_alerts(drift: DriftResult, s: MonitoringSettings, retrain: str) -> list[Alert]:
    alerts: list[Alert] = []
    movers = ", ".join(f"{f.feature} {f.value:.2f}" for f in drift.features[:4])
    if drift.score_psi >= s.score_psi_max:
        alerts.append(
            Alert(
                "score_psi",
                "probability",
                drift.score_psi,
                s.score_psi_max,
                f"score PSI {drift.score_psi:.2f} ≥ {s.score_psi_max:.2f}: the scored population "
                f"shifted (largest feature shifts: {movers}); check approval and reject rates, "
                f"review those features, and {retrain}",
            )
        )
    for f in drift.features:
        if f.drifted:
            means = (
                ""
                if f.reference_mean is None or f.current_mean is None
                else f" (mean {readable(f.reference_mean)} → {readable(f.current_mean)})"
            )
            alerts.append(
                Alert(
                    "feature_drift",
                    f.feature,
                    f.value,
                    s.feature_drift_threshold,
                    f"{f.feature} ({_label(f.feature)}) {f.method} {f.value:.2f} crosses "
                    f"{s.feature_drift_threshold:.2f}{means}: its distribution moved; rule out a "
                    f"change in the source data first, then {retrain}",
                )
            )
        shift = f.mean_shift
        if (
            f.feature in contract.KEY_FACTORS
            and shift is not None
            and abs(shift) >= s.mean_shift_max
        ):
            alerts.append(
                Alert(
                    "mean_shift",
                    f.feature,
                    shift,
                    s.mean_shift_max,
                    f"{f.feature} ({_label(f.feature)}) mean {readable(f.reference_mean or 0)} → "
                    f"{readable(f.current_mean or 0)} ({shift:+.0%}, limit ±{s.mean_shift_max:.0%}): a key "
                    f"affordability factor moved; expect approvals and defaults to move with it, "
                    f"review cut-offs and {retrain}",
                )
            )
        rise = f.current_missing_share - f.reference_missing_share
        if rise > s.missing_share_increase_max:
            alerts.append(
                Alert(
                    "missing_values",
                    f.feature,
                    f.current_missing_share,
                    f.reference_missing_share + s.missing_share_increase_max,
                    f"{f.feature} is missing in {f.current_missing_share:.1%} of rows (reference "
                    f"{f.reference_missing_share:.1%}): a feed may be broken; check where it "
                    "comes from before trusting these scores",
                )
            )
        if f.unseen_share > s.new_category_share_max:
            alerts.append(
                Alert(
                    "new_category",
                    f.feature,
                    f.unseen_share,
                    s.new_category_share_max,
                    f"{f.feature} has categories the model never saw ({', '.join(f.unseen_categories)}"
                    f") in {f.unseen_share:.1%} of rows: they are scored as unknown; add them to "
                    "the feature contract and retrain, or fix the source",
                )
            )
    total = len(drift.features)
    if drift.drifted_share >= s.drifted_share_max:
        alerts.append(
            Alert(
                "drifted_share",
                "features",
                drift.drifted_share,
                s.drifted_share_max,
                f"{drift.drifted_count} of {total} features drifted ({drift.drifted_share:.0%}, "
                f"limit {s.drifted_share_max:.0%}): the population changed broadly; {retrain}",
            )
        )
    return alerts


def _quality_alerts(quality: Quality, s: MonitoringSettings, retrain: str) -> list[Alert]:
    alerts: list[Alert] = []
    checks = (
        ("quality_auc", "AUC", quality.auc, quality.champion_auc, s.auc_drop_max),
        ("quality_ks", "KS", quality.ks, quality.champion_ks, s.ks_drop_max),
    )
    for kind, label, value, baseline, limit in checks:
        if value is None or baseline is None or baseline - value <= limit:
            continue
        alerts.append(
            Alert(
                kind,
                label.lower(),
                value,
                baseline - limit,
                f"{label} {value:.3f} on {quality.mature_rows:,} mature loans is "
                f"{baseline - value:.3f} below the champion's test {label} {baseline:.3f} "
                f"(limit {limit:.3f}): the model ranks risk worse than when it was promoted; "
                f"{retrain}, and check the bad rate by vintage",
            )
        )
    return alerts


def _portfolio_alerts(p: PortfolioHealth, s: MonitoringSettings) -> list[Alert]:
    alerts: list[Alert] = []
    where = f"{p.schema}.npa_class_shares"
    if p.npa_ratio is not None and p.npa_ratio > s.npa_ratio_max:
        alerts.append(
            Alert(
                "npa_ratio",
                "portfolio",
                p.npa_ratio,
                s.npa_ratio_max,
                f"NPA ratio {p.npa_ratio:.1%} > {s.npa_ratio_max:.0%} of outstanding principal "
                f"on {p.snapshot_on}: review collections and provisioning ({where} shows the "
                "asset classes)",
            )
        )
    if p.default_rate is not None and p.default_rate > s.default_rate_max:
        alerts.append(
            Alert(
                "default_rate",
                "portfolio",
                p.default_rate,
                s.default_rate_max,
                f"default rate {p.default_rate:.1%} > {s.default_rate_max:.0%} of {p.loans:,} "
                f"loans: losses run above appetite; review the approval threshold and "
                f"{p.schema}.cohort_default_rates for the vintages that drive it",
            )
        )
    if p.live_loans and p.early_warning_share > s.early_warning_share_max:
        alerts.append(
            Alert(
                "early_warning",
                "portfolio",
                p.early_warning_share,
                s.early_warning_share_max,
                f"{p.early_warning_loans:,} live loans ({p.early_warning_share:.1%} of "
                f"{p.live_loans:,}, limit {s.early_warning_share_max:.0%}) were late on their "
                "last 3 instalments: contact these borrowers before they reach 90 days "
                f"({p.schema}.loans_with_consecutive_late_payments)",
            )
        )
    return alerts


def evaluate_alerts(
    drift: DriftResult,
    quality: Quality,
    portfolio: PortfolioHealth,
    s: MonitoringSettings,
    retrain: str = RETRAIN,
) -> list[Alert]:
    """Every breach, score and drift first, then quality, then the portfolio.

    `retrain` is the advice on how to retrain this model, which the drift alerts end with.
    """
    return [
        *_drift_alerts(drift, s, retrain),
        *_quality_alerts(quality, s, retrain),
        *_portfolio_alerts(portfolio, s),
    ]


def _where(url: str) -> str:
    """Scheme and host only: webhook paths and queries often carry a secret token."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def post_webhook(url: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
    """POST the alerts as JSON; the outcome is returned (and logged), never raised."""
    import httpx

    where = _where(url)
    try:
        response = httpx.post(url, json=payload, timeout=timeout)
    except httpx.HTTPError as exc:
        log.warning("alert webhook %s failed: %s", where, type(exc).__name__)
        return {"target": where, "ok": False, "error": type(exc).__name__}
    ok = response.is_success
    if ok:
        log.info("alert webhook %s accepted %d alerts", where, len(payload.get("alerts", [])))
    else:
        log.warning("alert webhook %s answered %s", where, response.status_code)
    return {"target": where, "ok": ok, "status": response.status_code}
