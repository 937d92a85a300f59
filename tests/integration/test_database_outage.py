"""PostgreSQL dies in the middle of score_batch: the task retries, the flow fails saying what to
do, and a rerun after a restart completes with no duplicate and no lost score."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from credit_risk.database import (
    EmbeddedPostgres,
    connect,
    ensure_database,
    parse_dsn,
    with_database,
)
from tests.integration.champion import Champion
from tests.integration.outage import copy_scoring_inputs, stop_hard

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHUNK = 20
RETRY_DELAYS = [0.2, 0.2, 0.2]
# Each chunk's insert waits this long before it commits, so the outage lands inside a chunk.
WRITE_PAUSE_SECONDS = 1.0
OUTAGE_TIMEOUT_SECONDS = 120
PENDING = """
select count(*) from marts.application_features
join raw.applications using (application_id) where status = 'pending'
"""


def _slow_durable_writes(dsn: str) -> None:
    """Pause every scores insert before commit; commit synchronously, so a crash keeps it."""
    from serving.batch import ensure_scores_table

    ensure_scores_table(dsn)
    with connect(dsn, autocommit=True) as conn:
        conn.execute(
            "create function serving.pause_after_write() returns trigger language plpgsql as "
            f"$$ begin perform pg_sleep({WRITE_PAUSE_SECONDS}); return null; end $$"
        )
        conn.execute(
            "create trigger pause_after_write after insert on serving.scores "
            "for each statement execute function serving.pause_after_write()"
        )
        conn.execute(f'alter database "{parse_dsn(dsn).dbname}" set synchronous_commit = on')


def _stop_after_first_chunk(dsn: str, server: EmbeddedPostgres) -> list[tuple[Any, ...]]:
    """Wait until a chunk is committed, then kill PostgreSQL; the rows it had by then."""
    deadline = time.monotonic() + OUTAGE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with connect(dsn) as conn:
            rows = conn.execute(
                "select application_id, model_version, scored_at from serving.scores"
            ).fetchall()
        if rows:
            stop_hard(server)
            return rows
        time.sleep(0.05)
    raise AssertionError(f"no chunk was written within {OUTAGE_TIMEOUT_SECONDS} s")


def _serving_version(model_name: str) -> int:
    from mlflow import MlflowClient

    from credit_risk.model_registry import require_champion

    return int(require_champion(MlflowClient(), model_name).version)


def _task_runs(flow_run_id: Any) -> list[Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )


def test_outage_retries_fails_clearly_and_a_rerun_resumes_without_duplicates(
    champion: Champion,
    data_server: EmbeddedPostgres,
    prefect_harness: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.scoring import score_batch

    dsn = with_database(data_server.start(), "outage")
    ensure_database(dsn)
    copy_scoring_inputs(champion.dsn, dsn)
    _slow_durable_writes(dsn)
    with connect(dsn) as conn:
        pending = int(conn.execute(PENDING).fetchone()[0])  # type: ignore[index]
    assert pending > 2 * CHUNK, "the outage must land before the last chunk"
    monkeypatch.setenv("CREDIT_RUNNER__RETRY_DELAYS", str(RETRY_DELAYS))

    with ThreadPoolExecutor(max_workers=1) as pool:
        outage = pool.submit(_stop_after_first_chunk, dsn, data_server)
        failed = score_batch(
            dsn=dsn, model_name=champion.model_name, chunk_size=CHUNK, return_state=True
        )
        kept = outage.result()

    assert failed.is_failed()
    message = str(failed.message)
    host = parse_dsn(dsn).host
    assert f"PostgreSQL at {host}:" in message
    assert f"unreachable after {len(RETRY_DELAYS)} retries" in message
    assert "credit-risk db start" in message and "chunks already scored are kept" in message
    chunk_runs = [
        r for r in _task_runs(failed.state_details.flow_run_id) if r.name.startswith("score_chunk")
    ]
    gave_up = [r for r in chunk_runs if r.state_type.value == "FAILED"]
    assert len(gave_up) == 1 and gave_up[0].run_count == len(RETRY_DELAYS) + 1
    assert sum(r.state_type.value == "COMPLETED" for r in chunk_runs) == len(kept) // CHUNK >= 1

    data_server.start()
    with connect(dsn, autocommit=True) as conn:
        conn.execute("drop trigger pause_after_write on serving.scores")
    rerun = score_batch(dsn=dsn, model_name=champion.model_name, chunk_size=CHUNK)

    assert rerun["written"] == rerun["scored"] == pending - len(kept)
    with connect(dsn) as conn:
        rows = conn.execute(
            "select application_id, model_version, scored_at from serving.scores"
        ).fetchall()
    assert len(rows) == len({(app, version) for app, version, _ in rows}) == pending
    # the champion now: other tests of the session may have promoted a newer version of it
    assert {version for _, version, _ in rows} == {_serving_version(champion.model_name)}
    assert set(kept) <= set(rows), "scores written before the outage must survive it unchanged"
