"""Alerts from drift, quality and portfolio results: thresholds from settings, words that say what to do."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from credit_risk.settings import MonitoringSettings
from monitoring.alerts import Alert, _where, evaluate_alerts
from monitoring.drift import DriftResult, FeatureDrift
from monitoring.portfolio import PortfolioHealth
from monitoring.quality import Quality
from monitoring.run_report import Summary

SETTINGS = MonitoringSettings()


def drift(score_psi: float = 0.02, **features: FeatureDrift) -> DriftResult:
    rows = list(features.values()) or [feature("dti", 0.01)]
    drifted = sum(f.drifted for f in rows)
    return DriftResult(rows, drifted, drifted / len(rows), score_psi, 1000, 1000, None, 1.0)


def feature(name: str, value: float, **kw: object) -> FeatureDrift:
    kw.setdefault("reference_mean", 1.0)
    kw.setdefault("current_mean", 1.0)
    return FeatureDrift(name, "numeric", "decile_psi", value, value >= 0.25, **kw)  # type: ignore[arg-type]


QUIET_QUALITY = Quality(False, "no mature labels", 0)
HEALTHY_BOOK = PortfolioHealth(
    "marts", True, npa_ratio=0.02, default_rate=0.03, loans=1000, live_loans=800
)


def names(alerts: list[Alert]) -> set[str]:
    return {a.name for a in alerts}


def test_a_quiet_run_raises_nothing() -> None:
    assert evaluate_alerts(drift(), QUIET_QUALITY, HEALTHY_BOOK, SETTINGS) == []


def test_score_psi_alerts_from_the_act_band_and_says_what_to_do() -> None:
    watch = evaluate_alerts(drift(score_psi=0.2), QUIET_QUALITY, HEALTHY_BOOK, SETTINGS)
    assert watch == []
    (alert,) = evaluate_alerts(drift(score_psi=0.31), QUIET_QUALITY, HEALTHY_BOOK, SETTINGS)
    assert alert.name == "score_psi:probability" and alert.is_drift
    assert alert.message.startswith("score PSI 0.31 ≥ 0.25")
    assert "credit-risk run pipeline --no-generate" in alert.message


def test_a_key_factor_mean_shift_of_more_than_ten_percent_alerts() -> None:
    moved = drift(dti=feature("dti", 0.09, reference_mean=0.47, current_mean=0.59))
    (alert,) = evaluate_alerts(moved, QUIET_QUALITY, HEALTHY_BOOK, SETTINGS)
    assert alert.name == "mean_shift:dti"
    assert alert.value == pytest.approx(0.12 / 0.47)
    assert "0.47 → 0.59 (+26%, limit ±10%)" in alert.message
    # A non-key feature's mean may move without an alert of its own.
    other = drift(emi_to_income=feature("emi_to_income", 0.05, current_mean=1.5))
    assert evaluate_alerts(other, QUIET_QUALITY, HEALTHY_BOOK, SETTINGS) == []


def test_feature_drift_missing_values_and_new_categories_each_alert() -> None:
    result = drift(
        rate=feature("interest_rate", 0.8),
        bureau=feature("bureau_score", 0.0, reference_missing_share=0.1, current_missing_share=0.3),
        purpose=FeatureDrift(
            "loan_purpose",
            "categorical",
            "decile_psi",
            0.01,
            False,
            unseen_share=0.02,
            unseen_categories=["crypto"],
        ),
    )
    alerts = evaluate_alerts(result, QUIET_QUALITY, HEALTHY_BOOK, SETTINGS)
    assert names(alerts) == {
        "feature_drift:interest_rate",
        "missing_values:bureau_score",
        "new_category:loan_purpose",
        "drifted_share:features",  # 1 of 3 features is past the 30% share
    }
    by_name = {a.name: a for a in alerts}
    assert "30.0% of rows (reference 10.0%)" in by_name["missing_values:bureau_score"].message
    assert "crypto" in by_name["new_category:loan_purpose"].message
    assert not by_name["missing_values:bureau_score"].is_drift


def test_quality_alerts_compare_with_the_champion_test() -> None:
    worse = Quality(
        True, "", 500, auc=0.70, ks=0.45, bad_rate=0.2, champion_auc=0.80, champion_ks=0.50
    )
    alerts = evaluate_alerts(drift(), worse, HEALTHY_BOOK, SETTINGS)
    assert names(alerts) == {"quality_auc:auc"}  # KS fell 0.05, within its 0.08
    assert "0.100 below the champion's test AUC 0.800" in alerts[0].message


def test_portfolio_alerts_use_the_earlier_platforms_limits() -> None:
    book = PortfolioHealth(
        "recession_marts",
        True,
        snapshot_on="2026-06-30",
        loans=2000,
        live_loans=1000,
        npa_ratio=0.06,
        default_rate=0.11,
        early_warning_loans=40,
    )
    alerts = evaluate_alerts(drift(), QUIET_QUALITY, book, SETTINGS)
    assert names(alerts) == {
        "npa_ratio:portfolio",
        "default_rate:portfolio",
        "early_warning:portfolio",
    }
    assert all(not a.is_drift for a in alerts)
    assert "recession_marts.loans_with_consecutive_late_payments" in alerts[-1].message
    relaxed = MonitoringSettings(
        npa_ratio_max=0.3, default_rate_max=0.15, early_warning_share_max=0.05
    )
    assert evaluate_alerts(drift(), QUIET_QUALITY, book, relaxed) == []


def test_the_summary_is_json_and_markdown_for_people() -> None:
    moved = drift(score_psi=0.4, dti=feature("dti", 0.3, reference_mean=0.47, current_mean=0.59))
    alerts = evaluate_alerts(moved, QUIET_QUALITY, HEALTHY_BOOK, SETTINGS)
    now = datetime(2026, 11, 21, tzinfo=UTC)
    summary = Summary(
        now,
        now,
        "credit-risk",
        3,
        "batch",
        "batch recession",
        1000,
        "stored",
        "2023-07-01 to 2024-12-31",
        moved,
        QUIET_QUALITY,
        HEALTHY_BOOK,
        alerts,
        alert_since={"score_psi:probability": "2026-11-14T00:00:00+00:00"},
    )
    record = json.loads(json.dumps(summary.to_dict()))
    assert record["status"] == "alert"
    assert record["metrics"]["drifted_features"] == {"dti": 0.3}
    assert record["metrics"]["score_psi_band"] == "act"
    assert record["alerts"][0]["since"] == "2026-11-14T00:00:00+00:00"
    text = summary.markdown()
    assert text.startswith("# Monitoring: ALERT")
    assert "## What to do" in text and "since 2026-11-14" in text
    assert "| dti | decile_psi | 0.300 | act |" in text


def test_webhook_targets_are_logged_without_their_secret_path() -> None:
    assert _where("https://user:token@hooks.example.com/services/T0/B0/secret?x=1") == (
        "https://hooks.example.com"
    )
