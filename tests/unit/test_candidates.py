"""Candidate pipelines: build, monotone vector alignment, protected attributes, robust predict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_risk import contract
from credit_risk.artifact.feature_spec import PROTECTED, FeatureSpec
from credit_risk.artifact.linear import SignConstrainedLogisticRegression
from training.candidates import (
    BENCHMARK,
    CANDIDATES,
    GRADIENT_BOOSTING,
    build_pipeline,
    default_params,
)
from training.tune import calibrate, search

SMALL = {
    "random_forest": {"model__n_estimators": 20},
    "xgboost": {"model__n_estimators": 20},
    "lightgbm": {"model__n_estimators": 20},
    "hist_gradient_boosting": {"model__max_iter": 20},
    "logistic_regression": {},
    "scorecard": {},
}


def contract_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Random values within the contract's bounds; defaults driven by DTI."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for f in contract.FEATURES:
        if f.dtype == "category":
            data[f.name] = rng.choice(f.categories, n)
        elif f.dtype == "bool":
            data[f.name] = rng.random(n) < 0.3
        else:
            low = f.minimum if f.minimum is not None else 0.0
            high = min(f.maximum if f.maximum is not None else 1.0, low + 100)
            values = rng.uniform(low, high, n)
            values = np.round(values) if f.dtype == "int" else values
            if f.nullable:
                values[rng.random(n) < 0.1] = np.nan
            data[f.name] = values
    frame = pd.DataFrame(data)
    frame["dti"] = rng.gamma(2.0, 0.2, n)
    frame["is_default"] = (rng.random(n) < 1 / (1 + np.exp(2 - 3 * frame["dti"]))).astype(int)
    return frame


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return contract_frame()


def test_registry_has_five_searched_candidates_and_the_fixed_scorecard() -> None:
    assert set(CANDIDATES) == {
        "logistic_regression",
        "scorecard",
        "random_forest",
        "xgboost",
        "lightgbm",
        "hist_gradient_boosting",
    }
    for name, candidate in CANDIDATES.items():
        assert bool(candidate.space) == (name != BENCHMARK), name
        assert set(default_params(name)) == set(candidate.space)
    assert CANDIDATES[BENCHMARK].calibration == "sigmoid"


def test_logistic_regression_drops_a_column_that_enters_with_the_wrong_sign() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4000, 2))
    # The second column carries risk in the opposite direction to the one required.
    y = (rng.random(4000) < 1 / (1 + np.exp(-(x[:, 0] - x[:, 1])))).astype(int)
    free = SignConstrainedLogisticRegression().fit(x, y)
    assert free.coef_[0][1] < 0 and free.dropped_ == []
    held = SignConstrainedLogisticRegression(leading_signs=[1, 1]).fit(x, y)
    assert held.dropped_ == [1] and held.coef_[0][1] == 0.0 and held.coef_[0][0] > 0


def test_the_scorecard_bins_are_monotone_and_its_points_add_up_to_the_score(
    frame: pd.DataFrame,
) -> None:
    from credit_risk.artifact.scaling import ScoreScaling
    from training.scorecard_tables import points_table, score_from_points

    train, validation = frame.iloc[:400], frame.iloc[400:]
    pipeline = build_pipeline(BENCHMARK).fit(train, train["is_default"])
    calibrated, _ = calibrate(pipeline, validation, validation["is_default"], "sigmoid")
    woe = pipeline.named_steps["preprocess"]
    bins = woe.binning_table()
    dti = bins[(bins["feature"] == "dti") & (bins["bin"] != "Missing")]
    assert len(dti) >= 2 and dti["default_rate"].is_monotonic_increasing
    assert (pipeline.named_steps["model"].coef_ <= 0).all()
    iv = woe.iv_table()
    assert iv.iloc[0]["feature"] == "dti"  # the only driver of default here
    scaling = ScoreScaling()
    table = points_table(calibrated, pipeline, scaling)
    assert set(table["feature"]) == set(woe.columns)
    rows = validation.head(50)
    from_points = score_from_points(calibrated, pipeline, scaling, rows)
    probability = calibrated.predict_proba(rows)[:, 1]
    exact = scaling.offset + scaling.factor * np.log((1 - probability) / probability)
    np.testing.assert_allclose(from_points, exact, rtol=0, atol=1e-8)


def test_unknown_candidate_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown candidate 'svm'"):
        build_pipeline("svm")


def test_contract_spec_excludes_protected_attributes() -> None:
    spec = FeatureSpec.from_contract()
    assert {"gender", "age_band"} == PROTECTED
    assert not set(spec.columns) & PROTECTED
    assert set(spec.columns) == {f.name for f in contract.training_features()}


def test_a_spec_with_a_protected_attribute_is_refused() -> None:
    with pytest.raises(ValueError, match=r"protected attributes \['gender'\]"):
        FeatureSpec(numeric=("dti",), categorical=("gender",))


def test_monotone_vector_aligns_with_encoded_columns() -> None:
    spec = FeatureSpec.from_contract()
    names, vector = spec.encoded_columns(), spec.monotone_vector()
    assert vector is not None and len(vector) == len(names)
    lookup = dict(zip(names, vector, strict=True))
    assert lookup["dti"] == 1
    assert lookup["monthly_income"] == -1
    assert lookup["bureau_score"] == -1
    onehot = [n for n in names if n.startswith(("employment_type_", "loan_purpose_"))]
    assert len(onehot) == len(contract.EMPLOYMENT_TYPES) + len(contract.LOAN_PURPOSES)
    assert all(lookup[n] == 0 for n in onehot)


@pytest.mark.parametrize("name", GRADIENT_BOOSTING)
def test_fitted_boosters_carry_the_vector_in_column_order(name: str, frame: pd.DataFrame) -> None:
    spec = FeatureSpec.from_contract()
    pipeline = build_pipeline(name, spec, SMALL[name]).fit(frame, frame["is_default"])
    assert list(pipeline[:-1].get_feature_names_out()) == spec.encoded_columns()
    model = pipeline[-1]
    given = {
        "xgboost": lambda: model.monotone_constraints,
        "lightgbm": lambda: model.monotone_constraints,
        "hist_gradient_boosting": lambda: model.monotonic_cst,
    }[name]()
    assert list(given) == spec.monotone_vector()


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_protected_columns_never_reach_the_estimator(name: str, frame: pd.DataFrame) -> None:
    pipeline = build_pipeline(name, params=SMALL[name]).fit(frame, frame["is_default"])
    used = " ".join(pipeline[:-1].get_feature_names_out())
    assert "gender" not in used and "age_band" not in used
    flipped = frame.assign(gender="female", age_band="56+")
    # atol, not equality: a two-thread forest sums its trees in varying order (1e-16 noise).
    np.testing.assert_allclose(
        pipeline.predict_proba(frame), pipeline.predict_proba(flipped), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_unseen_categories_and_all_nan_columns_at_predict(name: str, frame: pd.DataFrame) -> None:
    pipeline = build_pipeline(name, params=SMALL[name]).fit(frame, frame["is_default"])
    odd = frame.head(20).copy()
    odd["employment_type"] = "astronaut"
    odd["loan_purpose"] = None
    odd["bureau_score"] = np.nan
    odd["ltv"] = None
    odd["has_collateral"] = odd["has_collateral"].astype(object)
    proba = pipeline.predict_proba(odd)[:, 1]
    assert np.isfinite(proba).all() and ((proba >= 0) & (proba <= 1)).all()


def test_missing_model_column_is_named(frame: pd.DataFrame) -> None:
    pipeline = build_pipeline("lightgbm", params=SMALL["lightgbm"]).fit(frame, frame["is_default"])
    with pytest.raises(ValueError, match=r"missing model columns \['dti'\]"):
        pipeline.predict_proba(frame.drop(columns="dti"))


def test_model_input_casts_to_signature_types(frame: pd.DataFrame) -> None:
    spec = FeatureSpec.from_contract()
    cast = spec.model_input(frame)
    assert list(cast.columns) == spec.columns
    assert cast["tenure_months"].dtype == "int64"  # non-nullable int → long
    assert cast["bureau_score"].dtype == "float64"  # nullable int → double
    assert cast["has_collateral"].dtype == bool
    assert cast["loan_purpose"].dtype == object


def test_search_with_a_tiny_budget_then_calibrate(frame: pd.DataFrame) -> None:
    train, validation = frame.iloc[:400], frame.iloc[400:]
    found = search("logistic_regression", train, train["is_default"], n_trials=2, folds=3)
    assert found.trials == 2 and 0.5 < found.cv_auc <= 1.0
    assert set(found.params) == {"model__C"}
    calibrated, method = calibrate(found.pipeline, validation, validation["is_default"])
    assert method == "sigmoid"  # too few bads for isotonic
    proba = calibrated.predict_proba(validation)[:, 1]
    assert ((proba > 0) & (proba < 1)).all()


def test_forest_final_fit_bootstraps_a_bounded_number_of_rows() -> None:
    from training.candidates import FOREST_ROWS_PER_TREE

    forest = CANDIDATES["random_forest"]
    assert forest.final_fit_params(FOREST_ROWS_PER_TREE) == {}
    params = forest.final_fit_params(4 * FOREST_ROWS_PER_TREE)
    assert params == {"model__max_samples": 0.25}
    pipeline = build_pipeline("random_forest", params=params)
    assert pipeline.named_steps["model"].max_samples == 0.25
    assert CANDIDATES["xgboost"].final_fit_params(10**6) == {}


def test_parallel_workers_start_the_longest_candidates_first() -> None:
    from training.candidates import CANDIDATES, longest_first

    assert longest_first(["scorecard", "lightgbm", "my_model", "random_forest"]) == [
        "random_forest",
        "lightgbm",
        "scorecard",
        "my_model",
    ]
    assert set(longest_first(list(CANDIDATES))) == set(CANDIDATES)
