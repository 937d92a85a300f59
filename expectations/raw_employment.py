"""Suite for raw.employment: every customer's record has a positive income."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from credit_risk.contract import EMPLOYMENT_TYPES
from expectations.common import in_set, not_null, positive, raw_table_suite

TABLE = "employment"


def build_suite() -> gx.ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "customer_id", "monthly_income")
    positive(suite, "monthly_income")
    in_set(suite, "employment_type", EMPLOYMENT_TYPES)
    suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column="years_employed", min_value=0))
    return suite
