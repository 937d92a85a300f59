"""Suite for raw.customers: birth dates present, genders and dependents within the contract."""

from __future__ import annotations

from great_expectations.core.expectation_suite import ExpectationSuite

from credit_risk.contract import GENDERS
from expectations.common import in_set, not_null, raw_table_suite, within_contract

TABLE = "customers"


def build_suite() -> ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "date_of_birth", "gender")
    in_set(suite, "gender", GENDERS)
    within_contract(suite, "dependents")
    return suite
