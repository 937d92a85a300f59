"""The score_batch flow scores every pending application once per champion version."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import SecretStr

from credit_risk.database import connect
from serving.batch_summary import BAND_ORDER
from tests.integration.champion import Champion

pytestmark = pytest.mark.integration

CHUNK = 10


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

    again_state = score_batch(
        dsn=SecretStr(champion.dsn),
        model_name=champion.model_name,
        chunk_size=CHUNK,
        return_state=True,
    )
    again = again_state.result()
    # The DSN is passed as a secret: Prefect stores the run's parameters with it masked.
    stored = _parameters(again_state.state_details.flow_run_id)
    assert stored["dsn"] == "**********" and champion.dsn not in json.dumps(stored)
    assert again["scored"] == again["written"] == 0
    assert _scores(champion.dsn, version) == rows

    # Even a run with nothing new to score publishes the version's totals by risk band.
    artifacts = _artifacts(again_state.state_details.flow_run_id)
    assert set(artifacts) == {"batch-scores-by-band", "batch-scoring-summary"}
    table = json.loads(artifacts["batch-scores-by-band"])
    assert sum(row["applications"] for row in table) == pending
    bands = [row["risk_band"] for row in table]
    assert bands == sorted(bands, key=BAND_ORDER.index)
    assert f"All scores of this version: {pending:,}" in artifacts["batch-scoring-summary"]


def _parameters(flow_run_id: Any) -> dict[str, Any]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return dict(client.read_flow_run(flow_run_id).parameters)


def _artifacts(flow_run_id: Any) -> dict[str, str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {a.key: a.data for a in found if a.key}  # type: ignore[misc]


def test_a_chunk_writes_idempotently_even_when_asked_twice(champion: Champion) -> None:
    from serving.batch import ensure_scores_table, score_pending_chunk
    from serving.champion import load_version

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


def test_a_reloaded_book_is_scored_again_where_its_applications_changed(
    champion: Champion,
) -> None:
    from serving.batch import ensure_scores_table, score_pending_chunk
    from serving.champion import load_version

    loaded = load_version(champion.model_name)
    ensure_scores_table(champion.dsn)

    def run() -> int:
        written, after = 0, 0
        while True:
            chunk = score_pending_chunk(champion.dsn, loaded, after_id=after, limit=500)
            if chunk.last_id is None:
                return written
            written, after = written + chunk.written, chunk.last_id

    run()
    assert run() == 0  # a rerun on the same book adds nothing
    # A regenerated book restarts its ids: the same ids now hold other applications.
    with connect(champion.dsn, autocommit=True) as conn:
        original = conn.execute(
            "select application_id, f.loan_amount from marts.application_features as f "
            "join raw.applications using (application_id) where status = 'pending' "
            "order by application_id limit 25"
        ).fetchall()
        changed = [application_id for application_id, _ in original]
        conn.execute(
            "update marts.application_features set loan_amount = loan_amount * 3 "
            "where application_id = any(%s)",
            (changed,),
        )
    try:
        assert run() == len(changed)
        assert run() == 0
        with connect(champion.dsn) as conn:
            count = conn.execute(
                "select count(*) from serving.scores where model_version = %s "
                "and application_id = any(%s)",
                (loaded.version, changed),
            ).fetchone()
        assert count is not None and count[0] == len(changed)  # replaced, not duplicated
    finally:
        with connect(champion.dsn, autocommit=True) as conn, conn.cursor() as cur:
            cur.executemany(
                "update marts.application_features set loan_amount = %s where application_id = %s",
                [(amount, application_id) for application_id, amount in original],
            )
    assert run() == len(changed)  # the original book back: scored as it was
