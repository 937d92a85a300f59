"""Grouped TreeSHAP for large LightGBM batches equals the booster's own pred_contrib."""

from __future__ import annotations

import lightgbm
import numpy as np
import pytest

from serving import treeshap
from serving.treeshap import GroupedTreeShap


@pytest.fixture(scope="module")
def booster_and_rows() -> tuple[lightgbm.Booster, np.ndarray]:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3_000, 6))
    X[:, 3] = rng.integers(0, 2, size=len(X))  # a 0/1 column, as one-hot levels are
    X[rng.random(X.shape) < 0.1] = np.nan  # missing values take the default direction
    y = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 3]) + rng.normal(size=len(X)) > 0.5
    model = lightgbm.LGBMClassifier(n_estimators=40, num_leaves=15, verbose=-1, n_jobs=1)
    model.fit(X, y.astype(int))
    return model.booster_, X


@pytest.mark.parametrize("threads", [1, 2])
def test_grouped_contributions_equal_pred_contrib(
    booster_and_rows: tuple[lightgbm.Booster, np.ndarray],
    threads: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    booster, X = booster_and_rows
    monkeypatch.setattr(treeshap, "MIN_ROWS", 1)
    grouped = GroupedTreeShap.for_booster(booster)
    assert grouped is not None
    exact = booster.predict(X, pred_contrib=True)
    got = grouped._grouped(X, threads)
    np.testing.assert_allclose(got, exact, rtol=0, atol=1e-9)
    np.testing.assert_allclose(grouped.contributions(X, threads), exact, rtol=0, atol=1e-9)


def test_a_difference_falls_back_to_pred_contrib(
    booster_and_rows: tuple[lightgbm.Booster, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    booster, X = booster_and_rows
    monkeypatch.setattr(treeshap, "MIN_ROWS", 1)
    grouped = GroupedTreeShap.for_booster(booster)
    assert grouped is not None
    monkeypatch.setattr(GroupedTreeShap, "_grouped", lambda self, X, threads=1: X[:, :1] * 0)
    exact = booster.predict(X, pred_contrib=True)
    np.testing.assert_allclose(grouped.contributions(X), exact, rtol=0, atol=1e-12)


def test_it_survives_pickling(booster_and_rows: tuple[lightgbm.Booster, np.ndarray]) -> None:
    import pickle

    booster, X = booster_and_rows
    grouped = GroupedTreeShap.for_booster(booster)
    assert grouped is not None
    grouped._copies(2)
    copy = pickle.loads(pickle.dumps(grouped))
    np.testing.assert_allclose(copy._grouped(X[:500], 2), grouped._grouped(X[:500], 2), atol=1e-12)
