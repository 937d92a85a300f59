"""Suite for raw.credit_bureau_reports: score range and the utilization the features derive."""

from __future__ import annotations

from great_expectations.core.expectation_suite import ExpectationSuite

from credit_risk.contract import by_name
from expectations.common import (
    in_order,
    in_order_across,
    no_rows_where,
    not_null,
    raw_table_suite,
    within_contract,
)

TABLE = "credit_bureau_reports"


def build_suite() -> ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "customer_id", "pulled_on")
    within_contract(suite, "bureau_score")
    # credit_utilization is total_balance / total_credit_limit; check it where a limit exists.
    ceiling = by_name()["credit_utilization"].maximum
    no_rows_where(
        suite,
        f"total_credit_limit > 0 and total_balance / total_credit_limit > {ceiling}",
        f"utilization (total_balance / total_credit_limit) above {ceiling}",
        column="total_balance/total_credit_limit",
    )
    in_order(suite, "last_delinquency_on", "pulled_on")
    in_order(suite, "oldest_account_on", "pulled_on")
    # a delinquency is on an account the report holds, so never before the oldest of them
    in_order(suite, "oldest_account_on", "last_delinquency_on")
    in_order_across(suite, "customers", "date_of_birth", "oldest_account_on", key="customer_id")
    return suite
