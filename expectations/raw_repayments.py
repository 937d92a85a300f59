"""Suite for raw.repayments: positive amounts due, non-negative days past due, and nothing due
or paid before the loan was originated."""

from __future__ import annotations

from great_expectations.core.expectation_suite import ExpectationSuite

from expectations.common import (
    between,
    in_order_across,
    in_set,
    not_null,
    positive,
    raw_table_suite,
)

TABLE = "repayments"
STATUSES = ("paid", "paid_late", "unpaid")


def build_suite() -> ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "loan_id", "amount_due", "days_past_due")
    positive(suite, "amount_due")
    between(suite, "days_past_due", 0)
    in_set(suite, "status", STATUSES)
    # On or after, not strictly after: an advance instalment is collected at origination.
    in_order_across(suite, "loans", "originated_on", "due_on", key="loan_id")
    in_order_across(suite, "loans", "originated_on", "paid_on", key="loan_id")
    return suite
