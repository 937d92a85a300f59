"""Behavioural tests of trained models: monotone in DTI, blind to protected attributes, useful."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from tests.books import TRAINING, BookTemplates
from training.candidates import BOOSTING_THREADS, CANDIDATES, GRADIENT_BOOSTING, build_pipeline
from training.data import Split, time_split
from training.tune import calibrate

pytestmark = pytest.mark.integration

DTI_STEPS = np.array([0.0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6])
RATIOS_RAISED_BY_A_NEW_EMI = ("dti", "emi_to_income", "foir")


@pytest.fixture(scope="module")
def split(books: BookTemplates) -> Split:
    return time_split(books.training_frame(TRAINING))


@pytest.fixture(scope="module")
def models(split: Split) -> dict[str, object]:
    """Each candidate with its default hyperparameters, calibrated on validation."""
    fitted = {}
    with threadpool_limits(BOOSTING_THREADS):
        for name in CANDIDATES:
            pipeline = build_pipeline(name).fit(split.train, split.train["is_default"])
            fitted[name], _ = calibrate(pipeline, split.validation, split.validation["is_default"])
    return fitted


def _risk(model: object, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_proba(frame))[:, 1]  # type: ignore[attr-defined]


def _raised(frame: pd.DataFrame, columns: tuple[str, ...], step: float) -> pd.DataFrame:
    return frame.assign(**{c: frame[c] + step for c in columns})


@pytest.mark.parametrize("columns", [("dti",), RATIOS_RAISED_BY_A_NEW_EMI])
@pytest.mark.parametrize("name", GRADIENT_BOOSTING)
def test_raising_dti_never_lowers_risk(
    models: dict[str, object], split: Split, name: str, columns: tuple[str, ...]
) -> None:
    base = split.test.head(300)
    risks = np.stack([_risk(models[name], _raised(base, columns, s)) for s in DTI_STEPS])
    assert (np.diff(risks, axis=0) >= -1e-12).all()
    assert risks[-1].mean() > risks[0].mean()  # and it does raise it on average


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_protected_attributes_do_not_change_the_score(
    models: dict[str, object], split: Split, name: str
) -> None:
    base = split.test.head(300)
    reference = _risk(models[name], base)
    for gender, age_band in (("female", "18-25"), ("male", "56+"), ("other", "36-45")):
        changed = base.assign(gender=gender, age_band=age_band)
        np.testing.assert_allclose(_risk(models[name], changed), reference, rtol=0, atol=1e-12)


def _aged(frame: pd.DataFrame, age: int) -> pd.DataFrame:
    """The same applications at another age, with the age-derived features recomputed."""
    return frame.assign(age_years=age, employment_stability=frame["years_employed"] / age)


@pytest.mark.parametrize("name", GRADIENT_BOOSTING)
def test_no_applicant_aged_62_or_more_is_worse_off_for_age(
    models: dict[str, object], split: Split, name: str
) -> None:
    # 12 CFR 1002.6(b)(2)(iv): an empirically derived system may use age only if an elderly
    # applicant's age is never given a less favourable value than a younger applicant's.
    base = split.test.head(300)
    younger = np.stack([_risk(models[name], _aged(base, age)) for age in range(18, 62)])
    elderly = np.stack([_risk(models[name], _aged(base, age)) for age in range(62, 101, 3)])
    assert (elderly.max(axis=0) <= younger.min(axis=0) + 1e-12).all()


def test_gender_and_age_band_never_enter_a_model() -> None:
    from credit_risk import contract
    from credit_risk.artifact.feature_spec import FeatureSpec

    protected = {"gender", "age_band"}
    assert not {f.name for f in contract.training_features()} & protected
    assert not set(FeatureSpec.from_contract().columns) & protected


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_minimum_out_of_time_discrimination(
    models: dict[str, object], split: Split, name: str
) -> None:
    auc = roc_auc_score(split.test["is_default"], _risk(models[name], split.test))
    assert auc > 0.75, f"{name}: out-of-time AUC {auc:.3f}"


def test_the_chosen_champion_never_lowers_risk_as_dti_rises(
    models: dict[str, object], split: Split
) -> None:
    from training.choose_best import best_candidate
    from training.monotonicity import monotone_violations, worst_violation

    metrics = {}
    for name, model in models.items():
        risk = _risk(model, split.validation)
        _, share = worst_violation(
            monotone_violations(model, split.validation, list(split.validation.columns))
        )
        metrics[name] = {
            "val_auc": roc_auc_score(split.validation["is_default"], risk),
            "val_brier": float(np.mean((risk - split.validation["is_default"]) ** 2)),
            "val_monotone_violation_share": share,
        }
    champion = best_candidate(metrics)
    assert metrics[champion]["val_monotone_violation_share"] == 0.0
    base = split.test.head(300)
    for columns in (("dti",), RATIOS_RAISED_BY_A_NEW_EMI):
        risks = np.stack([_risk(models[champion], _raised(base, columns, s)) for s in DTI_STEPS])
        assert (np.diff(risks, axis=0) >= -1e-12).all(), (champion, columns)
