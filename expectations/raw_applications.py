"""Suite for raw.applications: keys, amounts, terms, rates and the decision vocabulary."""

from __future__ import annotations

from great_expectations.core.expectation_suite import ExpectationSuite

from credit_risk.contract import LOAN_PURPOSES, TENURES_MONTHS
from expectations.common import (
    in_order,
    in_set,
    not_null,
    positive,
    raw_table_suite,
    within_contract,
)

TABLE = "applications"
STATUSES = ("approved", "rejected", "pending")


def build_suite() -> ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "customer_id", "applied_on", "loan_amount")
    positive(suite, "loan_amount")
    in_set(suite, "tenure_months", TENURES_MONTHS)
    within_contract(suite, "interest_rate")
    in_set(suite, "status", STATUSES)
    in_set(suite, "loan_purpose", LOAN_PURPOSES)
    in_order(suite, "applied_on", "decided_on")
    return suite
