"""Suite for raw.employment: every customer's record has a positive income."""

from __future__ import annotations

from great_expectations.core.expectation_suite import ExpectationSuite

from credit_risk.contract import EMPLOYMENT_TYPES
from expectations.common import between, in_set, not_null, positive, raw_table_suite

TABLE = "employment"


def build_suite() -> ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "customer_id", "monthly_income")
    positive(suite, "monthly_income")
    in_set(suite, "employment_type", EMPLOYMENT_TYPES)
    between(suite, "years_employed", 0)
    return suite
