"""The service's fast path (numpy encoding, probability from the model's margin) decides
exactly as the exact path (the fitted pipeline's own predict_proba) on generated applications:
for the served LightGBM champion, and for the two linear models (the logistic regression and
the scorecard benchmark, whose encodings are imputation and scaling, and weight of evidence)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from credit_risk import contract
from tests.books import STANDARD, BookTemplates
from tests.integration.champion import Champion, train_one

pytestmark = pytest.mark.integration

APPLICATIONS = 400


def _applications(rng: np.random.Generator) -> list[Any]:
    from serving.schemas import Application

    apps = []
    for _ in range(APPLICATIONS):
        thin = rng.random() < 0.3
        apps.append(
            Application.model_validate(
                {
                    "loan_amount": float(rng.uniform(1_000, 300_000)),
                    "tenure_months": int(rng.choice([12, 24, 36, 48, 60])),
                    "interest_rate": float(rng.uniform(6, 30)),
                    "loan_purpose": str(rng.choice(contract.LOAN_PURPOSES)),
                    "monthly_income": float(rng.uniform(800, 40_000)),
                    "existing_monthly_debt": float(rng.uniform(0, 5_000)),
                    "employment_type": str(rng.choice(contract.EMPLOYMENT_TYPES)),
                    "years_employed": None if rng.random() < 0.2 else float(rng.uniform(0, 30)),
                    "age_years": int(rng.integers(18, 80)),
                    "dependents": None if rng.random() < 0.2 else int(rng.integers(0, 6)),
                    "collateral_value": None
                    if rng.random() < 0.5
                    else float(rng.uniform(1_000, 500_000)),
                    "has_guarantor": bool(rng.random() < 0.2),
                    **(
                        {}
                        if thin
                        else {
                            "bureau": {
                                "bureau_score": int(rng.integers(300, 900)),
                                "open_accounts": int(rng.integers(0, 12)),
                                "delinquencies": int(rng.integers(0, 4)),
                                "enquiries_last_6m": int(rng.integers(0, 8)),
                            }
                        }
                    ),
                }
            )
        )
    return apps


@pytest.fixture(scope="module")
def linear_versions(books: BookTemplates, mlflow_tracking_uri: str) -> dict[str, tuple[str, int]]:
    """The logistic regression and the scorecard, each registered under a name of its own."""
    import uuid

    from training.registry.versions import register_challenger

    tag = uuid.uuid4().hex[:6]
    result = train_one(books.training_frame(STANDARD), f"parity-{tag}", "logistic_regression")
    versions = {}
    for candidate, run_id in result.run_ids.items():
        name = f"parity-{candidate}-{tag}"
        versions[candidate] = (name, int(register_challenger(run_id, model_name=name).version))
    return versions


def test_the_fast_path_decides_as_the_exact_path(champion: Champion) -> None:
    _compare(champion.model_name, champion.version)


@pytest.mark.parametrize("candidate", ["logistic_regression", "scorecard"])
def test_the_linear_models_fast_path_decides_as_their_exact_path(
    linear_versions: dict[str, tuple[str, int]], candidate: str
) -> None:
    _compare(*linear_versions[candidate])


def _compare(model_name: str, version: int) -> None:
    from serving.champion import load_version
    from serving.request_features import feature_rows
    from serving.scorer import decide

    fast = load_version(model_name, version)
    assert fast.encoder is not None and fast.response is not None, "no fast path to compare"
    exact = dataclasses.replace(fast, encoder=None, response=None)
    rows = [row.values for row in feature_rows(_applications(np.random.default_rng(8)))]
    ids = [f"parity-{i}" for i in range(len(rows))]
    fast_results, fast_scored = decide(fast, rows, ids)
    exact_results, exact_scored = decide(exact, rows, ids)
    np.testing.assert_array_equal(fast_scored.probability, exact_scored.probability)
    np.testing.assert_array_equal(fast_scored.contributions, exact_scored.contributions)
    for got, want in zip(fast_results, exact_results, strict=True):
        assert got["decision"] == want["decision"]
        assert got["credit_score"] == want["credit_score"]
        assert [r["text"] for r in got["reasons"]] == [r["text"] for r in want["reasons"]]
