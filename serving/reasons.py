"""Per-feature SHAP contributions of the champion and the adverse-action reasons drawn from them.

Contributions are in the model's raw output (log-odds for the boosters and logistic regression),
computed on the preprocessed matrix and summed back onto contract features: the one-hot columns
of a category and the missing-value indicator of a numeric count toward their source feature.
Base value + contributions = the raw margin, which is what the calibrator turns into the PD.

- LightGBM / XGBoost: the booster's native TreeSHAP (`pred_contrib` / `pred_contribs`); for
  large LightGBM batches once per distinct path through each tree (serving.treeshap).
- Logistic regression: coefficient × (x − mean). Scaled columns have training mean 0 by
  construction; one-hot columns are measured against "no level", so the base is the intercept.
- The WoE scorecard: coefficient × WoE, one column per feature, categories included; WoE 0 is
  "no evidence", so the base is the intercept, and each impact is that feature's points.
- Other trees (random forest, sklearn HGB): one shap.TreeExplainer built when the model loads.

Reasons (12 CFR 1002.9) are the contract's reason groups whose contributions sit above those
of the applicants at the cut-off (ReasonReference), largest first, at most four, in the
group's statement plus the plain words of its heaviest feature. Age and protected attributes
belong to no group; a favourable value is never a reason.
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
    "ReasonReference",
    "format_value",
    "principal_reasons",
    "reason_text",
]

MAX_REASONS = 4
# Up to this many rows (the service's largest batch), contract-feature sums are taken row by
# row (see Explainer.contributions); batch scoring's larger chunks use one matrix product.
PER_ROW_SUMS_UP_TO = 1000
_FEATURES = contract.by_name()
# Missing because it never happened, which is in the applicant's favour.
_MISSING_MEANS_NEVER = frozenset({"months_since_last_delinquency"})
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


@dataclass(frozen=True)
class ReasonReference:
    """What a reason is measured against: the applicants at the cut-off.

    `contributions` is their mean contribution per explainer feature and `medians` their median
    value per numeric feature. A rejected applicant's reason is a group whose contributions sit
    above theirs, so even an applicant better than the average applicant learns what keeps them
    below the cut-off. Models trained before the reference existed measure against the model's
    average output (zero contributions) and the training means.
    """

    contributions: npt.NDArray[np.float64]
    medians: Mapping[str, float]
    description: str

    @classmethod
    def average(cls, features: Sequence[str], means: Mapping[str, float]) -> ReasonReference:
        return cls(np.zeros(len(features)), dict(means), "the model's average applicant")


@dataclass(frozen=True)
class _Rule:
    """How one feature may speak as a reason."""

    index: int
    name: str
    group: str
    side: int
    is_flag: bool
    from_bureau: bool
    from_history: bool
    median: float | None


def _rules(features: Sequence[str], reference: ReasonReference) -> list[_Rule]:
    rules = []
    for j, name in enumerate(features):
        spec = _FEATURES.get(name)
        if spec is None or not spec.reason_group or not spec.for_training:
            continue  # age and the protected attributes are never a stated reason
        median = reference.medians.get(name)
        rules.append(
            _Rule(
                j,
                name,
                spec.reason_group,
                spec.adverse_side,
                spec.unit == "flag",
                spec.source == "bureau",
                spec.source == "history",
                None if median is None or np.isnan(median) else float(median),
            )
        )
    return rules


_GROUPS: tuple[str, ...] = tuple(contract.REASON_GROUPS)
_CREDIT_HISTORY = _GROUPS.index("credit_history")
_NONE = -1
# Ranks a feature with a value above any not reported when choosing a group's detail.
_REPORTED_FIRST = 1e6


@dataclass(frozen=True)
class _RuleArrays:
    """The rules as vectors over the features that may speak (one entry per rule)."""

    rules: list[_Rule]
    columns: npt.NDArray[np.intp]  # the rule's column in the contribution matrix
    categorical: tuple[bool, ...]
    group: npt.NDArray[np.intp]
    side: npt.NDArray[np.int64]
    is_flag: npt.NDArray[np.bool_]
    median: npt.NDArray[np.float64]  # NaN: no median, the value always speaks
    # the group a missing value counts toward: its own, or none (never delinquent, no loans)
    missing_group: npt.NDArray[np.intp]
    from_bureau: npt.NDArray[np.bool_]

    @classmethod
    def build(cls, features: Sequence[str], reference: ReasonReference) -> _RuleArrays:
        rules = _rules(features, reference)
        own = np.array([_GROUPS.index(r.group) for r in rules], dtype=np.intp)
        silent = np.array([r.from_history or r.name in _MISSING_MEANS_NEVER for r in rules])
        return cls(
            rules,
            np.array([r.index for r in rules], dtype=np.intp),
            tuple(_FEATURES[r.name].dtype == "category" for r in rules),
            own,
            np.array([r.side for r in rules], dtype=np.int64),
            np.array([r.is_flag for r in rules], dtype=bool),
            np.array([np.nan if r.median is None else r.median for r in rules]),
            np.where(silent, _NONE, own),
            np.array([r.from_bureau for r in rules], dtype=bool),
        )

    def values(self, rows: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float64]:
        """(rows × rules) values as numbers: NaN = missing; a category's level counts as 0."""
        out = np.empty((len(rows), len(self.rules)))
        for k, (rule, is_category) in enumerate(zip(self.rules, self.categorical, strict=True)):
            column = [row.get(rule.name) for row in rows]
            if is_category:
                column = [np.nan if _missing(v) else 0.0 for v in column]
            out[:, k] = np.array(column, dtype=np.float64)
        return out

    def group_codes(
        self, values: npt.NDArray[np.float64], thin_file: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.intp]:
        """(rows × rules) index in _GROUPS each value counts toward as a reason, -1 for none.

        A value on the favourable side (collateral pledged, a guarantor, a bureau file, a
        history longer than at the cut-off) is never a reason. A missing bureau field of a
        thin file speaks for the missing file. A missing history field (no earlier loans) or a
        missing last delinquency (never delinquent) is no fact against the applicant.
        """
        with np.errstate(invalid="ignore"):
            worse = np.where(self.side > 0, values > self.median, values < self.median)
        adverse_flag = values == np.where(self.side > 0, 1.0, 0.0)
        speaks = (
            (self.side == 0)
            | (self.is_flag & adverse_flag)
            | (~self.is_flag & (np.isnan(self.median) | worse))
        )
        missing_group = np.where(
            self.from_bureau & thin_file[:, None], _CREDIT_HISTORY, self.missing_group
        )
        return np.where(np.isnan(values), missing_group, np.where(speaks, self.group, _NONE))


_RULE_CACHE: dict[tuple[tuple[str, ...], int], tuple[ReasonReference, _RuleArrays]] = {}


def _rule_arrays(features: tuple[str, ...], reference: ReasonReference) -> _RuleArrays:
    """_RuleArrays.build, once per (features, reference): the service calls with one model."""
    key = (features, id(reference))
    cached = _RULE_CACHE.get(key)
    if cached is None or cached[0] is not reference:
        if len(_RULE_CACHE) > 8:  # a few champions in a process's life
            _RULE_CACHE.clear()
        cached = (reference, _RuleArrays.build(features, reference))
        _RULE_CACHE[key] = cached
    return cached[1]


def principal_reasons(
    contributions: npt.NDArray[np.float64],
    features: tuple[str, ...],
    rows: Sequence[Mapping[str, Any]],
    reference: ReasonReference,
    limit: int = MAX_REASONS,
) -> list[list[dict[str, Any]]]:
    """Per row, up to `limit` principal reasons (groups), largest first.

    A group's impact is the sum, over its features that may speak, of the contribution above
    the reference's mean contribution; groups with a positive impact are reasons. The detail is
    the group's feature that weighed most, preferring one with a value to one not reported.
    The sums and rankings are numpy over the whole batch; text is formatted only for the
    reasons chosen.
    """
    n = len(rows)
    arrays = _rule_arrays(features, reference)
    if not arrays.rules:
        return [[] for _ in rows]
    values = arrays.values(rows)
    thin_file = np.fromiter((bool(row.get("is_thin_file")) for row in rows), bool, n)
    codes = arrays.group_codes(values, thin_file)
    above = contributions[:, arrays.columns] - reference.contributions[arrays.columns]
    speaking = codes != _NONE
    impact = np.zeros((n, len(_GROUPS)))
    row_index = np.broadcast_to(np.arange(n)[:, None], codes.shape)
    np.add.at(impact, (row_index[speaking], codes[speaking]), above[speaking])
    rank = np.where(speaking, above + np.where(np.isnan(values), 0.0, _REPORTED_FIRST), -np.inf)
    width = min(limit, len(_GROUPS))
    order = np.argsort(-impact, axis=1, kind="stable")[:, :width]
    chosen = np.take_along_axis(impact, order, axis=1)
    # per chosen (row, group) the rule that weighs most; argmax keeps the first of equals
    in_group = codes[:, None, :] == order[:, :, None]
    detail = np.argmax(np.where(in_group, rank[:, None, :], -np.inf), axis=2)
    # Flags, categories and whole numbers repeat across rows: word each (group, value) once.
    texts: dict[tuple[int, int, Any], tuple[str, str, Any, str]] = {}
    out: list[list[dict[str, Any]]] = []
    for row, groups, impacts, details in zip(
        rows, order.tolist(), chosen.tolist(), detail.tolist(), strict=True
    ):
        reasons = []
        for group_index, group_impact, k in zip(groups, impacts, details, strict=True):
            if group_impact <= 0:
                break
            rule = arrays.rules[k]
            value = row.get(rule.name)
            key = (group_index, k, value)
            known = texts.get(key)
            if known is None:
                group = _GROUPS[group_index]
                words = _lower_first(reason_text(rule.name, value, rule.median))
                known = (
                    group,
                    rule.name,
                    _plain(value),
                    f"{contract.REASON_GROUPS[group]}: {words}",
                )
                texts[key] = known
            reasons.append(
                {
                    "group": known[0],
                    "feature": known[1],
                    "value": known[2],
                    "impact": group_impact,
                    "text": known[3],
                }
            )
        out.append(reasons)
    return out


def _lower_first(text: str) -> str:
    """'Debt-to-income ratio ...' → 'debt-to-income ratio ...', but 'LTV ...' stays."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _plain(value: Any) -> Any:
    """JSON-friendly: numpy scalars to Python, NaN to None."""
    if _missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _source(name: str, numeric: tuple[str, ...], categorical: tuple[str, ...]) -> str | None:
    if name in numeric or name in categorical:  # a category encoded as one column (its WoE)
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
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("ignore", PendingDeprecationWarning)
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
