"""Suite for raw.loans: positive principal and instalment, contract terms and rates, and no
origination before the application's decision, and only for approved applications."""

from __future__ import annotations

from great_expectations.core.expectation_suite import ExpectationSuite

from credit_risk.contract import TENURES_MONTHS
from expectations.common import (
    in_order,
    in_order_across,
    in_set,
    no_rows_joined_where,
    not_null,
    positive,
    raw_table_suite,
    within_contract,
)

TABLE = "loans"
LOAN_STATUSES = ("active", "closed", "defaulted", "written_off")


def build_suite() -> ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "application_id", "customer_id", "principal", "emi")
    positive(suite, "principal", "emi")
    in_set(suite, "tenure_months", TENURES_MONTHS)
    within_contract(suite, "interest_rate")
    in_set(suite, "loan_status", LOAN_STATUSES)
    in_order(suite, "originated_on", "maturity_on")
    in_order_across(suite, "applications", "decided_on", "originated_on", key="application_id")
    # the date check above passes a null decided_on, as every order check passes nulls
    no_rows_joined_where(
        suite,
        "applications",
        "other.status <> 'approved' or other.decided_on is null",
        "of an application not approved, or with no decided_on",
        key="application_id",
    )
    return suite
