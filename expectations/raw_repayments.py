"""Suite for raw.repayments: positive amounts due and non-negative days past due."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.common import in_set, not_null, positive, raw_table_suite

TABLE = "repayments"
STATUSES = ("paid", "paid_late", "unpaid")


def build_suite() -> gx.ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "loan_id", "amount_due", "days_past_due")
    positive(suite, "amount_due")
    suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="days_past_due", min_value=0))
    in_set(suite, "status", STATUSES)
    return suite
