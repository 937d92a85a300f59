"""Suite for raw.credit_bureau_reports: score range and the utilization the features derive."""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from credit_risk.contract import by_name
from expectations.common import not_null, raw_table_suite, within_contract

TABLE = "credit_bureau_reports"


def build_suite() -> gx.ExpectationSuite:
    suite = raw_table_suite(TABLE)
    not_null(suite, "customer_id", "pulled_on")
    within_contract(suite, "bureau_score")
    # credit_utilization is total_balance / total_credit_limit; check it where a limit exists.
    ceiling = by_name()["credit_utilization"].maximum
    suite.add_expectation(
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                "select * from {batch} where total_credit_limit > 0 "
                f"and total_balance / total_credit_limit > {ceiling}"
            ),
            description=f"utilization (total_balance / total_credit_limit) above {ceiling}",
            meta={"column": "total_balance/total_credit_limit"},
        )
    )
    return suite
