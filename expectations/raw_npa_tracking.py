"""Suite for raw.npa_tracking: no loan becomes a non-performing asset before it was originated."""

from __future__ import annotations

from great_expectations.core.expectation_suite import ExpectationSuite

from expectations.common import in_order_across, raw_table_suite

TABLE = "npa_tracking"


def build_suite() -> ExpectationSuite:
    suite = raw_table_suite(TABLE)
    in_order_across(suite, "loans", "originated_on", "npa_on", key="loan_id")
    return suite
