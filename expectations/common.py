"""Building blocks the suites share: a named suite, the raw tables' schema and key checks."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from credit_risk.contract import by_name
from credit_risk.synthetic.raw_schema import PRIMARY_KEYS, TABLES

RAW_SCHEMA = "raw"
# Wide enough for any extract this platform generates or receives; an empty table is never valid.
ROW_COUNT_RANGE = (1, 200_000_000)


def new_suite(name: str) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=name)


def raw_table_suite(table: str) -> gx.ExpectationSuite:
    """Column set from raw_schema.TABLES, a unique non-null key and a non-empty table."""
    suite = new_suite(f"{RAW_SCHEMA}.{table}")
    suite.add_expectation(
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[name for name, _ in TABLES[table]], exact_match=True
        )
    )
    low, high = ROW_COUNT_RANGE
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=low, max_value=high))
    key = PRIMARY_KEYS[table]
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=key))
    suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column=key))
    return suite


def not_null(suite: gx.ExpectationSuite, *columns: str) -> None:
    for column in columns:
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=column))


def positive(suite: gx.ExpectationSuite, *columns: str) -> None:
    """Strictly greater than zero (nulls are left to the not-null checks)."""
    for column in columns:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, strict_min=True)
        )


def within_contract(suite: gx.ExpectationSuite, column: str, feature: str | None = None) -> None:
    """The contract's bounds for `feature` (default: the same name) applied to a raw column."""
    spec = by_name()[feature or column]
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column=column, min_value=spec.minimum, max_value=spec.maximum
        )
    )


def in_set(suite: gx.ExpectationSuite, column: str, values: tuple[object, ...]) -> None:
    suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)))
