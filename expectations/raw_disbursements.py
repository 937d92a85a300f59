"""Suite for raw.disbursements: no money paid out before its loan was originated."""

from __future__ import annotations

from great_expectations.core.expectation_suite import ExpectationSuite

from expectations.common import in_order_across, raw_table_suite

TABLE = "disbursements"


def build_suite() -> ExpectationSuite:
    suite = raw_table_suite(TABLE)
    in_order_across(suite, "loans", "originated_on", "disbursed_on", key="loan_id")
    return suite
