"""Building blocks the suites share: one helper per kind of check, and the raw tables' basics.

GX classes are imported from their defining modules because great_expectations.expectations
re-exports them implicitly, which mypy --strict rejects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.expectations.core.expect_column_mean_to_be_between import (
    ExpectColumnMeanToBeBetween,
)
from great_expectations.expectations.core.expect_column_values_to_be_between import (
    ExpectColumnValuesToBeBetween,
)
from great_expectations.expectations.core.expect_column_values_to_be_in_set import (
    ExpectColumnValuesToBeInSet,
)
from great_expectations.expectations.core.expect_column_values_to_be_in_type_list import (
    ExpectColumnValuesToBeInTypeList,
)
from great_expectations.expectations.core.expect_column_values_to_be_unique import (
    ExpectColumnValuesToBeUnique,
)
from great_expectations.expectations.core.expect_column_values_to_not_be_null import (
    ExpectColumnValuesToNotBeNull,
)
from great_expectations.expectations.core.expect_table_columns_to_match_set import (
    ExpectTableColumnsToMatchSet,
)
from great_expectations.expectations.core.expect_table_row_count_to_be_between import (
    ExpectTableRowCountToBeBetween,
)
from great_expectations.expectations.core.unexpected_rows_expectation import (
    UnexpectedRowsExpectation,
)

from credit_risk.contract import by_name
from credit_risk.raw_contract import PRIMARY_KEYS, TABLES

RAW_SCHEMA = "raw"
# Wide enough for any extract this platform generates or receives; an empty table is never valid.
ROW_COUNT_RANGE = (1, 200_000_000)


def new_suite(name: str) -> ExpectationSuite:
    return ExpectationSuite(name=name)


# Dates of things that happened, so none can be later than the extract. Loan maturities and
# instalment due dates lie ahead by design.
EVENT_DATES: dict[str, tuple[str, ...]] = {
    "customers": ("date_of_birth",),
    "employment": ("recorded_on",),
    "credit_bureau_reports": ("pulled_on", "last_delinquency_on", "oldest_account_on"),
    "applications": ("applied_on", "decided_on"),
    "collateral": ("valued_on",),
    "guarantors": ("added_on",),
    "loans": ("originated_on",),
    "disbursements": ("disbursed_on",),
    "repayments": ("paid_on",),
    "npa_tracking": ("npa_on", "recorded_on"),
}


def raw_table_suite(table: str) -> ExpectationSuite:
    """Column set from raw_contract.TABLES, a unique non-null key, a non-empty table, and no
    event date after the extract's snapshot date."""
    suite = new_suite(f"{RAW_SCHEMA}.{table}")
    columns_exactly(suite, [name for name, _ in TABLES[table]])
    key = PRIMARY_KEYS[table]
    not_null(suite, key)
    unique(suite, key)
    not_after_snapshot(suite, *EVENT_DATES.get(table, ()))
    return suite


def columns_exactly(suite: ExpectationSuite, columns: Iterable[str]) -> None:
    """Exactly these columns (in any order), and a row count within ROW_COUNT_RANGE."""
    suite.add_expectation(ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True))
    low, high = ROW_COUNT_RANGE
    suite.add_expectation(ExpectTableRowCountToBeBetween(min_value=low, max_value=high))


def not_null(suite: ExpectationSuite, *columns: str) -> None:
    for column in columns:
        suite.add_expectation(ExpectColumnValuesToNotBeNull(column=column))


def unique(suite: ExpectationSuite, column: str) -> None:
    suite.add_expectation(ExpectColumnValuesToBeUnique(column=column))


def between(
    suite: ExpectationSuite,
    column: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    strict_min: bool = False,
) -> None:
    """Values within the bounds (nulls are left to the not-null checks)."""
    suite.add_expectation(
        ExpectColumnValuesToBeBetween(
            column=column, min_value=minimum, max_value=maximum, strict_min=strict_min
        )
    )


def positive(suite: ExpectationSuite, *columns: str) -> None:
    for column in columns:
        between(suite, column, 0, strict_min=True)


def within_contract(suite: ExpectationSuite, column: str, feature: str | None = None) -> None:
    """The contract's bounds for `feature` (default: the same name) applied to a raw column."""
    spec = by_name()[feature or column]
    between(suite, column, spec.minimum, spec.maximum)


def in_set(suite: ExpectationSuite, column: str, values: Iterable[Any]) -> None:
    suite.add_expectation(ExpectColumnValuesToBeInSet(column=column, value_set=list(values)))


def type_in(suite: ExpectationSuite, column: str, types: list[str]) -> None:
    suite.add_expectation(ExpectColumnValuesToBeInTypeList(column=column, type_list=types))


def mean_between(suite: ExpectationSuite, column: str, minimum: float, maximum: float) -> None:
    suite.add_expectation(
        ExpectColumnMeanToBeBetween(column=column, min_value=minimum, max_value=maximum)
    )


# The extract's snapshot date: nothing in it can have happened later.
SNAPSHOT_ON = f"(select max(snapshot_on) from {RAW_SCHEMA}.extract_metadata)"


def not_after_snapshot(suite: ExpectationSuite, *columns: str) -> None:
    """No date in these columns after the extract's snapshot date (raw.extract_metadata)."""
    for column in columns:
        no_rows_where(
            suite, f"{column} > {SNAPSHOT_ON}", f"{column} after the snapshot date", column=column
        )


def in_order(suite: ExpectationSuite, earlier: str, later: str) -> None:
    """`later` is never before `earlier` in the same row (either may be null)."""
    no_rows_where(suite, f"{later} < {earlier}", f"{later} before {earlier}", column=later)


def in_order_across(
    suite: ExpectationSuite, earlier_table: str, earlier: str, later: str, *, key: str
) -> None:
    """`later` in a row of the suite's table is never before `earlier` in the `earlier_table` row
    that shares its `key` (either may be null, as with in_order)."""
    other_table = f"{RAW_SCHEMA}.{earlier_table}"
    # GX substitutes {batch} without an alias into a query that joins, so it is aliased here.
    query = (
        f"select this.* from {{batch}} as this "
        f"join {other_table} as other on other.{key} = this.{key} "
        f"where this.{later} < other.{earlier}"
    )
    suite.add_expectation(
        UnexpectedRowsExpectation(
            unexpected_rows_query=query,
            description=f"{suite.name}.{later} before {other_table}.{earlier} of the same {key}",
            meta={"column": later, "not_before": f"{other_table}.{earlier}", "joined_on": key},
        )
    )


def no_rows_where(suite: ExpectationSuite, condition: str, description: str, column: str) -> None:
    """No row of the batch satisfies the SQL `condition`; `column` names it in failures."""
    suite.add_expectation(
        UnexpectedRowsExpectation(
            unexpected_rows_query=f"select * from {{batch}} where {condition}",
            description=description,
            meta={"column": column},
        )
    )


def no_rows_joined_where(
    suite: ExpectationSuite, other_table: str, condition: str, description: str, *, key: str
) -> None:
    """No row of the batch whose `other_table` row (joined on `key`, aliased `other`) meets the
    SQL `condition`; failures read "no rows with <table>.<key> <description>"."""
    query = (
        f"select this.* from {{batch}} as this "
        f"join {RAW_SCHEMA}.{other_table} as other on other.{key} = this.{key} "
        f"where {condition}"
    )
    suite.add_expectation(
        UnexpectedRowsExpectation(
            unexpected_rows_query=query,
            description=f"{suite.name}.{key} {description}",
            meta={"column": key, "joined_on": key},
        )
    )
