"""The candidate models: full sklearn pipelines (coercion, imputation, encoding, estimator).

Everything fitted on data lives inside the pipeline, so it is fitted on the training part only
and travels with the logged model; serving cannot skew.

Categoricals are one-hot encoded for every candidate. The contract's categories are few (5 and 7
levels), one-hot keeps the post-encoding column order known before fitting (the monotone
constraint vector must be given at construction), and an unseen category at scoring time
becomes an all-zero row instead of an error. Tree models get the numeric columns as they are
(all five handle NaN natively); logistic regression gets missing-value indicators, median
imputation and scaling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from credit_risk import contract

__all__ = [
    "CANDIDATES",
    "GRADIENT_BOOSTING",
    "PROTECTED",
    "Candidate",
    "FeatureSpec",
    "build_pipeline",
    "coerce_features",
]

N_JOBS = 2
# OpenMP boosters (xgboost, lightgbm, sklearn's HGB) spin-wait: on the shared 2-core machines two
# threads made a fit 6-13x slower under load than one. Training also runs inside
# threadpool_limits(BOOSTING_THREADS), which is the only knob sklearn's HGB has.
BOOSTING_THREADS = 1
MISSING = "missing"
PROTECTED = frozenset(f.name for f in contract.protected_features())
GRADIENT_BOOSTING = ("xgboost", "lightgbm", "hist_gradient_boosting")


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns a model uses, their fixed categories (if known) and monotone directions."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    # Fixed category levels per categorical column; None = learned from the training data.
    categories: tuple[tuple[str, ...], ...] | None = None
    monotone: Mapping[str, int] = field(default_factory=dict)
    # MLflow column types of the model input ("double", "long", "boolean", "string"); numerics
    # default to double and categoricals to string.
    input_types: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        used = set(self.numeric) | set(self.categorical)
        leaked = sorted(used & PROTECTED)
        if leaked:
            raise ValueError(
                f"protected attributes {leaked} must never be model features; "
                "they are for the fairness check only"
            )
        if self.categories is not None and len(self.categories) != len(self.categorical):
            raise ValueError("categories: one tuple of levels per categorical column")

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    @classmethod
    def from_contract(cls) -> FeatureSpec:
        """The contract's training features (protected attributes excluded by the contract)."""
        numeric = tuple(f.name for f in contract.numeric_features())
        cats = contract.categorical_features()
        return cls(
            numeric=numeric,
            categorical=tuple(f.name for f in cats),
            categories=tuple(f.categories for f in cats),
            monotone=dict(zip(numeric, contract.monotone_constraints(list(numeric)), strict=True)),
            input_types={f.name: _input_type(f) for f in contract.training_features()},
        )

    def input_type(self, column: str) -> str:
        default = "string" if column in self.categorical else "double"
        return self.input_types.get(column, default)

    def model_input(self, X: pd.DataFrame) -> pd.DataFrame:
        """The model's columns cast to the logged signature's types (for pyfunc callers)."""
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise ValueError(f"input is missing model columns {missing}")
        out = pd.DataFrame(index=X.index)
        for col in self.columns:
            kind = self.input_type(col)
            if kind == "string":
                out[col] = X[col].astype(object).map(str, na_action="ignore")
            elif kind == "boolean":
                out[col] = X[col].astype(bool)
            elif kind == "long":
                values = pd.to_numeric(X[col])
                if values.isna().any():
                    raise ValueError(f"column {col}: {int(values.isna().sum())} missing values")
                out[col] = values.astype("int64")
            else:
                out[col] = pd.to_numeric(X[col]).astype("float64")
        return out

    def encoded_columns(self) -> list[str]:
        """Column names after tree preprocessing; needs fixed categories."""
        if self.categories is None:
            raise ValueError("encoded columns are known before fitting only with fixed categories")
        onehot = [
            f"{c}_{v}"
            for c, levels in zip(self.categorical, self.categories, strict=True)
            for v in levels
        ]
        return [*self.numeric, *onehot]

    def monotone_vector(self) -> list[int] | None:
        """Monotone directions aligned with encoded_columns() (one-hot columns 0); None if none."""
        if not any(self.monotone.values()):
            return None
        names = self.encoded_columns()
        return [int(self.monotone.get(n, 0)) for n in names]


def _input_type(feature: contract.Feature) -> str:
    # Nullable integers arrive as floats with NaN, so they are declared double.
    if feature.dtype == "int":
        return "double" if feature.nullable else "long"
    return {"float": "double", "bool": "boolean", "category": "string"}[feature.dtype]


def coerce_features(X: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """Select the model's columns: numerics as float (bools 0/1), categoricals as str or NaN."""
    missing = [c for c in [*numeric, *categorical] if c not in X.columns]
    if missing:
        raise ValueError(f"input is missing model columns {missing}")
    out = pd.DataFrame(index=X.index)
    for col in numeric:
        values = X[col]
        if values.dtype == object:
            values = values.map(lambda v: float(v) if isinstance(v, bool) else v)
        out[col] = pd.to_numeric(values, errors="coerce").astype("float64")
    for col in categorical:
        out[col] = X[col].astype(object).map(str, na_action="ignore").where(X[col].notna(), np.nan)
    return out


def _coerced_names(transformer: FunctionTransformer, input_features: Any) -> np.ndarray:
    kw = transformer.kw_args or {}
    return np.asarray([*kw["numeric"], *kw["categorical"]], dtype=object)


def _coercer(spec: FeatureSpec) -> FunctionTransformer:
    return FunctionTransformer(
        coerce_features,
        kw_args={"numeric": list(spec.numeric), "categorical": list(spec.categorical)},
        feature_names_out=_coerced_names,
    )


def _onehot(spec: FeatureSpec) -> Pipeline:
    if spec.categories is not None:
        encoder = OneHotEncoder(
            categories=[list(c) for c in spec.categories],
            handle_unknown="ignore",
            sparse_output=False,
        )
    else:
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=10,
            max_categories=25,
            sparse_output=False,
        )
    imputer = SimpleImputer(strategy="constant", fill_value=MISSING, keep_empty_features=True)
    return Pipeline([("impute", imputer), ("onehot", encoder)])


def _linear_preprocessor(spec: FeatureSpec) -> ColumnTransformer:
    numeric = Pipeline(
        [
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("scale", StandardScaler()),
        ]
    )
    return ColumnTransformer(
        [("num", numeric, list(spec.numeric)), ("cat", _onehot(spec), list(spec.categorical))],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def _tree_preprocessor(spec: FeatureSpec) -> ColumnTransformer:
    return ColumnTransformer(
        [
            ("num", "passthrough", list(spec.numeric)),
            ("cat", _onehot(spec), list(spec.categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def _pipeline(spec: FeatureSpec, preprocess: ColumnTransformer, model: Any) -> Pipeline:
    return Pipeline([("coerce", _coercer(spec)), ("preprocess", preprocess), ("model", model)])


def _logistic_regression(spec: FeatureSpec, seed: int) -> Pipeline:
    model = LogisticRegression(C=0.5, max_iter=2000, random_state=seed)
    return _pipeline(spec, _linear_preprocessor(spec), model)


def _random_forest(spec: FeatureSpec, seed: int) -> Pipeline:
    model = RandomForestClassifier(
        n_estimators=250,
        max_depth=10,
        min_samples_leaf=20,
        max_features="sqrt",
        n_jobs=N_JOBS,
        random_state=seed,
    )
    return _pipeline(spec, _tree_preprocessor(spec), model)


def _xgboost(spec: FeatureSpec, seed: int) -> Pipeline:
    from xgboost import XGBClassifier

    monotone = spec.monotone_vector()
    model = XGBClassifier(
        n_estimators=300,
        learning_rate=0.05,
        max_depth=4,
        min_child_weight=5,
        subsample=0.8,
        colsample_bytree=0.8,
        reg_lambda=1.0,
        tree_method="hist",
        monotone_constraints=tuple(monotone) if monotone else None,
        n_jobs=BOOSTING_THREADS,
        random_state=seed,
        verbosity=0,
    )
    return _pipeline(spec, _tree_preprocessor(spec), model)


def _lightgbm(spec: FeatureSpec, seed: int) -> Pipeline:
    from lightgbm import LGBMClassifier

    model = LGBMClassifier(
        n_estimators=300,
        learning_rate=0.05,
        num_leaves=15,
        min_child_samples=40,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        reg_lambda=1.0,
        monotone_constraints=spec.monotone_vector(),
        n_jobs=BOOSTING_THREADS,
        random_state=seed,
        verbose=-1,
    )
    return _pipeline(spec, _tree_preprocessor(spec), model)


def _hist_gradient_boosting(spec: FeatureSpec, seed: int) -> Pipeline:
    model = HistGradientBoostingClassifier(
        max_iter=300,
        learning_rate=0.05,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        monotonic_cst=spec.monotone_vector(),
        early_stopping=False,
        random_state=seed,
    )
    return _pipeline(spec, _tree_preprocessor(spec), model)


@dataclass(frozen=True)
class Candidate:
    """A pipeline factory and its hyperparameter search space (keys are pipeline params)."""

    name: str
    factory: Callable[[FeatureSpec, int], Pipeline]
    space: Mapping[str, BaseDistribution]
    # Extra parameters for the final fit on `rows` training rows (e.g. to bound its cost).
    scale: Callable[[int], dict[str, Any]] | None = None

    def final_fit_params(self, rows: int) -> dict[str, Any]:
        return self.scale(rows) if self.scale else {}


# Each forest tree bootstraps at most this many rows: fit time stays bounded as the book grows,
# at a negligible cost in AUC for a bagged ensemble.
FOREST_ROWS_PER_TREE = 100_000


def _forest_rows_per_tree(rows: int) -> dict[str, Any]:
    if rows <= FOREST_ROWS_PER_TREE:
        return {}
    return {"model__max_samples": FOREST_ROWS_PER_TREE / rows}


def _f(low: float, high: float, log: bool = False) -> FloatDistribution:
    return FloatDistribution(low, high, log=log)


def _i(low: int, high: int, log: bool = False) -> IntDistribution:
    return IntDistribution(low, high, log=log)


_BOOSTING_SPACE = {
    "model__n_estimators": _i(100, 600, log=True),
    "model__learning_rate": _f(0.02, 0.2, log=True),
    "model__subsample": _f(0.6, 1.0),
    "model__colsample_bytree": _f(0.5, 1.0),
    "model__reg_lambda": _f(1e-3, 10.0, log=True),
}

CANDIDATES: dict[str, Candidate] = {
    c.name: c
    for c in (
        Candidate(
            "logistic_regression",
            _logistic_regression,
            {"model__C": _f(1e-3, 10.0, log=True)},
        ),
        Candidate(
            "random_forest",
            _random_forest,
            {
                # Capped so one CV trial on the 50k-row search sample takes well under a minute
                # on two cores; deeper or wider forests gained no validation AUC here.
                "model__n_estimators": _i(100, 250),
                "model__max_depth": _i(4, 10),
                "model__min_samples_leaf": _i(10, 100, log=True),
                "model__max_features": CategoricalDistribution(["sqrt", 0.3]),
            },
            scale=_forest_rows_per_tree,
        ),
        Candidate(
            "xgboost",
            _xgboost,
            {
                **_BOOSTING_SPACE,
                "model__max_depth": _i(2, 6),
                "model__min_child_weight": _f(1.0, 50.0, log=True),
            },
        ),
        Candidate(
            "lightgbm",
            _lightgbm,
            {
                **_BOOSTING_SPACE,
                "model__num_leaves": _i(4, 48, log=True),
                "model__min_child_samples": _i(10, 200, log=True),
            },
        ),
        Candidate(
            "hist_gradient_boosting",
            _hist_gradient_boosting,
            {
                "model__max_iter": _i(100, 600, log=True),
                "model__learning_rate": _f(0.02, 0.2, log=True),
                "model__max_leaf_nodes": _i(4, 48, log=True),
                "model__min_samples_leaf": _i(10, 200, log=True),
                "model__l2_regularization": _f(1e-3, 10.0, log=True),
            },
        ),
    )
}


def build_pipeline(
    name: str,
    spec: FeatureSpec | None = None,
    params: Mapping[str, Any] | None = None,
    seed: int = 42,
) -> Pipeline:
    """A fresh, unfitted pipeline for candidate `name`, with `params` set on it."""
    if name not in CANDIDATES:
        raise ValueError(f"unknown candidate {name!r}; choose from {', '.join(CANDIDATES)}")
    spec = spec or FeatureSpec.from_contract()
    pipeline = CANDIDATES[name].factory(spec, seed)
    if params:
        pipeline.set_params(**params)
    return pipeline


def default_params(name: str) -> dict[str, Any]:
    """The factory's own values of the searched hyperparameters (the search's first trial)."""
    pipeline = build_pipeline(name, FeatureSpec(numeric=("x",)))
    current = pipeline.get_params()
    return {key: current[key] for key in CANDIDATES[name].space}


class CreditRiskModel:
    """The logged model: calibrated PD, the decision threshold and the score scaling in one object.

    `predict_proba` gives calibrated probabilities (column 1 = default); `predict` applies the
    cost-optimal threshold (1 = reject). `pipeline` is the uncalibrated fitted pipeline, for SHAP
    and for serving paths that call the booster directly. `reason_reference` holds the
    applicants at the cut-off that adverse-action reasons are measured against
    (training.reason_reference); None on models logged before it existed.
    """

    reason_reference: pd.DataFrame | None = None

    def __init__(
        self,
        calibrated: Any,
        pipeline: Pipeline,
        *,
        candidate: str,
        threshold: float,
        scaling: Mapping[str, float],
        features: list[str],
        reason_reference: pd.DataFrame | None = None,
    ) -> None:
        self.calibrated = calibrated
        self.pipeline = pipeline
        self.candidate = candidate
        self.threshold = float(threshold)
        self.scaling = dict(scaling)
        self.features = list(features)
        self.reason_reference = reason_reference
        self.classes_ = np.array([0, 1])

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.calibrated.predict_proba(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 = reject (calibrated PD at or above the threshold), 0 = approve."""
        return (self.predict_proba(X)[:, 1] >= self.threshold).astype(np.int64)

    def credit_score(self, X: pd.DataFrame) -> np.ndarray:
        """300-850 scores (higher is safer) from the calibrated PD."""
        from training.scorecard import ScoreScaling

        return ScoreScaling.from_dict(self.scaling).to_score(self.predict_proba(X)[:, 1])
