"""Evidently drift on contract-shaped frames: stable samples stay quiet, real shifts are caught."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_risk import contract
from credit_risk.metrics import psi
from credit_risk.settings import MonitoringSettings
from monitoring.drift import DriftResult, measure_drift
from monitoring.frames import typed

ROWS = 2000


def applications(seed: int, rows: int = ROWS) -> pd.DataFrame:
    """Contract features drawn from fixed distributions; the seed changes only the sample."""
    rng = np.random.default_rng(seed)
    frame: dict[str, Any] = {}
    for f in contract.training_features():
        if f.categories:
            frame[f.name] = rng.choice(f.categories, rows)
        elif f.dtype == "bool":
            frame[f.name] = rng.random(rows) < 0.3
        else:
            frame[f.name] = rng.lognormal(mean=0.0, sigma=0.5, size=rows)
    out = typed(pd.DataFrame(frame))
    out["probability"] = 1 / (1 + np.exp(-(out["dti"] * 2 - 3)))
    return out


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return applications(seed=1)


@pytest.fixture(scope="module")
def stable(reference: pd.DataFrame) -> DriftResult:
    return measure_drift(reference, applications(seed=2), MonitoringSettings())


@pytest.fixture(scope="module")
def shifted(reference: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> DriftResult:
    current = applications(seed=3)
    current["dti"] = current["dti"] * 1.6
    current["probability"] = 1 / (1 + np.exp(-(current["dti"] * 2 - 3)))
    current.loc[: ROWS // 10, "bureau_score"] = np.nan
    current.loc[:19, "loan_purpose"] = "crypto"
    html = tmp_path_factory.mktemp("drift") / "drift.html"
    return measure_drift(reference, current, MonitoringSettings(), html_path=html)


def test_another_sample_of_the_same_population_does_not_drift(stable: DriftResult) -> None:
    assert stable.drifted_count == 0
    assert stable.score_band == "stable"
    assert max(f.value for f in stable.features) < 0.10
    assert {f.feature for f in stable.features} == {f.name for f in contract.training_features()}


def test_a_shifted_feature_and_score_are_caught(shifted: DriftResult) -> None:
    dti = shifted.by_feature()["dti"]
    assert dti.drifted and dti.band == "act"
    assert dti.mean_shift == pytest.approx(0.6, abs=0.1)
    assert shifted.score_band == "act"
    assert shifted.features[0].feature in {"dti", "loan_purpose", "bureau_score"}  # sorted


def test_psi_is_the_reference_decile_psi(reference: pd.DataFrame, shifted: DriftResult) -> None:
    current = applications(seed=3)
    expected = psi(reference["dti"], current["dti"] * 1.6)
    assert shifted.by_feature()["dti"].value == pytest.approx(expected)


def test_missing_values_and_unseen_categories_are_measured(shifted: DriftResult) -> None:
    bureau = shifted.by_feature()["bureau_score"]
    assert bureau.reference_missing_share == 0.0
    assert bureau.current_missing_share == pytest.approx((ROWS // 10 + 1) / ROWS)
    purpose = shifted.by_feature()["loan_purpose"]
    assert purpose.unseen_categories == ["crypto"]
    assert purpose.unseen_share == pytest.approx(20 / ROWS)


def test_the_report_is_written(shifted: DriftResult) -> None:
    assert shifted.html_path is not None
    assert shifted.html_path.stat().st_size > 100_000


def test_an_unknown_feature_in_the_stattest_settings_is_named(reference: pd.DataFrame) -> None:
    settings = MonitoringSettings(per_feature_stattest={"colour": "ks"})
    with pytest.raises(ValueError, match=r"per_feature_stattest: \['colour'\] are not model"):
        measure_drift(reference, reference, settings)


def test_unscored_rows_are_refused(reference: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="current: score the rows first"):
        measure_drift(reference, reference.drop(columns="probability"), MonitoringSettings())


def test_the_history_stattests_give_ks_and_the_psi_bands() -> None:
    from evidently import ColumnType

    from credit_risk.metrics import ks_statistic
    from monitoring.drift import _constant, _ks_statistic

    rng = np.random.default_rng(4)
    goods, bads = rng.beta(2, 5, 800), rng.beta(4, 3, 200)
    value, _ = _ks_statistic(pd.Series(goods), pd.Series(bads), ColumnType.Numerical, 1.0)
    labels = np.r_[np.zeros(len(goods)), np.ones(len(bads))]
    assert value == pytest.approx(ks_statistic(labels, np.r_[goods, bads]))
    assert _constant(0.25)(pd.Series(goods), pd.Series(bads), ColumnType.Numerical, 0.25) == (
        0.25,
        False,
    )
