"""One function turns a bureau report into the bureau features, exactly as dbt does.

Every generated application: the latest report pulled on or before its date (as a client reads
it from raw.credit_bureau_reports) and our own last delinquency, through
credit_risk.bureau.bureau_features, against marts.application_features.
"""

from __future__ import annotations

import math

import pytest

from credit_risk.bureau import BUREAU_FEATURES, bureau_features
from credit_risk.database import connect
from tests.integration.champion import Champion
from tests.integration.client_requests import REQUESTS_QUERY

pytestmark = pytest.mark.integration

DBT_QUERY = f"""
select f.application_id, h.last_internal_delinquency_on, {", ".join("f." + c for c in BUREAU_FEATURES)}
from marts.application_features as f
inner join intermediate.int_applications_history_joined as h using (application_id)
order by f.application_id
"""


def _rows(dsn: str, query: str) -> dict[int, dict[str, object]]:
    with connect(dsn) as conn:
        cur = conn.execute(query)
        names = [d.name for d in cur.description or ()]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cur}


def _differs(mine: object, theirs: object) -> bool:
    if mine is None or theirs is None:
        return mine is not theirs
    if isinstance(mine, bool) or isinstance(theirs, bool):
        return mine != theirs
    return not math.isclose(float(mine), float(theirs), rel_tol=1e-12, abs_tol=1e-12)


def test_every_application_has_dbts_bureau_features(champion: Champion) -> None:
    raw = _rows(champion.dsn, REQUESTS_QUERY)
    dbt = _rows(champion.dsn, DBT_QUERY)
    assert len(raw) == len(dbt) == 3000
    with_report = sum(row["report_id"] is not None for row in raw.values())
    assert 0 < with_report < len(raw)  # both paths are exercised
    mismatches = []
    for application_id, row in raw.items():
        report = None if row["report_id"] is None else row
        expected = dbt[application_id]
        got = bureau_features(report, row["applied_on"], expected["last_internal_delinquency_on"])
        mismatches += [
            (application_id, name, got[name], expected[name])
            for name in BUREAU_FEATURES
            if _differs(got[name], expected[name])
        ]
    assert not mismatches, f"{len(mismatches)} differences, first: {mismatches[:5]}"
