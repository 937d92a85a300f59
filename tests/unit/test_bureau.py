"""A bureau report → the contract's bureau features, on the application's date."""

from __future__ import annotations

from datetime import date

import pytest

from credit_risk.bureau import BUREAU_FEATURES, age_on, bureau_features

APPLIED_ON = date(2025, 4, 1)


def test_no_report_is_a_thin_file_with_every_bureau_feature_missing() -> None:
    features = bureau_features(None, APPLIED_ON)
    assert set(features) == set(BUREAU_FEATURES)
    assert features["is_thin_file"] is True
    assert all(v is None for k, v in features.items() if k != "is_thin_file")


def test_utilization_is_missing_without_a_limit() -> None:
    for limit in (None, 0):
        report = {"total_credit_limit": limit, "total_balance": 100.0}
        assert bureau_features(report, APPLIED_ON)["credit_utilization"] is None
    assert (
        bureau_features({"total_balance": None, "total_credit_limit": 1.0}, APPLIED_ON)[
            "credit_utilization"
        ]
        is None
    )


def test_the_later_delinquency_counts_and_dates_after_the_application_count_as_zero() -> None:
    report = {"last_delinquency_on": date(2024, 4, 1)}
    internal = date(2025, 1, 1)
    got = bureau_features(report, APPLIED_ON, internal)
    assert got["months_since_last_delinquency"] == pytest.approx(90 / 30.4375)
    later = bureau_features({"last_delinquency_on": date(2025, 5, 1)}, APPLIED_ON)
    assert later["months_since_last_delinquency"] == 0.0
    never = bureau_features({"bureau_score": 700}, APPLIED_ON)
    assert never["months_since_last_delinquency"] is None and never["is_thin_file"] is False


def test_history_length_is_whole_months_floored_at_zero() -> None:
    assert (
        bureau_features({"oldest_account_on": date(2025, 3, 2)}, APPLIED_ON)[
            "credit_history_months"
        ]
        == 0
    )
    assert (
        bureau_features({"oldest_account_on": date(2026, 1, 1)}, APPLIED_ON)[
            "credit_history_months"
        ]
        == 0
    )
    assert (
        bureau_features({"oldest_account_on": date(2024, 4, 1)}, APPLIED_ON)[
            "credit_history_months"
        ]
        == 11
    )  # 365 days = 11.99 average months


@pytest.mark.parametrize(
    ("born_on", "on", "age"),
    [
        (date(1985, 4, 1), date(2025, 4, 1), 40),
        (date(1985, 4, 2), date(2025, 4, 1), 39),
        (date(2000, 2, 29), date(2025, 2, 28), 24),
        (date(2000, 2, 29), date(2025, 3, 1), 25),
    ],
)
def test_age_in_whole_years_as_postgres_counts_it(born_on: date, on: date, age: int) -> None:
    assert age_on(born_on, on) == age
