"""Suite for marts.application_features, derived from the feature contract so the two cannot drift."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import great_expectations as gx
import great_expectations.expectations as gxe

from credit_risk.contract import FEATURES, KEY_COLUMNS, TENURES_MONTHS, DType, Feature
from expectations.common import ROW_COUNT_RANGE, new_suite
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
) -> gx.ExpectationSuite:
    """Schema, types, nulls, bounds and categories from the contract; means from `reference`.

    `reference` maps "<column>_mean" to the mean of a trusted batch, e.g. {"dti_mean": 0.36};
    each one becomes a check that the current mean stays within ±`band` of it (relative).
    """
    features = list(features)
    suite = new_suite(SUITE_NAME)
    columns = [*KEY_COLUMNS, *(f.name for f in features)]
    suite.add_expectation(gxe.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=True))
    low, high = ROW_COUNT_RANGE
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=low, max_value=high))
    for key, sql_type in KEY_COLUMNS.items():
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=key))
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInTypeList(column=key, type_list=TYPE_LISTS[sql_type])
        )
    suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column="application_id"))
    for feature in features:
        _add_feature(suite, feature)
    _add_means(suite, reference or {}, band, set(columns))
    return suite


def _add_feature(suite: gx.ExpectationSuite, feature: Feature) -> None:
    name = feature.name
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInTypeList(column=name, type_list=TYPE_LISTS[feature.dtype])
    )
    if not feature.nullable:
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=name))
    if feature.minimum is not None or feature.maximum is not None:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column=name, min_value=feature.minimum, max_value=feature.maximum
            )
        )
    if feature.categories:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(feature.categories))
        )
    if name == "tenure_months":
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(TENURES_MONTHS))
        )


def _add_means(
    suite: gx.ExpectationSuite, reference: Mapping[str, float], band: float, columns: set[str]
) -> None:
    if not 0 < band < 1:
        raise ValueError(f"the mean band is a relative tolerance in (0, 1), got {band!r}")
    for key, value in reference.items():
        column = key.removesuffix("_mean")
        if not key.endswith("_mean") or column not in columns:
            raise ValueError(
                f"reference key {key!r} is not '<column>_mean' for a column of {SUITE_NAME}"
            )
        low, high = mean_bounds(float(value), band)
        suite.add_expectation(
            gxe.ExpectColumnMeanToBeBetween(column=column, min_value=low, max_value=high)
        )
