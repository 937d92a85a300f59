"""Budgeted hyperparameter search (optuna, stratified K-fold AUC on train) and calibration."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from credit_risk.artifact.feature_spec import FeatureSpec
from training.candidates import CANDIDATES, build_pipeline, default_params

__all__ = ["SearchResult", "calibrate", "search"]

log = logging.getLogger(__name__)

CalibrationMethod = Literal["auto", "isotonic", "sigmoid"]
# Isotonic regression overfits small calibration sets (sklearn's guidance: well over 1000 rows);
# below this many bads in validation, Platt scaling is the safer choice.
ISOTONIC_MIN_BADS = 1000


@dataclass(frozen=True)
class SearchResult:
    """The best hyperparameters, their CV AUC and the pipeline refitted on all of train."""

    candidate: str
    params: dict[str, Any]
    cv_auc: float
    trials: int
    seconds: float
    pipeline: Pipeline


def _suggest(trial: optuna.Trial, space: Mapping[str, BaseDistribution]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, dist in space.items():
        if isinstance(dist, FloatDistribution):
            params[name] = trial.suggest_float(name, dist.low, dist.high, log=dist.log)
        elif isinstance(dist, IntDistribution):
            params[name] = trial.suggest_int(name, dist.low, dist.high, log=dist.log)
        elif isinstance(dist, CategoricalDistribution):
            params[name] = trial.suggest_categorical(name, list(dist.choices))
        else:
            raise TypeError(f"{name}: unsupported distribution {type(dist).__name__}")
    return params


def search(
    candidate: str,
    X: pd.DataFrame,
    y: pd.Series,
    spec: FeatureSpec | None = None,
    *,
    n_trials: int = 8,
    timeout: float | None = 120.0,
    folds: int = 3,
    seed: int = 42,
    sample_rows: int | None = 50_000,
) -> SearchResult:
    """Optuna search maximising mean stratified K-fold AUC, then refit the best on all of X.

    The search runs on a stratified sample of at most `sample_rows` rows, so its cost stays flat
    as the book grows; only the final fit sees every training row.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials: must be at least 1, got {n_trials}")
    spec = spec or FeatureSpec.from_contract()
    if not CANDIDATES[candidate].space:
        return _fit_fixed(candidate, X, y, spec, seed)
    X_search, y_search = stratified_sample(X, y, sample_rows, seed)
    started = time.perf_counter()
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    space = CANDIDATES[candidate].space

    def objective(trial: optuna.Trial) -> float:
        params = _suggest(trial, space)
        pipeline = build_pipeline(candidate, spec, params, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            scores = cross_val_score(
                pipeline, X_search, y_search, scoring="roc_auc", cv=cv, n_jobs=1
            )
        return float(np.mean(scores))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    # The hand-set defaults go first, so even a one-trial budget gets a sensible model.
    study.enqueue_trial(default_params(candidate))
    study.optimize(objective, n_trials=n_trials, timeout=timeout, catch=(ValueError,))
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        raise RuntimeError(f"{candidate}: every search trial failed; see the log for the errors")
    best = study.best_trial
    assert best.value is not None  # a completed trial always has one
    final_params = {**best.params, **CANDIDATES[candidate].final_fit_params(len(X))}
    pipeline = build_pipeline(candidate, spec, final_params, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pipeline.fit(X, y)
    return SearchResult(
        candidate=candidate,
        params=dict(best.params),
        cv_auc=float(best.value),
        trials=len(completed),
        seconds=time.perf_counter() - started,
        pipeline=pipeline,
    )


def _fit_fixed(
    candidate: str, X: pd.DataFrame, y: pd.Series, spec: FeatureSpec, seed: int
) -> SearchResult:
    """A candidate with nothing to search (the scorecard): one fit on all of train, no CV."""
    started = time.perf_counter()
    pipeline = build_pipeline(candidate, spec, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pipeline.fit(X, y)
    return SearchResult(
        candidate=candidate,
        params={},
        cv_auc=float("nan"),
        trials=0,
        seconds=time.perf_counter() - started,
        pipeline=pipeline,
    )


def stratified_sample(
    X: pd.DataFrame, y: pd.Series, rows: int | None, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    """At most `rows` rows with the class balance of y (all rows when rows is None or enough)."""
    if rows is None or len(X) <= rows:
        return X, y
    from sklearn.model_selection import train_test_split

    X_part, _, y_part, _ = train_test_split(X, y, train_size=rows, stratify=y, random_state=seed)
    return X_part, y_part


def calibrate(
    pipeline: Pipeline,
    X_validation: pd.DataFrame,
    y_validation: pd.Series,
    method: CalibrationMethod = "auto",
) -> tuple[CalibratedClassifierCV, str]:
    """Fit a calibrator on validation data over the frozen pipeline; returns it and the method."""
    if method == "auto":
        bads = int(np.asarray(y_validation).sum())
        method = "isotonic" if bads >= ISOTONIC_MIN_BADS else "sigmoid"
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        calibrated.fit(X_validation, y_validation)
    return calibrated, method
