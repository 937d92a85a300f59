"""Suite for raw.repayments: positive amounts due and non-negative days past due."""

from __future__ import annotations

from great_expectations.core.expectation_suite import ExpectationSuite

from expectations.common import between, in_set, not_null, positive, raw_table_suite

TABLE = "repayments"
STATUSES = ("paid", "paid_late", "unpaid")


def build_suite() -> ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "loan_id", "amount_due", "days_past_due")
    positive(suite, "amount_due")
    between(suite, "days_past_due", 0)
    in_set(suite, "status", STATUSES)
    return suite
