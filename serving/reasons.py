"""Per-feature SHAP contributions of the champion and the adverse-action reasons drawn from them.

Contributions are in the model's raw output (log-odds for the boosters and logistic regression),
computed on the preprocessed matrix and summed back onto contract features: the one-hot columns
of a category and the missing-value indicator of a numeric count toward their source feature.
Base value + contributions = the raw margin, which is what the calibrator turns into the PD.

- LightGBM / XGBoost: the booster's native TreeSHAP (`pred_contrib` / `pred_contribs`); for
  large LightGBM batches once per distinct path through each tree (serving.treeshap).
- Logistic regression: coefficient × (x − mean). Scaled columns have training mean 0 by
  construction; one-hot columns are measured against "no level", so the base is the intercept.
- Other trees (random forest, sklearn HGB): one shap.TreeExplainer built when the model loads.

Reasons are the features with positive impact (toward default), largest first, at most four,
in plain words from the contract's labels and units.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.pipeline import Pipeline

from credit_risk import contract

__all__ = [
    "MAX_REASONS",
    "Explainer",
    "format_value",
    "reason_text",
    "reasons_for_rows",
    "top_reason_indices",
    "top_reasons",
]

MAX_REASONS = 4
# Up to this many rows (the service's largest batch), contract-feature sums are taken row by
# row (see Explainer.contributions); batch scoring's larger chunks use one matrix product.
PER_ROW_SUMS_UP_TO = 1000
_FEATURES = contract.by_name()
# Flags read better as sentences than as "label: yes/no".
_FLAG_TEXT = {
    ("is_thin_file", True): "Thin credit file (no bureau report)",
    ("is_thin_file", False): "Has a credit bureau file",
    ("has_prior_default", True): "Previous default on a loan with us",
    ("has_prior_default", False): "No previous default with us",
    ("has_collateral", True): "Collateral pledged",
    ("has_collateral", False): "No collateral pledged",
    ("has_guarantor", True): "A guarantor backs the loan",
    ("has_guarantor", False): "No guarantor",
}


def format_value(feature: str, value: Any) -> str:
    """The value in the feature's unit: ratios as percent, money with thousands separators."""
    unit = _FEATURES[feature].unit if feature in _FEATURES else ""
    if isinstance(value, str):
        return value.replace("_", " ")
    number = float(value)
    if unit == "ratio":
        return f"{number * 100:,.0f}%"
    if unit == "percent":
        return f"{number:.1f}%"
    if unit == "money":
        return f"{number:,.0f}"
    if unit in ("months", "years", "days"):
        shown = f"{number:,.0f}" if unit != "years" else f"{number:,.1f}".removesuffix(".0")
        return f"{shown} {unit[:-1] if shown == '1' else unit}"
    if float(number).is_integer():
        return f"{number:,.0f}"
    return f"{number:,.2f}"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def reason_text(feature: str, value: Any, mean: float | None = None) -> str:
    """Plain words for a factor that raised the risk, e.g. 'Debt-to-income ratio of 52% is high'.

    'high' or 'low' follows the contract's monotone direction; an unconstrained feature is
    compared with its training mean when known, else described without a direction.
    """
    spec = _FEATURES[feature]
    if _missing(value):
        return f"{spec.label} not reported"
    if spec.unit == "flag" or isinstance(value, bool | np.bool_):
        return _FLAG_TEXT.get((feature, bool(value)), f"{spec.label}: {'yes' if value else 'no'}")
    if spec.dtype == "category":
        return f"{spec.label}: {format_value(feature, value)}"
    shown = format_value(feature, value)
    if spec.monotone:
        direction = "high" if spec.monotone > 0 else "low"
    elif mean is not None and float(value) != mean:
        direction = "high" if float(value) > mean else "low"
    else:
        return f"{spec.label} of {shown} adds to the risk"
    return f"{spec.label} of {shown} is {direction}"


def top_reasons(
    impacts: Mapping[str, float],
    values: Mapping[str, Any],
    means: Mapping[str, float] | None = None,
    limit: int = MAX_REASONS,
) -> list[dict[str, Any]]:
    """The features that pushed toward default, largest impact first, at most `limit`."""
    means = means or {}
    risky = sorted(
        ((f, v) for f, v in impacts.items() if v > 0), key=lambda kv: kv[1], reverse=True
    )
    return [
        {
            "feature": feature,
            "value": _plain(values.get(feature)),
            "impact": float(impact),
            "text": reason_text(feature, values.get(feature), means.get(feature)),
        }
        for feature, impact in risky[:limit]
    ]


def top_reason_indices(
    contributions: npt.NDArray[np.float64], limit: int = MAX_REASONS
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Per row, the column indices of the `limit` largest contributions, largest first, and
    which of them are positive (toward default); ties keep the feature order, as top_reasons."""
    n, width = contributions.shape
    k = min(limit, width)
    if k == 0:
        return np.zeros((n, 0), dtype=np.intp), np.zeros((n, 0), dtype=bool)
    # A stable sort on the negated values: largest first, equal values in column order.
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :k]
    chosen = np.take_along_axis(contributions, order, axis=1)
    return order, chosen > 0


def reasons_for_rows(
    contributions: npt.NDArray[np.float64],
    features: tuple[str, ...],
    rows: Sequence[Mapping[str, Any]],
    means: Mapping[str, float] | None = None,
    limit: int = MAX_REASONS,
) -> list[list[dict[str, Any]]]:
    """top_reasons for every row of a (rows × features) contribution matrix at once.

    The ranking is one numpy sort for the whole matrix; text is formatted only for the at most
    `limit` reasons chosen per row.
    """
    means = means or {}
    order, positive = top_reason_indices(contributions, limit)
    counts = positive.sum(axis=1).tolist()
    order_list = order.tolist()
    impacts = np.take_along_axis(contributions, order, axis=1).tolist()
    # Flags, categories and whole numbers repeat across rows: format each (feature, value) once.
    texts: dict[tuple[str, Any], tuple[Any, str]] = {}
    out: list[list[dict[str, Any]]] = []
    for row, count, idx, imp in zip(rows, counts, order_list, impacts, strict=True):
        reasons = []
        for j in range(count):
            feature = features[idx[j]]
            value = row.get(feature)
            key = (feature, value)
            known = texts.get(key)
            if known is None:
                known = (_plain(value), reason_text(feature, value, means.get(feature)))
                texts[key] = known
            reasons.append(
                {"feature": feature, "value": known[0], "impact": imp[j], "text": known[1]}
            )
        out.append(reasons)
    return out


def _plain(value: Any) -> Any:
    """JSON-friendly: numpy scalars to Python, NaN to None."""
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _source(name: str, numeric: tuple[str, ...], categorical: tuple[str, ...]) -> str | None:
    if name in numeric:
        return name
    stripped = name.removeprefix("missingindicator_")
    if stripped in numeric:
        return stripped
    for cat in categorical:
        if name.startswith(cat + "_"):
            return cat
    return None


@dataclass(frozen=True)
class Explainer:
    """Raw-margin SHAP contributions per contract feature for one fitted pipeline."""

    pipeline: Pipeline
    features: tuple[str, ...]  # contract features the model uses, in input order
    encoded_names: tuple[str, ...]
    mapping: npt.NDArray[np.float64]  # (encoded columns × features) 0/1 summing matrix
    kind: str  # "lightgbm", "xgboost", "linear" or "tree"
    tree_explainer: Any = None
    # LightGBM only: TreeSHAP once per distinct path through each tree, for large batches.
    grouped: Any = None

    @classmethod
    def for_pipeline(
        cls, pipeline: Pipeline, numeric: tuple[str, ...], categorical: tuple[str, ...]
    ) -> Explainer:
        names = tuple(str(n) for n in pipeline[:-1].get_feature_names_out())
        features = (*numeric, *categorical)
        mapping = np.zeros((len(names), len(features)))
        for i, name in enumerate(names):
            source = _source(name, numeric, categorical)
            if source is None:
                raise ValueError(f"encoded column {name} maps to no contract feature")
            mapping[i, features.index(source)] = 1.0
        model = pipeline[-1]
        kind, tree = _kind(model), None
        if kind == "tree":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", (UserWarning, PendingDeprecationWarning))
                import shap

                tree = shap.TreeExplainer(model)
        grouped = None
        if kind == "lightgbm":
            from serving.treeshap import GroupedTreeShap

            grouped = GroupedTreeShap.for_booster(model.booster_)
        return cls(pipeline, features, names, mapping, kind, tree, grouped)

    def encode(self, X: Any) -> npt.NDArray[np.float64]:
        """The preprocessed matrix the estimator sees."""
        return np.asarray(self.pipeline[:-1].transform(X), dtype=np.float64)

    def encoded_contributions(
        self, encoded: npt.NDArray[np.float64], threads: int = 1
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(rows × encoded columns) contributions and the base value per row.

        `threads` > 1 is for batch calls only: on a one-row call the thread start-up costs more
        than the work.
        """
        model = self.pipeline[-1]
        if self.kind == "lightgbm":
            # One thread per request: OpenMP start-up costs ~7 ms on a one-row call, the work
            # ~0.3 ms.
            if self.grouped is not None:  # plain pred_contrib below MIN_ROWS rows
                out = self.grouped.contributions(encoded, threads)
            else:
                out = np.asarray(
                    model.booster_.predict(encoded, pred_contrib=True, num_threads=threads)
                )
            return out[:, :-1], out[:, -1]
        if self.kind == "xgboost":
            from xgboost import DMatrix

            booster = model.get_booster()
            booster.set_param({"nthread": threads})
            out = booster.predict(DMatrix(encoded, nthread=threads), pred_contribs=True)
            return np.asarray(out[:, :-1]), np.asarray(out[:, -1])
        if self.kind == "linear":
            coef = np.asarray(model.coef_[0], dtype=np.float64)
            base = np.full(len(encoded), float(model.intercept_[0]))
            return encoded * coef, base
        values = np.asarray(self.tree_explainer.shap_values(encoded, check_additivity=False))
        expected = np.asarray(self.tree_explainer.expected_value, dtype=np.float64).ravel()
        if values.ndim == 3:  # (rows, columns, classes)
            values, expected = values[..., 1], expected[-1:]
        return values, np.full(len(encoded), float(expected[-1]))

    def contributions(
        self, encoded: npt.NDArray[np.float64], threads: int = 1
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(rows × contract features) contributions and the base value per row."""
        values, base = self.encoded_contributions(encoded, threads)
        if len(values) > PER_ROW_SUMS_UP_TO:
            return values @ self.mapping, base
        # BLAS blocks a matrix product by its row count, which can move the last bit of a
        # categorical's summed impact: one product per row gives a request the same numbers
        # whether it is scored alone or with others (a micro-batch, a score_batch call).
        return np.vstack([values[i : i + 1] @ self.mapping for i in range(len(values))]), base


def _kind(model: Any) -> str:
    name = type(model).__name__
    if name == "LGBMClassifier":
        return "lightgbm"
    if name == "XGBClassifier":
        return "xgboost"
    if hasattr(model, "coef_"):
        return "linear"
    return "tree"
