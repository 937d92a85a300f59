"""Reason codes: plain words, one-hot columns summed into their feature, additive contributions."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from credit_risk import contract
from credit_risk.artifact.feature_spec import FeatureSpec
from serving.encoding import TreeEncoder, fast_encoder
from serving.reasons import (
    Explainer,
    ReasonReference,
    format_value,
    principal_reasons,
    reason_text,
)
from serving.request_features import THIN_FILE, feature_rows, rows_frame
from serving.schemas import Application
from training.candidates import build_pipeline


@pytest.mark.parametrize(
    ("feature", "value", "text"),
    [
        ("dti", 0.52, "Debt-to-income ratio of 52% is high"),
        ("monthly_income", 1250.0, "Monthly income of 1,250 is low"),
        ("bureau_score", 540, "Bureau score of 540 is low"),
        ("interest_rate", 21.5, "Interest rate of 21.5% is high"),
        ("enquiries_last_6m", 7, "Recent credit enquiries of 7 is high"),
        ("is_thin_file", True, "Thin credit file (no bureau report)"),
        ("has_prior_default", True, "Previous default on a loan with us"),
        ("bureau_score", None, "Bureau score not reported"),
        ("employment_type", "self_employed", "Employment type: self employed"),
        ("loan_amount", 250_000.0, "Loan amount of 250,000 adds to the risk"),
    ],
)
def test_reason_text_in_plain_words(feature: str, value: object, text: str) -> None:
    assert reason_text(feature, value) == text


def test_unconstrained_features_compare_with_the_training_mean() -> None:
    assert reason_text("loan_amount", 250_000.0, mean=40_000.0) == "Loan amount of 250,000 is high"
    assert reason_text("tenure_months", 12, mean=36.0) == "Loan tenure of 12 months is low"


def test_values_are_formatted_by_unit() -> None:
    assert format_value("residual_income", -1234.4) == "-1,234"
    assert format_value("credit_history_months", 1) == "1 month"
    assert format_value("years_employed", 2.5) == "2.5 years"


def _reasons(
    impacts: dict[str, float],
    values: dict[str, object],
    reference: dict[str, float] | None = None,
    medians: dict[str, float] | None = None,
) -> list[dict[str, object]]:
    features = tuple(impacts)
    contributions = np.array([[impacts[f] for f in features]])
    ref = ReasonReference(
        np.array([(reference or {}).get(f, 0.0) for f in features]), medians or {}, "test"
    )
    (reasons,) = principal_reasons(contributions, features, [values], ref)
    return reasons


def test_related_features_give_one_reason_in_the_group_statement() -> None:
    reasons = _reasons(
        {"dti": 0.9, "foir": 0.3, "lti": 0.1, "emi": -0.5, "bureau_score": 1.2},
        {"dti": 0.6, "foir": 0.7, "lti": 2.0, "emi": 900.0, "bureau_score": 550},
    )
    assert [r["group"] for r in reasons] == ["bureau_score", "affordability"]
    affordability = reasons[1]
    assert affordability["feature"] == "dti"
    assert affordability["impact"] == pytest.approx(0.9 + 0.3 + 0.1 - 0.5)
    assert affordability["text"] == (
        "Obligations too high relative to income: debt-to-income ratio of 60% is high"
    )


def test_reasons_are_measured_against_the_cut_off_reference() -> None:
    impacts = {"dti": -0.2, "bureau_score": -0.1, "interest_rate": -0.4}
    values = {"dti": 0.3, "bureau_score": 640, "interest_rate": 14.0}
    # Better than the average applicant everywhere: against the average, no reason at all.
    assert _reasons(impacts, values) == []
    # The applicants at the cut-off did better on the bureau score and the rate.
    at_cut_off = {"dti": -0.1, "bureau_score": -0.6, "interest_rate": -0.5}
    medians = {"dti": 0.32, "bureau_score": 700.0, "interest_rate": 12.0}
    reasons = _reasons(impacts, values, at_cut_off, medians)
    assert [r["group"] for r in reasons] == ["bureau_score", "loan_terms"]
    assert reasons[0]["impact"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("feature", "value"),
    [
        ("has_collateral", True),
        ("has_guarantor", True),
        ("is_thin_file", False),
        ("has_prior_default", False),
        ("credit_history_months", 240),
        ("months_since_last_delinquency", None),
        ("prior_rejections_12m", 0),
        ("dti", 0.2),
    ],
)
def test_a_favourable_fact_is_never_a_reason(feature: str, value: object) -> None:
    medians = {"credit_history_months": 60.0, "prior_rejections_12m": 0.0, "dti": 0.35}
    assert _reasons({feature: 2.0}, {feature: value, "is_thin_file": False}, medians=medians) == []


@pytest.mark.parametrize(("feature", "value"), [("age_years", 23), ("gender", "female")])
def test_age_and_protected_attributes_are_never_a_reason(feature: str, value: object) -> None:
    assert _reasons({feature: 3.0, "dti": 0.1}, {feature: value, "dti": 0.5})[0]["group"] == (
        "affordability"
    )
    assert len(_reasons({feature: 3.0}, {feature: value})) == 0


def test_a_thin_file_is_one_credit_history_reason() -> None:
    impacts = {"is_thin_file": 0.3, "bureau_score": 0.8, "credit_utilization": 0.2, "dti": 0.1}
    values = {"is_thin_file": True, "bureau_score": None, "credit_utilization": None, "dti": 0.5}
    reasons = _reasons(impacts, values)
    assert [r["group"] for r in reasons] == ["credit_history", "affordability"]
    assert reasons[0]["feature"] == "is_thin_file"
    assert reasons[0]["text"] == "Limited or no credit history: thin credit file (no bureau report)"
    assert reasons[0]["impact"] == pytest.approx(1.3)


def test_at_most_four_groups_largest_first_none_repeated() -> None:
    features = tuple(f.name for f in contract.training_features())
    rng = np.random.default_rng(3)
    contributions = rng.normal(size=(300, len(features)))
    rows = [
        {
            **THIN_FILE,
            "is_thin_file": bool(rng.random() < 0.3),
            "dti": float(rng.uniform(0, 1)),
            "bureau_score": int(rng.integers(300, 900)),
            "age_years": 30,
            "has_collateral": bool(rng.random() < 0.5),
            "employment_type": "self_employed",
        }
        for _ in range(300)
    ]
    reference = ReasonReference(np.zeros(len(features)), {}, "average")
    for reasons in principal_reasons(contributions, features, rows, reference):
        groups = [r["group"] for r in reasons]
        assert len(groups) == len(set(groups)) <= 4
        impacts = [r["impact"] for r in reasons]
        assert impacts == sorted(impacts, reverse=True) and all(i > 0 for i in impacts)
        assert all(g in contract.REASON_GROUPS for g in groups)
        assert "age_years" not in [r["feature"] for r in reasons]


def test_a_row_gets_the_same_reasons_alone_as_within_a_batch() -> None:
    features = tuple(f.name for f in contract.training_features())
    rng = np.random.default_rng(11)
    contributions = rng.normal(size=(120, len(features)))
    rows = [
        {
            **THIN_FILE,
            "is_thin_file": bool(rng.random() < 0.3),
            "bureau_score": None if rng.random() < 0.3 else int(rng.integers(300, 900)),
            "dti": float(rng.uniform(0, 1)),
            "has_guarantor": bool(rng.random() < 0.5),
            "months_since_last_delinquency": None if rng.random() < 0.5 else 3.0,
            "employment_type": "contract",
        }
        for _ in range(120)
    ]
    medians = {"dti": 0.4, "bureau_score": 650.0, "months_since_last_delinquency": 12.0}
    reference = ReasonReference(rng.normal(size=len(features)) * 0.1, medians, "test")
    together = principal_reasons(contributions, features, rows, reference)
    alone = [
        principal_reasons(contributions[i : i + 1], features, rows[i : i + 1], reference)[0]
        for i in range(len(rows))
    ]
    assert together == alone
    assert any(len(r) == 4 for r in together)


def _frame(n: int, seed: int = 0) -> tuple[list[dict[str, object]], np.ndarray]:
    rng = np.random.default_rng(seed)
    apps = [
        Application(
            loan_amount=float(rng.uniform(1_000, 100_000)),
            tenure_months=int(rng.choice(contract.TENURES_MONTHS)),
            interest_rate=float(rng.uniform(5, 30)),
            loan_purpose=str(rng.choice(contract.LOAN_PURPOSES)),  # type: ignore[arg-type]
            monthly_income=float(rng.uniform(1_000, 15_000)),
            existing_monthly_debt=float(rng.uniform(0, 3_000)),
            employment_type=str(rng.choice(contract.EMPLOYMENT_TYPES)),  # type: ignore[arg-type]
            age_years=int(rng.integers(21, 70)),
            years_employed=None if rng.random() < 0.2 else float(rng.uniform(0, 20)),
        )
        for _ in range(n)
    ]
    rows = [row.values for row in feature_rows(apps)]
    for row in rows:
        if rng.random() < 0.7:
            row.update(is_thin_file=False, bureau_score=int(rng.integers(400, 850)))
    dti = np.array([r["dti"] for r in rows], dtype=float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(3 * dti - 2)))).astype(int)
    return rows, y


@pytest.fixture(scope="module", params=["lightgbm", "xgboost", "logistic_regression", "scorecard"])
def fitted(request: pytest.FixtureRequest) -> tuple[Explainer, pd.DataFrame, object]:
    rows, y = _frame(400)
    spec = FeatureSpec.from_contract()
    linear = request.param in ("logistic_regression", "scorecard")
    params = {} if linear else {"model__n_estimators": 30}
    pipeline = build_pipeline(request.param, spec, params)
    X = rows_frame(rows)
    pipeline.fit(X, y)
    return Explainer.for_pipeline(pipeline, spec.numeric, spec.categorical), X, pipeline


def test_one_hot_and_indicator_columns_sum_into_their_feature(fitted: tuple) -> None:
    explainer, X, _ = fitted
    encoded = explainer.encode(X.head(20))
    by_column, _ = explainer.encoded_contributions(encoded)
    by_feature, _ = explainer.contributions(encoded)
    assert by_feature.shape == (20, len(explainer.features))
    names = list(explainer.encoded_names)
    purpose = [i for i, n in enumerate(names) if n.startswith("loan_purpose_")]
    if "loan_purpose" in names:  # the scorecard: one WoE column per feature, categories too
        assert names == list(explainer.features)
        np.testing.assert_allclose(by_feature, by_column)
        return
    assert len(purpose) == len(contract.LOAN_PURPOSES)
    col = explainer.features.index("loan_purpose")
    # XGBoost reports contributions in float32.
    np.testing.assert_allclose(by_feature[:, col], by_column[:, purpose].sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(by_feature.sum(axis=1), by_column.sum(axis=1), rtol=1e-5)


def test_contributions_plus_base_reproduce_the_raw_margin(fitted: tuple) -> None:
    explainer, X, pipeline = fitted
    sample = X.head(50)
    values, base = explainer.contributions(explainer.encode(sample))
    model = pipeline[-1]
    encoded = pipeline[:-1].transform(sample)
    if explainer.kind == "lightgbm":
        margin = model.predict(encoded, raw_score=True)
    elif explainer.kind == "xgboost":
        margin = model.predict(encoded, output_margin=True)
    else:
        margin = model.decision_function(encoded)
    np.testing.assert_allclose(values.sum(axis=1) + base, margin, rtol=1e-5, atol=1e-5)


def test_the_numpy_encoder_equals_tree_preprocessing_and_refuses_the_linear_one(
    fitted: tuple,
) -> None:
    explainer, _, pipeline = fitted
    rows, _ = _frame(30, seed=3)
    rows[0]["loan_purpose"] = "unseen-purpose"
    spec = FeatureSpec.from_contract()
    # The linear pipeline imputes and scales, so the check must keep it on the exact path.
    assert TreeEncoder(spec).matches(pipeline, spec, rows) is (explainer.kind != "linear")


def _edge_rows(pipeline: object, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rows whose numerics sit exactly on, and just below, the scorecard's bin edges (the
    integers either side for an integer feature)."""
    woe = pipeline.named_steps["preprocess"]  # type: ignore[attr-defined]
    if not hasattr(woe, "binnings_"):
        return []
    spec = FeatureSpec.from_contract()
    edges = []
    for name in woe.numeric:
        binning = woe.binnings_[name]
        for split in [] if binning is None else binning.splits:
            values: tuple[object, ...] = (float(split), float(np.nextafter(split, -np.inf)))
            if spec.input_type(name) == "long":
                values = (int(np.floor(split)), int(np.ceil(split)))
            for value in values:
                edges.append({**rows[len(edges) % len(rows)], name: value})
    return edges


def test_every_pipeline_has_a_numpy_encoder_equal_to_its_own_preprocessing(
    fitted: tuple,
) -> None:
    explainer, _, pipeline = fitted
    spec = FeatureSpec.from_contract()
    probe, _ = _frame(20, seed=4)
    encoder = fast_encoder(pipeline, spec, probe, linear=explainer.kind == "linear")
    assert encoder is not None
    rows, _ = _frame(300, seed=5)
    for row in rows[::7]:  # every numeric missing now and then, the categories too
        row.update(dict.fromkeys(["years_employed", "bureau_score", "employment_type"], None))
    rows[3]["loan_purpose"] = "unseen-purpose"
    rows += _edge_rows(pipeline, rows)
    expected = pipeline[:-1].transform(spec.model_input(rows_frame(rows)))
    np.testing.assert_array_equal(encoder.encode(rows), np.asarray(expected, dtype=np.float64))


def test_a_row_gets_the_same_bits_alone_as_within_a_batch() -> None:
    # A matrix product blocks its sums by the row count; one-hot columns summed into their
    # category must not change in the last bit when a request shares a micro-batch.
    rng = np.random.default_rng(5)
    groups = [7, 5, 2, 1, 1, 3]  # encoded columns per feature
    mapping = np.zeros((sum(groups), len(groups)))
    mapping[np.arange(sum(groups)), np.repeat(np.arange(len(groups)), groups)] = 1.0
    linear = SimpleNamespace(coef_=np.array([rng.normal(size=sum(groups))]), intercept_=[0.3])
    explainer = Explainer(
        pipeline=[linear],  # type: ignore[arg-type]
        features=tuple(f"f{i}" for i in range(len(groups))),
        encoded_names=tuple(f"c{i}" for i in range(sum(groups))),
        mapping=mapping,
        kind="linear",
    )
    encoded = rng.normal(size=(512, sum(groups))) * 10.0 ** rng.integers(-8, 3, (512, 1))
    together, base = explainer.contributions(encoded)
    alone = [explainer.contributions(encoded[i : i + 1]) for i in range(len(encoded))]
    assert np.array_equal(together, np.vstack([values for values, _ in alone]))
    assert np.array_equal(base, np.concatenate([b for _, b in alone]))
