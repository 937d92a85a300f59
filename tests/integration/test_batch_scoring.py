"""The score_batch flow scores every pending application once per champion version."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit_risk.database import connect
from tests.integration.test_serving_http import Champion, served_champion

pytestmark = pytest.mark.integration

CHUNK = 10


@pytest.fixture(scope="module")
def champion(
    pg_server: str, mlflow_tracking_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Champion:
    work = Path(tmp_path_factory.mktemp("champion"))
    return served_champion(pg_server, mlflow_tracking_uri, work)


def _pending(dsn: str) -> int:
    with connect(dsn) as conn:
        row = conn.execute(
            "select count(*) from marts.application_features "
            "join raw.applications using (application_id) where status = 'pending'"
        ).fetchone()
    return int(row[0]) if row else 0


def _scores(dsn: str, version: int) -> list[tuple[int, str, int]]:
    with connect(dsn) as conn:
        return conn.execute(
            "select application_id, decision, jsonb_array_length(reasons) "
            "from serving.scores where model_version = %s order by application_id",
            (version,),
        ).fetchall()


def test_pending_applications_are_scored_once_in_chunks(
    champion: Champion, prefect_harness: None
) -> None:
    from flows.scoring import score_batch

    pending = _pending(champion.dsn)
    assert pending > CHUNK, "the generated book should hold several chunks of pending applications"

    first = score_batch(dsn=champion.dsn, model_name=champion.model_name, chunk_size=CHUNK)
    version = first["model_version"]
    rows = _scores(champion.dsn, version)
    assert first["scored"] == first["written"] == pending == len(rows)
    assert first["chunks"] == -(-pending // CHUNK)
    assert {decision for _, decision, _ in rows} <= {"approve", "reject"}
    assert all(0 <= n <= 4 for _, _, n in rows)

    again = score_batch(dsn=champion.dsn, model_name=champion.model_name, chunk_size=CHUNK)
    assert again["scored"] == again["written"] == 0
    assert _scores(champion.dsn, version) == rows


def test_a_chunk_writes_idempotently_even_when_asked_twice(champion: Champion) -> None:
    from serving.batch import ensure_scores_table, score_pending_chunk
    from serving.model import load_version

    loaded = load_version(champion.model_name)
    ensure_scores_table(champion.dsn)
    with connect(champion.dsn) as conn:
        conn.execute("delete from serving.scores where model_version = %s", (loaded.version,))
    first = score_pending_chunk(champion.dsn, loaded, after_id=0, limit=CHUNK)
    assert first.written == first.scored == CHUNK
    # Only not-yet-scored rows are read, so the same window moves on instead of duplicating.
    second = score_pending_chunk(champion.dsn, loaded, after_id=0, limit=CHUNK)
    assert second.written == CHUNK and second.last_id is not None
    assert first.last_id is not None and second.last_id > first.last_id
