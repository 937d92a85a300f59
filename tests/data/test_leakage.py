"""No application feature may use information from after its application date.

Build the features, then rewind the raw data to a cutoff date D as if the extract had been taken
the day before D: everything dated on or after D disappears, and payments made on or after D
become unpaid. Rebuild. Every application before D must have exactly the same features, because
nothing it was allowed to see has changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from credit_risk.database import connect
from credit_risk.feature_build import build_features
from tests.books import STANDARD, BookTemplates

pytestmark = pytest.mark.integration

FEATURES_QUERY = "select * from marts.application_features order by application_id"

# Forget the future: the raw tables as an extract taken on the day before %(cutoff)s would hold them.
REWIND_TO_CUTOFF = [
    "delete from raw.repayments where due_on >= %(cutoff)s",
    "update raw.repayments set paid_on = null, amount_paid = 0, status = 'unpaid' "
    "where paid_on >= %(cutoff)s",
    "delete from raw.npa_tracking where npa_on >= %(cutoff)s "
    "or loan_id in (select loan_id from raw.loans where originated_on >= %(cutoff)s)",
    "delete from raw.disbursements "
    "where loan_id in (select loan_id from raw.loans where originated_on >= %(cutoff)s)",
    "delete from raw.repayments "
    "where loan_id in (select loan_id from raw.loans where originated_on >= %(cutoff)s)",
    "delete from raw.loans where originated_on >= %(cutoff)s",
    "delete from raw.collateral "
    "where application_id in (select application_id from raw.applications "
    "where applied_on >= %(cutoff)s)",
    "delete from raw.guarantors "
    "where application_id in (select application_id from raw.applications "
    "where applied_on >= %(cutoff)s)",
    "delete from raw.applications where applied_on >= %(cutoff)s",
    "update raw.applications set status = 'pending', decided_on = null "
    "where decided_on >= %(cutoff)s",
    "delete from raw.credit_bureau_reports where pulled_on >= %(cutoff)s",
    "update raw.extract_metadata set snapshot_on = %(cutoff)s::date - 1",
]


def _features(dsn: str) -> pd.DataFrame:
    with connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(FEATURES_QUERY)
        columns = [d.name for d in cursor.description or ()]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


@pytest.fixture(scope="module")
def rewound(
    books: BookTemplates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, date, int]]:
    """Features before and after rewinding the raw data to the cutoff, and rows made unpaid."""
    dsn = books.copy(STANDARD, "leakage")
    target: Path = tmp_path_factory.mktemp("dbt-target")
    try:
        before = _features(dsn)
        cutoff = sorted(before["applied_on"])[len(before) // 2]
        with connect(dsn) as conn:
            unpaid = conn.execute(
                "select count(*) from raw.repayments where due_on < %(c)s and paid_on >= %(c)s",
                {"c": cutoff},
            ).fetchone()
            for statement in REWIND_TO_CUTOFF:
                conn.execute(statement, {"cutoff": cutoff})
        build_features(dsn, select="+application_features", target_path=target)
        after = _features(dsn)
    finally:
        books.drop(dsn)
    assert unpaid is not None
    yield before, after, cutoff, int(unpaid[0])


def test_the_rewind_hides_something_features_could_leak(
    rewound: tuple[pd.DataFrame, pd.DataFrame, date, int],
) -> None:
    before, _, cutoff, unpaid = rewound
    earlier = before[before["applied_on"] < cutoff]
    assert unpaid > 0, "no payment crosses the cutoff, so the test would prove nothing"
    assert (earlier["prior_installments"] > 0).sum() > 20
    assert (earlier["prior_applications_12m"] > 0).sum() > 20
    assert len(before) > len(earlier) > 500


def test_features_before_the_cutoff_do_not_change(
    rewound: tuple[pd.DataFrame, pd.DataFrame, date, int],
) -> None:
    before, after, cutoff, _ = rewound
    expected = before[before["applied_on"] < cutoff].reset_index(drop=True)
    assert after["application_id"].tolist() == expected["application_id"].tolist()
    pd.testing.assert_frame_equal(after, expected, check_exact=False, rtol=1e-12, atol=1e-12)
