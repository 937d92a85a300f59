"""Suite for marts.application_features, derived from the feature contract so the two cannot drift."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from great_expectations.core.expectation_suite import ExpectationSuite

from credit_risk.contract import FEATURES, KEY_COLUMNS, TENURES_MONTHS, DType, Feature
from expectations.common import (
    between,
    columns_exactly,
    in_set,
    mean_between,
    new_suite,
    not_null,
    type_in,
    unique,
)
from expectations.suites import DEFAULT_MEAN_BAND

SCHEMA = "marts"
TABLE = "application_features"
SUITE_NAME = f"{SCHEMA}.{TABLE}"

# Column types as SQLAlchemy reports them for PostgreSQL, per contract dtype.
TYPE_LISTS: dict[DType | str, list[str]] = {
    "float": ["DOUBLE_PRECISION", "DOUBLE PRECISION", "FLOAT", "REAL", "NUMERIC"],
    "int": ["INTEGER", "BIGINT", "SMALLINT"],
    "bool": ["BOOLEAN"],
    "category": ["TEXT", "VARCHAR"],
    "bigint": ["BIGINT", "INTEGER"],
    "date": ["DATE"],
}


def mean_bounds(reference: float, band: float) -> tuple[float, float]:
    """Relative band around a reference mean (works for negative means too)."""
    spread = abs(reference) * band
    return reference - spread, reference + spread


def build_suite(
    reference: Mapping[str, float] | None = None,
    *,
    band: float = DEFAULT_MEAN_BAND,
    features: Iterable[Feature] = FEATURES,
) -> ExpectationSuite:
    """Schema, types, nulls, bounds and categories from the contract; means from `reference`.

    `reference` maps "<column>_mean" to the mean of a trusted batch, e.g. {"dti_mean": 0.36};
    each one becomes a check that the current mean stays within ±`band` of it (relative).
    """
    features = list(features)
    suite = new_suite(SUITE_NAME)
    columns = [*KEY_COLUMNS, *(f.name for f in features)]
    columns_exactly(suite, columns)
    for key, sql_type in KEY_COLUMNS.items():
        not_null(suite, key)
        type_in(suite, key, TYPE_LISTS[sql_type])
    unique(suite, "application_id")
    for feature in features:
        _add_feature(suite, feature)
    _add_means(suite, reference or {}, band, set(columns))
    return suite


def _add_feature(suite: ExpectationSuite, feature: Feature) -> None:
    type_in(suite, feature.name, TYPE_LISTS[feature.dtype])
    if not feature.nullable:
        not_null(suite, feature.name)
    if feature.minimum is not None or feature.maximum is not None:
        between(suite, feature.name, feature.minimum, feature.maximum)
    if feature.categories:
        in_set(suite, feature.name, feature.categories)
    if feature.name == "tenure_months":
        in_set(suite, feature.name, TENURES_MONTHS)


def _add_means(
    suite: ExpectationSuite, reference: Mapping[str, float], band: float, columns: set[str]
) -> None:
    if not 0 < band < 1:
        raise ValueError(f"the mean band is a relative tolerance in (0, 1), got {band!r}")
    for key, value in reference.items():
        column = key.removesuffix("_mean")
        if not key.endswith("_mean") or column not in columns:
            raise ValueError(
                f"reference key {key!r} is not '<column>_mean' for a column of {SUITE_NAME}"
            )
        mean_between(suite, column, *mean_bounds(float(value), band))
